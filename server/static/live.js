// A live channel to the server: reconnects by itself with backoff, pings so
// the server can tell a vanished phone from a quiet one, and remembers the
// last event id so a reconnect catches up on exactly what was missed.

const PING_EVERY_MS = 15000;
const MAX_BACKOFF_MS = 15000;
// A connection counts as healthy (and backoff starts over) only after this
// long; a server that accepts and then drops at once is not hammered.
const HEALTHY_AFTER_MS = 5000;
// Close code 1013 "try again later": the server is overloaded (its database
// did not answer) or this client fell behind. Back off at least this long.
const TRY_AGAIN_LATER = 1013;
const TRY_AGAIN_LATER_MS = 4000;

export class LiveChannel {
  /**
   * @param {object} options
   * @param {string} options.path      WebSocket path, e.g. "/api/v1/live"
   * @param {(event: object) => void} options.onEvent
   * @param {(state: string) => void} [options.onState]  "open" | "reconnecting" | "closed"
   * @param {() => object|null} [options.hello]  first message (guest auth), or null
   * @param {(code: number) => boolean} [options.isFinal]  close codes not to retry
   */
  constructor({ path, onEvent, onState = () => {}, hello = null, isFinal = () => false }) {
    this.path = path;
    this.onEvent = onEvent;
    this.onState = onState;
    this.hello = hello;
    this.isFinal = isFinal;
    this.lastId = 0;
    this.attempt = 0;
    this.stopped = false;
  }

  start(lastId = 0) {
    this.lastId = lastId;
    this.connect();
    return this;
  }

  /** Send a message on the socket (a signal); false when it is not open. */
  send(message) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  stop() {
    this.stopped = true;
    clearInterval(this.pinger);
    if (this.socket) this.socket.close(1000);
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const joiner = this.path.includes("?") ? "&" : "?";
    const after = this.hello ? "" : `${joiner}after=${this.lastId}`;
    return `${scheme}//${location.host}${this.path}${after}`;
  }

  connect() {
    if (this.stopped) return;
    const socket = new WebSocket(this.url());
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.healthy = setTimeout(() => {
        this.attempt = 0;
      }, HEALTHY_AFTER_MS);
      if (this.hello) socket.send(JSON.stringify({ ...this.hello(), after: this.lastId }));
      this.pinger = setInterval(() => socket.send(JSON.stringify({ type: "ping" })), PING_EVERY_MS);
      this.onState("open");
    });
    socket.addEventListener("message", (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      if (event.type === "pong") return;
      if (typeof event.id === "number") this.lastId = Math.max(this.lastId, event.id);
      this.onEvent(event);
    });
    socket.addEventListener("close", (closed) => {
      clearInterval(this.pinger);
      clearTimeout(this.healthy);
      if (this.stopped) return;
      if (this.isFinal(closed.code)) {
        this.onState("closed", closed.code);
        return;
      }
      this.onState("reconnecting");
      // 0.5 s, 1 s, 2 s ... up to 15 s, with jitter so a restarted server
      // is not hit by every client in the same instant.
      let backoff = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempt++);
      if (closed.code === TRY_AGAIN_LATER) backoff = Math.max(backoff, TRY_AGAIN_LATER_MS);
      setTimeout(() => this.connect(), backoff * (0.5 + Math.random() / 2));
    });
  }
}

/** The strings a page's server put in its JSON data block. */
export function pageStrings() {
  const block = document.getElementById("strings");
  return block ? JSON.parse(block.textContent) : {};
}

/** Fill "{name}" placeholders. A plural entry ({plural, one, other}, as the
 *  server's catalog sends it) first takes the form for the count in
 *  values[entry.plural] under the page language's rules, as translate() does. */
export function format(text, values = {}) {
  const rules = new Intl.PluralRules(document.documentElement.lang || "ja");
  while (text && typeof text === "object") {
    const count = values[text.plural];
    text = text[typeof count === "number" ? rules.select(count) : "other"] ?? text.other;
  }
  return (text || "").replace(/\{(\w+)\}/g, (_, key) => (key in values ? values[key] : `{${key}}`));
}

/** fetch() for the console's own API: JSON in and out, CSRF header added. */
export async function api(path, { method = "GET", body, headers = {} } = {}) {
  const csrf = document.querySelector('meta[name="csrf-token"]');
  const response = await fetch(path, {
    method,
    headers: {
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...(csrf && method !== "GET" ? { "x-csrf-token": csrf.content } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  return { ok: response.ok, status: response.status, data };
}
