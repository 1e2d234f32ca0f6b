// An action, live: counters, progress, areas and tips from the server-sent events of
// /api/actions/{id}/events (EventSource reconnects by itself; the event id carries the tip feed
// on), and the operator's widen / update / close, each previewed by the service first.
"use strict";

(() => {
  const {t, n, api, el, show, channelChips, config} = Console;
  const $ = (id) => document.getElementById(id);
  const id = config.action_id;
  const areaMap = AreaMap.create($("map"), {radius: () => Number($("radius").value) || 1500});
  areaMap.showAreas(config.areas);
  let status = null, startedAt = config.started_at ? new Date(config.started_at) : null, closedAt = null;
  let areaCount = config.areas.length;

  // ---- the live state ----
  function render(state) {
    status = state.status;
    $("status").textContent = t("status." + state.status);
    $("status").className = "badge status-" + state.status;
    startedAt = state.started_at ? new Date(state.started_at) : null;
    closedAt = state.closed_at ? new Date(state.closed_at) : null;
    if (state.outcome) {
      $("outcome").querySelector("span").textContent = state.outcome;
      show($("outcome"), true);
    }
    $("progress").max = Math.max(state.total, 1);
    $("progress").value = state.done;
    $("progress-text").textContent = t("progress.of", {done: n(state.done), total: n(state.total)});
    $("counters").replaceChildren(...config.counters.map((name) =>
      el("li", {"data-counter": name, class: "counter " + name},
         el("span", {class: "value"}, n(state.counters[name])), el("span", {class: "label"}, t("counter." + name)))));
    $("states").replaceChildren(...Object.entries(state.states).map(([s, count]) =>
      el("li", {"data-state": s}, `${t("state." + s)}: ${n(count)}`)));
    const lines = [];
    const f = (x) => ({done: n(x.done), total: n(x.total)});
    if (state.followups.update.total) lines.push(t("action.updates", f(state.followups.update)));
    if (state.followups.outcome.total) lines.push(t("action.outcome_sent", f(state.followups.outcome)));
    $("followups").textContent = lines.join(" · ");
    // Heterdaadkracht: each group reached, its administrator (masked) and every message's state.
    if ($("groups-reached") && state.groups_reached.length) {
      $("groups-reached").replaceChildren(...state.groups_reached.map((group) => el("li",
        {"data-group": group.id}, `${group.name || "–"} (${group.administrator}): ` +
        group.messages.map((m) => `${t("purpose." + m.purpose)} ${m.channel}` +
          ` ${t("state." + m.status)}${m.error_code ? " (" + m.error_code + ")" : ""}`).join(", "))));
    }
    $("updates").replaceChildren(...state.updates.map((u) => el("li", {"data-update": u.id},
      el("time", {datetime: u.created_at}, new Date(u.created_at).toLocaleTimeString(
        document.documentElement.lang, {hour: "2-digit", minute: "2-digit"})), " ", u.text)));
    if (state.areas.length !== areaCount) {
      areaCount = state.areas.length;
      areaMap.showAreas(state.areas);
    }
    const active = state.status === "active" && config.may_write;
    for (const panel of ["widen-panel", "update-panel", "close-panel"]) show($(panel), active);
    state.tips.forEach(addTip);
    tick();
    // A closed action whose every delivery is final changes no more (the tip line links
    // calls only to active actions): stop reconnecting.
    // Everyone reached has an outcome delivery (made by a job just after the close), and every
    // delivery is final.
    const settled = (x) => x.done === x.total;
    const {update, outcome} = state.followups;
    if (state.status === "discarded" || (state.status === "closed" && settled(state)
        && settled(update) && settled(outcome) && outcome.total >= state.reached)) {
      events.close();
      $("live").textContent = "";
    }
  }

  // One tip, newest on top; an event may carry a tip again (handled, a note): it is redrawn.
  // The recording plays in the page, through the app (GET /api/tips/{id}/recording), which
  // fetches it from the provider with our credentials.
  function addTip(tip) {
    const list = $("tips");
    const empty = list.querySelector(".empty");
    if (empty) empty.remove();
    const clock = (iso) => new Date(iso).toLocaleTimeString(document.documentElement.lang,
                                                           {hour: "2-digit", minute: "2-digit", second: "2-digit"});
    const item = el("li", {"data-tip": tip.id, class: tip.handled ? "tip handled" : "tip"},
      el("time", {datetime: tip.created_at}, clock(tip.created_at)), " ",
      el("strong", null, t("kind." + tip.kind)),
      tip.channel ? ` · ${t("channel." + tip.channel)}` : null,
      ` · ${tip.caller}`,
      el("span", {class: tip.alerted ? "alerted" : "not-alerted"},
         ` · ${tip.alerted_at ? t("tip.alerted_at", {time: clock(tip.alerted_at)})
                              : t(tip.alerted ? "action.alerted" : "action.not_alerted")}`),
      tip.duration_s ? ` · ${t("action.seconds", {n: tip.duration_s})}` : null,
      tip.handled ? el("span", {class: "handled-mark"}, ` · ${t("tip.handled")}`) : null,
      tip.body ? el("p", {class: "message"}, tip.body) : null,
      tip.recording_url ? el("audio", {controls: "", preload: "none", src: tip.recording_url,
                                       "aria-label": t("tip.player", {id: tip.id})}) : null,
      tipControls(tip));
    const known = list.querySelector(`[data-tip="${tip.id}"]`);
    if (known) known.replaceWith(item); else list.prepend(item);
  }

  // Handled and a note, for operators who may act (PATCH /api/tips/{id}, with the CSRF token).
  function tipControls(tip) {
    if (!config.may_write) return tip.note ? el("p", {class: "note"}, tip.note) : null;
    const note = el("input", {type: "text", maxlength: "2000", "aria-label": t("tip.note"),
                              placeholder: t("tip.note"), value: tip.note || ""});
    const save = el("button", {type: "button"}, t("tip.save_note"));
    const toggle = el("button", {type: "button"}, t(tip.handled ? "tip.mark_open" : "tip.mark_handled"));
    const status = el("span", {class: "error", role: "status"});
    const send = async (change) => {
      try { addTip({...tip, ...(await api("PATCH", `/api/tips/${tip.id}`, change)), caller: tip.caller}); }
      catch (error) { status.textContent = error.message; }
    };
    save.addEventListener("click", () => send({note: note.value.trim() || null}));
    toggle.addEventListener("click", () => send({handled: !tip.handled}));
    return el("div", {class: "tip-controls"}, note, save, toggle, status);
  }

  function tick() {
    if (!startedAt) { $("elapsed").textContent = "–"; return; }
    const seconds = Math.max(0, Math.floor(((closedAt || new Date()) - startedAt) / 1000));
    const h = Math.floor(seconds / 3600), m = Math.floor(seconds / 60) % 60, s = seconds % 60;
    $("elapsed").textContent = (h ? h + ":" : "") + String(m).padStart(h ? 2 : 1, "0") + ":" + String(s).padStart(2, "0");
  }
  setInterval(tick, 1000);

  // EventSource reconnects by itself after a dropped stream, but not after an error status
  // (503: the server has enough open streams): then we open a new one a little later.
  let events = null;
  function follow() {
    events = new EventSource(`/api/actions/${id}/events`);
    events.addEventListener("state", (event) => {
      $("live").textContent = t("action.live");
      render(JSON.parse(event.data));
    });
    events.addEventListener("error", () => {
      $("live").textContent = t("action.reconnecting");
      if (events.readyState === EventSource.CLOSED) setTimeout(follow, 5000);
    });
  }
  follow();

  if (!config.may_write) return;

  // ---- widen: draw again; the preview counts only the newly covered ----
  AreaMap.tools(areaMap, {circle: "tool-circle", polygon: "tool-polygon", close: "close-polygon",
                          clear: "clear-area", help: "map-help", lat: "centre-lat", lon: "centre-lon",
                          radius: "radius", apply: "apply-centre"});
  let widenAbort = null;
  areaMap.onChange(Console.debounce(async (area) => {
    $("widen-submit").disabled = true;
    show($("widen-error"), false);
    if (!area) { $("widen-preview").textContent = ""; $("widen-channels").replaceChildren(); return; }
    if (widenAbort) widenAbort.abort();
    widenAbort = new AbortController();
    try {
      const added = await api("POST", `/api/actions/${id}/widen/preview`, {area}, widenAbort.signal);
      $("widen-preview").textContent = t("widen.adds", {total: n(added.total)});
      channelChips($("widen-channels"), added);
      $("widen-submit").disabled = false;
    } catch (error) {
      if (error.name !== "AbortError") { $("widen-error").textContent = error.message; show($("widen-error"), true); }
    }
  }, 350));
  $("widen-submit").addEventListener("click", async () => {
    $("widen-submit").disabled = true;
    try {
      const answer = await api("POST", `/api/actions/${id}/widen`, {area: areaMap.area()});
      $("widen-done").textContent = t("widen.adds", {total: n(answer.added.total)}) + " ✓";
      areaMap.clear();
    } catch (error) {
      $("widen-error").textContent = error.message;
      show($("widen-error"), true);
    }
  });

  // ---- update and close: the text is previewed (who gets it, by which channel, the SMS) ----
  function followup(kind, field, line) {
    const text = $(kind + "-text"), submit = $(kind + "-submit"), error = $(kind + "-error");
    let abort = null;
    text.addEventListener("input", Console.debounce(async () => {
      submit.disabled = true;
      show(error, false);
      if (!text.value.trim()) { $(kind + "-preview").textContent = ""; return; }
      if (abort) abort.abort();
      abort = new AbortController();
      try {
        const preview = await api("POST", `/api/actions/${id}/${kind}/preview`, {[field]: text.value}, abort.signal);
        $(kind + "-preview").textContent = `${t(line, {total: n(preview.total)})} · ${t("preview.segments",
          {encoding: preview.sms_encoding, segments: preview.sms_segments})}`;
        const chips = $(kind + "-channels");
        if (chips) channelChips(chips, preview);
        submit.disabled = false;
      } catch (e) {
        if (e.name !== "AbortError") { error.textContent = e.message; show(error, true); }
      }
    }, 350));
    submit.addEventListener("click", async () => {
      submit.disabled = true;
      try {
        await api("POST", `/api/actions/${id}/${kind}`, {[field]: text.value});
        const done = $(kind + "-done");
        if (done) done.textContent = t("done.sent");
        text.value = "";
        $(kind + "-preview").textContent = "";
      } catch (e) {
        error.textContent = e.message;
        show(error, true);
        submit.disabled = false;
      }
    });
  }
  followup("update", "text", "update.to");
  followup("close", "outcome", "close.to");
})();
