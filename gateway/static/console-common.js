// Shared by the console's pages: the page's data, words, numbers, and API calls that carry the
// session's CSRF token. Plain JavaScript, no build step.
"use strict";

const Console = (() => {
  const data = JSON.parse(document.getElementById("page-data").textContent);
  const lang = document.documentElement.lang || "nl";
  const numberFormat = new Intl.NumberFormat(lang === "nl" ? "nl-NL" : "en-GB");

  function t(key, values) {
    let text = data.messages[key] || key;
    for (const [name, value] of Object.entries(values || {})) {
      text = text.split("{" + name + "}").join(value);
    }
    return text;
  }

  // The API answers every refusal as {"error": {"field", "message"}}: show both, as sent.
  class ApiError extends Error {
    constructor(status, body) {
      const error = (body && body.error) || {};
      super(error.field ? `${error.field}: ${error.message}` : (error.message || t("error.generic", {status})));
      this.status = status;
      this.field = error.field;
    }
  }

  async function api(method, path, body, signal) {
    const options = {method, signal, credentials: "same-origin",
                     headers: {"X-CSRF-Token": data.csrf, "Accept": "application/json"}};
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(path, options);
    const answer = await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, answer);
    return answer;
  }

  function debounce(fn, ms) {
    let timer = null;
    return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
  }

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value !== null && value !== undefined) node.setAttribute(name, value);
    }
    for (const child of children) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  function show(node, visible) { node.hidden = !visible; }

  // Reach per channel as small labelled chips: "spraak 20", "sms 18".
  function channelChips(list, reach) {
    list.replaceChildren(...data.config.channels.filter((c) => reach[c]).map((c) =>
      el("li", {"data-channel": c}, `${t("channel." + c)} ${numberFormat.format(reach[c])}`)));
  }

  return {data, config: data.config, t, n: (v) => numberFormat.format(v), api, debounce, el, show,
          channelChips};
})();
