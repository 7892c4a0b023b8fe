/*! Tsunagu: the live channel, for the console and the guest's widget.
 *  An ES module with no dependencies, served at /embed/channel.js. A WebSocket
 *  that reconnects by itself with backoff and jitter, pings so the server can
 *  tell a vanished phone from a quiet one, and remembers the last event id so a
 *  reconnect catches up on exactly what was missed. */

const PING_EVERY_MS = 15000;
// Close code 1013 "try again later": the server is overloaded (its database
// did not answer) or this client fell behind.
const TRY_AGAIN_LATER = 1013;

/**
 * The console's reconnect timing: 0.5 s, 1 s, 2 s ... up to 15 s. A connection
 * counts as healthy (and backoff starts over) only after 5 s open, so a server
 * that accepts and then drops at once is not hammered; after a 1013 it waits at
 * least 4 s.
 */
export const CONSOLE_BACKOFF = { firstMs: 500, maxMs: 15000, healthyAfterMs: 5000, tryAgainLaterMs: 4000 };

/** Waits before reconnecting: doubling from `firstMs` up to `maxMs`, with jitter. */
export class Backoff {
  /**
   * @param {object} timing
   * @param {number} timing.firstMs  the first wait (before jitter)
   * @param {number} timing.maxMs  the longest wait (before jitter)
   * @param {number|null} [timing.healthyAfterMs]  start over once a socket has been
   *   open this long; null: start over on any message received instead
   * @param {number} [timing.tryAgainLaterMs]  the least wait after a close with 1013
   */
  constructor({ firstMs, maxMs, healthyAfterMs = null, tryAgainLaterMs = 0 }) {
    Object.assign(this, { firstMs, maxMs, healthyAfterMs, tryAgainLaterMs });
    this.attempt = 0;
  }

  /** The next wait in ms, after a close with `code`. Jitter (x 0.5 to 1) keeps
   *  the clients of a restarted server from all coming back in the same instant. */
  next(code) {
    let wait = Math.min(this.maxMs, this.firstMs * 2 ** this.attempt++);
    if (code === TRY_AGAIN_LATER) wait = Math.max(wait, this.tryAgainLaterMs);
    return wait * (0.5 + Math.random() / 2);
  }

  reset() {
    this.attempt = 0;
  }
}

export class Channel {
  /**
   * @param {object} options
   * @param {string} options.path  WebSocket path, e.g. "/api/v1/live"
   * @param {string} [options.server]  the server's http(s) origin; the page's by default
   * @param {(event: object) => void} options.onEvent  every message but pongs
   * @param {(state: string, code?: number) => void} [options.onState]
   *   "open" | "reconnecting" | "closed" (with the close code that is final)
   * @param {() => void} [options.onConnecting]  each time a socket is made
   * @param {() => object|null} [options.hello]  first message (guest auth), or null;
   *   with one the cursor goes in it as `after`, without in the URL's `?after=`
   * @param {(code: number) => boolean} [options.isFinal]  close codes not to retry
   * @param {Backoff} [options.backoff]  console timing unless given (a caller may
   *   share its Backoff with retries of its own)
   */
  constructor({
    path,
    server = location.origin,
    onEvent,
    onState = () => {},
    onConnecting = () => {},
    hello = null,
    isFinal = () => false,
    backoff = new Backoff(CONSOLE_BACKOFF),
  }) {
    Object.assign(this, { path, server, onEvent, onState, onConnecting, hello, isFinal, backoff });
    this.lastId = 0;
    this.socket = null;
    this.stopped = false;
  }

  /** Connect, catching up on events after `lastId`. */
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

  /** Close for good: no reconnect. */
  stop() {
    this.stopped = true;
    clearInterval(this.pinger);
    clearTimeout(this.healthy);
    clearTimeout(this.retry);
    if (this.socket) this.socket.close(1000);
  }

  /** Between a close and its reconnect: reconnect now, backoff started over
   *  (a phone back from the lock screen should not wait out a long backoff). */
  reconnectNow() {
    if (this.stopped || this.socket) return;
    clearTimeout(this.retry);
    this.backoff.reset();
    this.connect();
  }

  url() {
    const joiner = this.path.includes("?") ? "&" : "?";
    const after = this.hello ? "" : `${joiner}after=${this.lastId}`;
    return `${this.server.replace(/^http/, "ws")}${this.path}${after}`;
  }

  connect() {
    if (this.stopped) return;
    const socket = new WebSocket(this.url());
    this.socket = socket;
    this.onConnecting();
    socket.addEventListener("open", () => {
      if (this.backoff.healthyAfterMs !== null) {
        this.healthy = setTimeout(() => this.backoff.reset(), this.backoff.healthyAfterMs);
      }
      if (this.hello) socket.send(JSON.stringify({ ...this.hello(), after: this.lastId }));
      this.pinger = setInterval(() => {
        if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "ping" }));
      }, PING_EVERY_MS);
      this.onState("open");
    });
    socket.addEventListener("message", (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      if (this.backoff.healthyAfterMs === null) this.backoff.reset();
      if (event.type === "pong") return;
      if (typeof event.id === "number") this.lastId = Math.max(this.lastId, event.id);
      this.onEvent(event);
    });
    socket.addEventListener("close", (closed) => {
      // A socket already replaced says nothing more (its timers went with it).
      if (socket !== this.socket) return;
      clearInterval(this.pinger);
      clearTimeout(this.healthy);
      this.socket = null;
      if (this.stopped) return;
      if (this.isFinal(closed.code)) {
        this.stopped = true;
        this.onState("closed", closed.code);
        return;
      }
      this.onState("reconnecting");
      this.retry = setTimeout(() => this.connect(), this.backoff.next(closed.code));
    });
  }
}
