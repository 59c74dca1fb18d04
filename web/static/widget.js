/* Shoutout widgets: <shoutout-leaderboard>, <shoutout-feed>, <shoutout-give>, <shoutout-wall>.
 * One script tag, no framework, no build step:
 *   <script src="https://shoutout.example.com/widget.js" data-key="swk_..." defer></script>
 * Each component takes `api` (default: where this script came from), `key` (a widget key, for
 * boards and feeds) and `token` (a user's bearer token, for giving) as attributes or
 * properties; `data-key` / `data-token` on the script tag set them for every component.
 * A campaign board: <shoutout-leaderboard period="campaign" campaign-id="..."> (or
 * `campaign="..."`); without one, the campaign running today.
 * When <shoutout-give> sends a shout-out it dispatches `shoutout-sent` (bubbling, composed); the
 * boards and feeds on the page refresh on it at once.
 * Colours come from CSS custom properties (--shoutout-*), so the intranet can theme them; the
 * wall has its own (--shoutout-wall-*), light on dark, every text at least 4.5:1. */
(() => {
  "use strict";
  const script = document.currentScript;
  const defaults = {
    api: script ? new URL(script.src, location.href).origin : location.origin,
    key: script && script.dataset.key,
    token: script && script.dataset.token,
  };
  const VALUES = [
    ["helping_others", "H", "Helping others"],
    ["exceeding_expectations", "E", "Exceeding expectations"],
    ["achieving_goals", "A", "Achieving goals"],
    ["responding_with_care", "R", "Responding with care"],
    ["thriving_through_teamwork", "T", "Thriving through teamwork"],
  ];
  const LABEL = Object.fromEntries(VALUES.map(([code, , label]) => [code, label]));
  const LETTER = Object.fromEntries(VALUES.map(([code, letter]) => [code, letter]));
  const PERIODS = {
    week: "this week", month: "this month", quarter: "this quarter", year: "this year",
    all_time: "of all time", rolling_7d: "in the last 7 days", rolling_30d: "in the last 30 days",
    rolling_365d: "in the last 365 days", campaign: "in the campaign",
  };
  const UNREACHABLE = "Shoutout can't be reached right now. Retrying…";
  const BUSY = "Shoutout is busy. Sending again…";
  // How often a shout-out is sent again before the person is asked to retry.
  const SEND_RETRIES = 3;
  // How often a board, feed or wall asks a busy service again before its next refresh.
  const REFRESH_RETRIES = 4;
  // The longest pause before asking again, whatever `Retry-After` says.
  const LONGEST_PAUSE_S = 10;
  // The last write's position in the primary's log (`Shoutout-Consistency`), shared by every
  // widget on the page; null until this page writes.
  let readAfter = null;

  // Styles go in through adopted style sheets, which a page's Content-Security-Policy allows
  // where inline <style> would be refused.
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(`
:host { --_bg: var(--shoutout-bg, #fff); --_fg: var(--shoutout-fg, #1b1b1f);
  --_muted: var(--shoutout-muted, #55555f); --_accent: var(--shoutout-accent, #a4123f);
  --_on-accent: var(--shoutout-on-accent, #fff); --_line: var(--shoutout-line, #d4d4dc);
  --_error: var(--shoutout-error, #b00020); --_radius: var(--shoutout-radius, 8px);
  display: block; font-family: var(--shoutout-font, system-ui, sans-serif); line-height: 1.45;
  color: var(--_fg); background: var(--_bg); border: 1px solid var(--_line);
  border-radius: var(--_radius); padding: 1rem; box-sizing: border-box; }
:host([hidden]) { display: none; }
h2 { font-size: 1.1rem; margin: 0 0 .6rem; }
ol, ul { list-style: none; margin: 0; padding: 0; }
li { display: flex; gap: .6rem; align-items: baseline; padding: .35rem 0; border-top: 1px solid var(--_line); }
li:first-child { border-top: 0; }
.rank { min-width: 1.6rem; font-weight: 700; color: var(--_muted); }
.name { flex: 1; font-weight: 600; }
.count { font-weight: 700; color: var(--_accent); }
.badge { display: inline-block; min-width: 1.3em; text-align: center; font-size: .8em; font-weight: 700;
  border-radius: 999px; background: var(--_accent); color: var(--_on-accent); padding: 0 .35em; }
.muted { color: var(--_muted); font-size: .9em; }
.item { display: block; }
.item p { margin: .15rem 0; }
.status { color: var(--_muted); font-size: .9rem; margin: .4rem 0 0; }
.status.error, .error { color: var(--_error); font-weight: 600; }
span.error { display: block; }
span.error:empty { display: none; }
label, legend { font-weight: 600; display: block; margin: .6rem 0 .25rem; }
fieldset { border: 1px solid var(--_line); border-radius: var(--_radius); margin: .6rem 0; padding: .2rem .8rem .6rem; }
fieldset label { font-weight: 400; display: flex; gap: .4rem; margin: .2rem 0; }
input[type=search], textarea { box-sizing: border-box; width: 100%; font: inherit; color: var(--_fg);
  background: var(--_bg); border: 2px solid var(--_muted); border-radius: var(--_radius); padding: .45rem .55rem; }
textarea { min-height: 5rem; resize: vertical; }
[aria-invalid=true] { border-color: var(--_error); }
button { font: inherit; cursor: pointer; border-radius: var(--_radius); border: 2px solid var(--_accent);
  background: var(--_accent); color: var(--_on-accent); padding: .35rem .8rem; margin: .15rem .25rem .15rem 0; }
button.quiet { background: transparent; color: var(--_fg); border-color: var(--_line); }
button:disabled { opacity: .6; cursor: wait; }
:focus-visible { outline: 3px solid var(--_accent); outline-offset: 2px; }
.chips { display: flex; flex-wrap: wrap; gap: .25rem; margin: .3rem 0; }
.results li { border: 0; padding: 0; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
:host(.wall) { --_bg: var(--shoutout-wall-bg, #14141c); --_fg: var(--shoutout-wall-fg, #f7f7fa);
  --_muted: var(--shoutout-wall-muted, #b9b9c6); --_line: var(--shoutout-wall-line, #34343f);
  --_accent: var(--shoutout-wall-accent, #ff7aa2); --_on-accent: var(--shoutout-wall-on-accent, #14141c);
  --_error: var(--shoutout-wall-error, #ff8a80);
  min-height: 100vh; padding: 3vh 4vw; border: 0; border-radius: 0; font-size: clamp(16px, 2vw, 40px);
  display: flex; flex-direction: column; }
.wall header { display: flex; justify-content: space-between; align-items: baseline; }
.wall header h2 { font-size: 1.2em; }
.stage { flex: 1; display: flex; flex-direction: column; justify-content: center; min-height: 40vh; }
.card { animation: arrive .6s ease-out; }
.card .who { font-size: 2.2em; font-weight: 800; margin: 0 0 .2em; }
.card .message { font-size: 1.4em; margin: .2em 0 .4em; }
.card .value { font-size: 1em; }
.board li { font-size: 1.2em; }
.recent li { font-size: .7em; }
@keyframes arrive { from { opacity: 0; transform: translateY(1.5rem); } to { opacity: 1; transform: none; } }
@media (prefers-reduced-motion: reduce) { * { animation: none !important; transition: none !important; } }
`);

  /** Builds an element; strings become text nodes, never HTML. */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
      else if (name === "text") el.textContent = value;
      else el.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child !== undefined && child !== null && child !== false) {
        el.append(child instanceof Node ? child : String(child));
      }
    }
    return el;
  }

  const names = (people) => people.map((p) => p.display_name).join(", ");
  const giverName = (s) =>
    s.giver.kind === "employee" ? s.giver.employee.display_name : s.giver.name || "A customer";
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const uuid = () => (crypto.randomUUID ? crypto.randomUUID()
    : "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) =>
      (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16)));

  class ApiError extends Error {
    constructor(status, problem, retryAfter) {
      super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
      this.status = status;
      this.problem = problem || {};
      // Seconds the service asked for before trying again (a 503's `Retry-After`), if any.
      this.retryAfter = retryAfter || null;
    }
  }

  class Base extends HTMLElement {
    constructor() {
      super();
      this.attachShadow({ mode: "open" }).adoptedStyleSheets = [sheet];
    }
    get api() { return (this.getAttribute("api") || defaults.api).replace(/\/$/, ""); }
    get key() { return this.getAttribute("key") || defaults.key; }
    get token() { return this._token || this.getAttribute("token") || defaults.token; }
    set token(value) { this._token = value; }
    headers(user) {
      const headers = { Accept: "application/json" };
      if (this.token && (user || !this.key)) headers.Authorization = `Bearer ${this.token}`;
      else if (this.key) headers["X-Widget-Key"] = this.key;
      return headers;
    }
    /** GET or POST to the API; resolves to the JSON body, rejects with an ApiError. */
    async call(path, options = {}) {
      let response;
      const writing = options.method && options.method !== "GET";
      // After this page wrote, its reads carry the write's position, so that a service
      // reading from replicas answers with the write in (the board the giver refreshes).
      const after = !writing && readAfter ? { "Shoutout-Consistency": readAfter } : {};
      try {
        response = await fetch(this.api + path, {
          cache: "no-cache", // revalidates with the stored ETag: a 304 costs no body
          ...options,
          headers: { ...this.headers(options.user), ...after, ...(options.headers || {}) },
        });
      } catch (e) {
        throw new ApiError(0, { detail: UNREACHABLE });
      }
      if (writing && response.ok) readAfter = response.headers.get("Shoutout-Consistency") || readAfter;
      const body = await response.json().catch(() => null);
      if (!response.ok) {
        throw new ApiError(response.status, body, Number(response.headers.get("Retry-After")));
      }
      return body;
    }
    connectedCallback() {
      this.render();
      this.refresh();
      const every = Number(this.getAttribute("refresh") || 60);
      if (every > 0) this._timer = setInterval(() => this.refresh(), Math.max(every, 5) * 1000);
      // A shout-out given on this page shows at once, not at the next refresh.
      this._onSent = () => this.refresh();
      document.addEventListener("shoutout-sent", this._onSent);
    }
    disconnectedCallback() {
      clearInterval(this._timer);
      clearTimeout(this._again);
      document.removeEventListener("shoutout-sent", this._onSent);
      if (this._abort) this._abort.abort();
    }
    /** Shows a problem where the component's content would be, keeping what it last showed. */
    status(text, error) {
      if (!this._status) return;
      this._status.textContent = text || "";
      this._status.className = error ? "status error" : "status";
    }
    failed(e) {
      this.status(e.status === 0 ? UNREACHABLE : `Shoutout answered: ${e.message}`, true);
    }
    /**
     * A refresh that failed. A busy service (503) or a lost connection is asked again soon,
     * after its `Retry-After` (else 1, 2, 4, 8 s), rather than at the next refresh a minute
     * later; after four such tries in a row, or on any other error, the next refresh it is.
     */
    refreshFailed(e) {
      this.failed(e);
      if (e.status !== 503 && e.status !== 0) return;
      this._misses = (this._misses || 0) + 1;
      if (this._misses > REFRESH_RETRIES) return;
      clearTimeout(this._again);
      const pause = Math.min(e.retryAfter || 2 ** (this._misses - 1), LONGEST_PAUSE_S);
      this._again = setTimeout(() => this.refresh(), pause * 1000);
    }
    /** A refresh that worked (a retry's or the periodic one): no retry is left waiting, and
     * the next failure may be retried soon again. */
    refreshed() {
      clearTimeout(this._again);
      this._misses = 0;
    }
    render() {}
    refresh() {}
  }

  class Leaderboard extends Base {
    static get observedAttributes() { return ["board", "period", "value", "team", "limit", "campaign", "campaign-id"]; }
    // Before the first render (attributes parsed on upgrade) there is nothing to refresh yet.
    attributeChangedCallback() { if (this._status) this.refresh(); }
    render() {
      this._title = h("h2", { id: "title" });
      this._list = h("ol", { "aria-labelledby": "title" });
      this._status = h("p", { class: "status", role: "status" });
      this.shadowRoot.replaceChildren(this._title, this._list, this._status);
    }
    async refresh() {
      const board = this.getAttribute("board") || "recipients";
      const period = this.getAttribute("period") || "month";
      const query = new URLSearchParams({ period, limit: this.getAttribute("limit") || "10" });
      for (const name of ["value", "team"]) {
        const v = this.getAttribute(name);
        if (v) query.set(name === "team" ? "team_id" : name, v);
      }
      const campaign = this.getAttribute("campaign-id") || this.getAttribute("campaign");
      if (period === "campaign" && campaign) query.set("campaign_id", campaign);
      const what = { recipients: "Most thanked", givers: "Most thankful", teams: "Top teams" }[board];
      const value = this.getAttribute("value");
      this._title.textContent = this.getAttribute("heading") ||
        `${what || board} ${PERIODS[period] || ""}${value ? ` · ${LABEL[value] || value}` : ""}`;
      try {
        const data = await this.call(`/api/v1/leaderboards/${encodeURIComponent(board)}?${query}`);
        this._list.replaceChildren(...data.entries.map((e) => h("li", {},
          h("span", { class: "rank", text: e.rank }),
          h("span", { class: "name", text: e.employee ? e.employee.display_name : e.team.name }),
          h("span", { class: "count", text: e.count, "aria-label": `${e.count} shout-outs` }))));
        this.status(data.entries.length ? "" : "No shout-outs yet. Be the first!");
        this.refreshed();
      } catch (e) {
        this.refreshFailed(e);
      }
    }
  }

  function shoutoutItem(s) {
    return h("li", { class: "item", "data-id": s.id },
      h("p", {}, h("span", { class: "badge", title: LABEL[s.value], "aria-hidden": "true", text: LETTER[s.value] }),
        " ", h("strong", { text: names(s.recipients) }),
        h("span", { class: "muted", text: ` · ${LABEL[s.value]}` })),
      h("p", { text: s.message }),
      h("p", { class: "muted", text: `from ${giverName(s)} · ${new Date(s.created_at).toLocaleDateString()}` }));
  }

  class Feed extends Base {
    static get observedAttributes() { return ["team", "value", "limit"]; }
    attributeChangedCallback() { if (this._status) this.refresh(); }
    render() {
      this._list = h("ul", { "aria-label": this.getAttribute("heading") || "Latest shout-outs" });
      this._status = h("p", { class: "status", role: "status" });
      this.shadowRoot.replaceChildren(
        h("h2", { text: this.getAttribute("heading") || "Latest shout-outs" }), this._list, this._status);
    }
    async refresh() {
      const query = new URLSearchParams({ limit: this.getAttribute("limit") || "5" });
      if (this.getAttribute("team")) query.set("team_id", this.getAttribute("team"));
      if (this.getAttribute("value")) query.set("value", this.getAttribute("value"));
      try {
        const data = await this.call(`/api/v1/shoutouts?${query}`);
        this._list.replaceChildren(...data.items.map(shoutoutItem));
        this.status(data.items.length ? "" : "No shout-outs yet.");
        this.refreshed();
      } catch (e) {
        this.refreshFailed(e);
      }
    }
  }

  class Give extends Base {
    /** Who is signed in, so the search never offers them (nobody thanks themselves). */
    async whoAmI() {
      if (!this._me) {
        this._me = this.call("/api/v1/me", { user: true })
          .then((me) => (me.employee ? me.employee.id : null))
          .catch(() => { this._me = null; return null; });
      }
      return this._me;
    }
    render() {
      this._chosen = new Map();
      this._search = h("input", { type: "search", id: "who", autocomplete: "off",
        "aria-describedby": "who-hint who-error", oninput: () => this.searchSoon(),
        onkeydown: (e) => { if (e.key === "ArrowDown") { e.preventDefault(); this.focusResult(0); } } });
      this._results = h("ul", { class: "results", "aria-label": "Matching colleagues" });
      this._chips = h("div", { class: "chips", "aria-label": "Chosen colleagues", role: "group" });
      this._values = h("fieldset", { "aria-describedby": "value-error", onchange: () => this.clearError("value") }, h("legend", { text: "Which value did they live?" }),
        VALUES.map(([code, letter, label]) => h("label", {},
          h("input", { type: "radio", name: "value", value: code }),
          h("span", { class: "badge", "aria-hidden": "true", text: letter }), label)));
      this._message = h("textarea", { id: "message", maxlength: "1000", required: true,
        "aria-describedby": "message-error", oninput: () => this.clearError("message") });
      this._send = h("button", { type: "submit", text: "Send thanks" });
      this._status = h("p", { class: "status", role: "status", "aria-live": "polite" });
      this._form = h("form", { novalidate: true, onsubmit: (e) => { e.preventDefault(); this.submit(); } },
        h("h2", { text: this.getAttribute("heading") || "Thank a colleague" }),
        h("label", { for: "who", text: "Who do you want to thank?" }),
        h("span", { id: "who-hint", class: "muted", text: "Type a name, then choose from the list." }),
        this._search, h("span", { id: "who-error", class: "error" }), this._results, this._chips,
        this._values, h("span", { id: "value-error", class: "error" }),
        h("label", { for: "message", text: "What did they do?" }), this._message,
        h("span", { id: "message-error", class: "error" }), this._send, this._status);
      this.shadowRoot.replaceChildren(this._form);
    }
    refresh() {}
    searchSoon() {
      clearTimeout(this._searchTimer);
      this._searchTimer = setTimeout(() => this.search(), 200);
    }
    async search() {
      const q = this._search.value.trim();
      if (q.length < 1) { this._results.replaceChildren(); return; }
      try {
        const [data, me] = await Promise.all([
          this.call(`/api/v1/employees?${new URLSearchParams({ q, limit: "9" })}`, { user: true }),
          this.whoAmI(),
        ]);
        const people = data.items.filter((p) => p.active && p.id !== me && !this._chosen.has(p.id)).slice(0, 8);
        this._results.replaceChildren(...people.map((p, i) =>
          h("li", {}, h("button", { type: "button", class: "quiet", "data-index": i,
            onclick: () => this.choose(p),
            onkeydown: (e) => this.resultKey(e, i) },
          p.display_name, p.title ? h("span", { class: "muted", text: ` · ${p.title}` }) : null))));
        this.status(people.length ? "" : `Nobody else called “${q}”.`);
      } catch (e) {
        this.showProblem(e);
      }
    }
    focusResult(i) {
      const buttons = this._results.querySelectorAll("button");
      if (buttons.length) buttons[Math.max(0, Math.min(i, buttons.length - 1))].focus();
    }
    resultKey(e, i) {
      if (e.key === "ArrowDown") { e.preventDefault(); this.focusResult(i + 1); }
      if (e.key === "ArrowUp") { e.preventDefault(); if (i === 0) this._search.focus(); else this.focusResult(i - 1); }
      if (e.key === "Escape") { this._results.replaceChildren(); this._search.focus(); }
    }
    choose(person) {
      this._chosen.set(person.id, person);
      this._search.value = "";
      this._results.replaceChildren();
      this.drawChips();
      this.clearError("who");
      this._search.focus();
      this.status(`${person.display_name} added.`);
      this._idempotency = null;
    }
    drawChips() {
      this._chips.replaceChildren(...[...this._chosen.values()].map((p) => h("button", {
        type: "button", class: "quiet", "aria-label": `Remove ${p.display_name}`,
        onclick: () => { this._chosen.delete(p.id); this.drawChips(); this._search.focus(); } }, `${p.display_name} ✕`)));
    }
    /** Clears one field's error (`who`, `value` or `message`) once the person fixes it. */
    clearError(name) {
      this.shadowRoot.getElementById(`${name}-error`).textContent = "";
      ({ who: this._search, value: this._values, message: this._message })[name].removeAttribute("aria-invalid");
    }
    clearErrors() {
      for (const name of ["who", "value", "message"]) this.clearError(name);
    }
    showProblem(e) {
      const fields = { recipient_ids: [this._search, "who-error"], value: [this._values, "value-error"],
        message: [this._message, "message-error"] };
      let first = null;
      for (const { field, message } of e.problem.errors || []) {
        const [el, errorId] = fields[field.split(/[.[]/)[0]] || [];
        if (!el) continue;
        el.setAttribute("aria-invalid", "true");
        this.shadowRoot.getElementById(errorId).textContent = message;
        first = first || el;
      }
      this.status(e.status === 0 ? UNREACHABLE : e.message, true);
      if (first) (first.querySelector ? first.querySelector("input") || first : first).focus();
    }
    async submit() {
      this.clearErrors();
      const value = (this._values.querySelector("input:checked") || {}).value;
      const body = { recipient_ids: [...this._chosen.keys()], value, message: this._message.value.trim() };
      const missing = [];
      if (!body.recipient_ids.length) missing.push({ field: "recipient_ids", message: "Choose at least one colleague." });
      if (!value) missing.push({ field: "value", message: "Choose the value they lived." });
      if (!body.message) missing.push({ field: "message", message: "Say what they did." });
      if (missing.length) return this.showProblem(new ApiError(422, { detail: "Please check the form.", errors: missing }));
      // One key per shout-out: a retry after a lost answer cannot send it twice.
      this._idempotency = this._idempotency || uuid();
      this._send.disabled = true;
      this.status("Sending…");
      const send = () => this.call("/api/v1/shoutouts", {
        method: "POST", user: true, cache: "no-store", body: JSON.stringify(body),
        headers: { "Content-Type": "application/json", "Idempotency-Key": this._idempotency },
      });
      try {
        let shoutout;
        // A busy service (503: no connection free in time, two writers collided) or a lost
        // answer is sent again by itself, after the pause the service asks for, rather than
        // asking the person to press Send during a burst. The same key makes the service store
        // it once, whichever send got through.
        for (let attempt = 1; ; attempt++) {
          try {
            shoutout = await send();
            break;
          } catch (e) {
            if (attempt > SEND_RETRIES || (e.status !== 503 && e.status !== 0)) throw e;
            this.status(e.status === 0 ? UNREACHABLE : BUSY);
            await sleep(Math.min(e.retryAfter || attempt, LONGEST_PAUSE_S) * 1000);
          }
        }
        this._idempotency = null;
        this._chosen.clear();
        this.drawChips();
        this._message.value = "";
        for (const input of this._values.querySelectorAll("input")) input.checked = false;
        this.status(`Thanks sent to ${names(shoutout.recipients)}.`);
        this.dispatchEvent(new CustomEvent("shoutout-sent", { detail: shoutout, bubbles: true, composed: true }));
      } catch (e) {
        if (e.status && e.status < 500) this._idempotency = null;
        this.showProblem(e);
      } finally {
        this._send.disabled = false;
      }
    }
  }

  /** Reads the live stream with fetch (so it can send headers), resuming with Last-Event-ID. */
  async function follow(component, onEvent, onState) {
    let lastId = null;
    let pause = 1000;
    const signal = component._abort.signal;
    while (!signal.aborted) {
      const timeout = new AbortController();
      let idle;
      const stillAlive = () => { clearTimeout(idle); idle = setTimeout(() => timeout.abort(), 45000); };
      signal.addEventListener("abort", () => timeout.abort(), { once: true });
      try {
        const headers = { ...component.headers(false), Accept: "text/event-stream" };
        if (lastId) headers["Last-Event-ID"] = lastId;
        const response = await fetch(`${component.api}/api/v1/stream`, { headers, cache: "no-store", signal: timeout.signal });
        if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
        onState(true);
        pause = 1000;
        stillAlive();
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          stillAlive();
          buffer += value.replace(/\r\n?/g, "\n");
          let end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = { type: "message", data: [] };
            for (const line of block.split("\n")) {
              const [, field, text] = /^([^:]*):? ?(.*)$/.exec(line) || [];
              if (field === "id") event.id = text;
              else if (field === "event") event.type = text;
              else if (field === "data") event.data.push(text);
            }
            if (event.id) lastId = event.id;
            if (event.data.length) onEvent(event.type, JSON.parse(event.data.join("\n")));
          }
        }
      } catch (e) {
        if (signal.aborted) return;
        if (e instanceof ApiError && e.status) component.failed(e);
      } finally {
        clearTimeout(idle);
      }
      onState(false);
      await sleep(pause);
      pause = Math.min(pause * 2, 30000);
    }
  }

  class Wall extends Base {
    render() {
      this.classList.add("wall");
      this._recent = [];
      this._queue = [];
      this._stage = h("div", { class: "stage", "aria-live": "polite" });
      this._list = h("ul", { class: "recent", "aria-label": "Recent shout-outs" });
      this._status = h("p", { class: "status", role: "status" });
      this.shadowRoot.replaceChildren(h("div", { class: "wall" },
        h("header", {}, h("h2", { text: this.getAttribute("heading") || "Shout-outs, live" }), this._status)),
      this._stage, h("h2", { class: "muted", text: "Just in" }), this._list);
      // Never an empty screen: the board's frame shows until its lines arrive.
      this.showBoard();
      this._abort = new AbortController();
      // `connected` on the element lets the page show (and tests see) that it is live.
      follow(this, (type, data) => this.event(type, data), (up) => {
        this.toggleAttribute("connected", up);
        this.status(up ? "" : UNREACHABLE, !up);
      });
    }
    async refresh() {
      // This week's top people first: they are what the wall shows between shout-outs.
      const board = this.call("/api/v1/leaderboards/recipients?period=week&limit=5");
      const recent = this.call("/api/v1/shoutouts?limit=6");
      recent.catch(() => {}); // awaited below, unless the board fails first
      try {
        this._board = await board;
        if (!this._showing) this.showBoard();
        const data = await recent;
        if (!this._recent.length) {
          this._recent = data.items;
          this.drawRecent();
        }
        // While the stream is down, its own message stays.
        if (this.hasAttribute("connected")) this.status("");
        this.refreshed();
      } catch (e) {
        this.refreshFailed(e);
      }
    }
    event(type, data) {
      if (type === "published") {
        this._recent = [data, ...this._recent.filter((s) => s.id !== data.id)].slice(0, 6);
        this._queue.push(data);
        this.drawRecent();
        if (!this._busy) this.next();
      } else if (type === "retracted") {
        this._recent = this._recent.filter((s) => s.id !== data.id);
        this._queue = this._queue.filter((s) => s.id !== data.id);
        this.drawRecent();
        if (this._showing === data.id) this.showBoard();
      }
    }
    /** Shows queued shout-outs one at a time, then this week's top people until the next. */
    next() {
      clearTimeout(this._turn);
      const shoutout = this._queue.shift();
      if (!shoutout) { this._busy = false; this.showBoard(); return; }
      this._busy = true;
      this._showing = shoutout.id;
      this._stage.replaceChildren(h("article", { class: "card" },
        h("p", { class: "who", text: `Thank you, ${names(shoutout.recipients)}!` }),
        h("p", { class: "message", text: shoutout.message }),
        h("p", { class: "value" }, h("span", { class: "badge", "aria-hidden": "true", text: LETTER[shoutout.value] }),
          ` ${LABEL[shoutout.value]} · from ${giverName(shoutout)}`)));
      const seconds = Number(this.getAttribute("linger") || 12);
      this._turn = setTimeout(() => this.next(), (this._queue.length ? 4 : seconds) * 1000);
    }
    showBoard() {
      this._showing = null;
      const entries = this._board ? this._board.entries : [];
      this._stage.replaceChildren(h("section", { class: "card board" },
        h("h2", { text: "This week's most thanked" }),
        this._board && !entries.length ? h("p", { class: "muted", text: "No shout-outs yet this week. Who will be first?" }) : null,
        !this._board ? h("p", { class: "muted", text: "Loading…" }) : null,
        h("ol", {}, entries.map((e) => h("li", {},
          h("span", { class: "rank", text: e.rank }), h("span", { class: "name", text: e.employee.display_name }),
          h("span", { class: "count", text: e.count }))))));
    }
    drawRecent() {
      this._list.replaceChildren(...this._recent.map(shoutoutItem));
    }
  }

  const define = (name, component) => customElements.get(name) || customElements.define(name, component);
  define("shoutout-leaderboard", Leaderboard);
  define("shoutout-feed", Feed);
  define("shoutout-give", Give);
  define("shoutout-wall", Wall);
})();
