// New action: draw the area, fill in the form, watch the preview (debounced; the service counts),
// then draft, confirm with the number of people (typed above the threshold), and start.
"use strict";

(() => {
  const {t, n, api, show, channelChips, config, data} = Console;
  const $ = (id) => document.getElementById(id);
  const radius = $("radius");
  const areaMap = AreaMap.create($("map"), {radius: () => Number(radius.value) || 800});
  AreaMap.tools(areaMap, {circle: "tool-circle", polygon: "tool-polygon", close: "close-polygon",
                          clear: "clear-area", help: "map-help", lat: "centre-lat", lon: "centre-lon",
                          radius: "radius", apply: "apply-centre"});
  // An address centres the map there: its coordinates go through the same "apply" as typed ones.
  $("find-address").addEventListener("click", async () => {
    $("find-error").textContent = "";
    const query = new URLSearchParams({postcode: $("find-postcode").value, number: $("find-number").value.trim()});
    try {
      const found = await api("GET", `/api/geocode?${query}`);
      $("centre-lat").value = found.lat;
      $("centre-lon").value = found.lon;
      $("apply-centre").click();
    } catch (error) {
      $("find-error").textContent = error.message;
    }
  });
  const type = $("incident-type"), description = $("description"), consent = $("consent");
  // Heterdaadkracht: on by default for the incident types configured so; the operator decides.
  const groups = $("groups");
  const groupDefault = () => { groups.checked = data.group_defaults.includes(type.value); };
  groupDefault();
  const groupLine = (preview) => preview.groups && preview.groups.enabled
    ? t("preview.groups", {groups: n(preview.groups.groups), administrators: n(preview.groups.administrators)})
    : t("preview.groups_off", {available: n(preview.groups ? preview.groups.available : 0)});
  const check = $("check"), formError = $("form-error");
  let inFlight = null, latest = null, draftId = null;

  function fail(node, error) {
    node.textContent = error.message;
    show(node, true);
  }

  async function refresh() {
    const area = areaMap.area();
    show($("consent-row"), data.needs_consent.includes(type.value));
    show(formError, false);
    if (!area) {
      latest = null;
      $("preview-status").textContent = t("preview.none");
      show($("preview-body"), false);
      check.disabled = true;
      return;
    }
    if (inFlight) inFlight.abort();  // only the newest area's answer counts
    inFlight = new AbortController();
    $("preview-status").textContent = t("preview.busy");
    try {
      latest = await api("POST", "/api/actions/preview",
                         {incident_type: type.value, description: description.value, area,
                          groups: groups.checked}, inFlight.signal);
    } catch (error) {
      if (error.name === "AbortError") return;
      latest = null;
      $("preview-status").textContent = "";
      show($("preview-body"), false);
      check.disabled = true;
      return fail(formError, error);
    }
    $("preview-status").textContent = latest.sms_text ? "" : t("preview.need_description");
    $("preview-total").textContent = n(latest.total);
    channelChips($("preview-channels"), latest);
    $("preview-groups").textContent = groupLine(latest);
    $("preview-sms").textContent = latest.sms_text || "";
    $("preview-segments").textContent = latest.sms_text
      ? t("preview.segments", {encoding: latest.sms_encoding, segments: latest.sms_segments}) : "";
    $("preview-voice").textContent = latest.voice_text || "";
    show($("preview-body"), true);
    check.disabled = !(latest.sms_text && latest.total > 0);
  }

  const later = Console.debounce(refresh, 350);
  areaMap.onChange(later);
  type.addEventListener("change", () => { groupDefault(); later(); });
  groups.addEventListener("change", later);
  description.addEventListener("input", later);

  // Draft first: the stored preview is what the start is checked against, so the number the
  // operator confirms is the service's, not the page's.
  $("action-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    check.disabled = true;
    try {
      const draft = await api("POST", "/api/actions", {
        incident_type: type.value, description: description.value, area: areaMap.area(),
        consent: consent.checked, groups: groups.checked});
      draftId = draft.id;
      openConfirm(draft.preview);
    } catch (error) {
      fail(formError, error);
    } finally {
      check.disabled = false;
    }
  });

  const dialog = $("confirm"), typed = $("confirm-typed"), start = $("confirm-start");
  let needsTyping = false, expected = 0;

  function openConfirm(preview) {
    expected = preview.total;
    needsTyping = expected > config.confirm_above;
    $("confirm-type").textContent = type.options[type.selectedIndex].text;
    $("confirm-description").textContent = description.value.trim();
    $("confirm-people").textContent = t("confirm.people", {total: n(expected)});
    channelChips($("confirm-channels"), preview);
    $("confirm-groups").textContent = groupLine(preview);
    $("confirm-typed-label").textContent = t("confirm.type", {threshold: n(config.confirm_above), total: n(expected)});
    show($("confirm-typed-row"), needsTyping);
    show($("confirm-error"), false);
    typed.value = "";
    start.disabled = needsTyping;
    dialog.showModal();
    (needsTyping ? typed : start).focus();
  }

  typed.addEventListener("input", () => {
    start.disabled = Number(typed.value.replace(/[.,\s]/g, "")) !== expected;
  });

  let starting = false;
  start.addEventListener("click", async () => {
    start.disabled = true;
    starting = true;
    try {
      await api("POST", `/api/actions/${draftId}/start`, {confirm: needsTyping});
      window.location.href = `/console/actions/${draftId}`;
    } catch (error) {
      starting = false;
      start.disabled = false;
      fail($("confirm-error"), error);
    }
  });

  // Cancelled: the draft is discarded (kept with its audit trail, never sent).
  async function cancel() {
    if (draftId !== null) {
      const id = draftId;
      draftId = null;
      await api("DELETE", `/api/actions/${id}`).catch(() => null);
    }
  }
  $("confirm-cancel").addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => { if (!starting) cancel(); });
})();
