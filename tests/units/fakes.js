// Fakes for the JavaScript unit tests (tests/test_js_units.py), added to each
// page before its own scripts run: a WebSocket the test opens, feeds and
// drops by hand, a fetch that answers from a table, and a Math.random that
// puts every jitter at its least, so each backoff is exactly half its nominal
// length. Timers are Playwright's fake clock, advanced by the test.
(() => {
  class FakeSocket extends EventTarget {
    static CONNECTING = 0;
    static OPEN = 1;
    static CLOSING = 2;
    static CLOSED = 3;
    /** Every socket made, oldest first. */
    static made = [];

    constructor(url) {
      super();
      this.url = url;
      this.readyState = FakeSocket.CONNECTING;
      this.sent = [];
      this.closedWith = null;
      FakeSocket.made.push(this);
      happened();
    }

    static last() {
      return FakeSocket.made[FakeSocket.made.length - 1];
    }

    send(data) {
      if (this.readyState === FakeSocket.CONNECTING) throw new DOMException("still connecting", "InvalidStateError");
      this.sent.push(JSON.parse(data));
    }

    /** The page closes it. */
    close(code = 1000) {
      if (this.readyState >= FakeSocket.CLOSING) return;
      this.closedWith = code;
      this.drop(code);
    }

    // -- the server's side, driven by the test --------------------------------

    open() {
      this.readyState = FakeSocket.OPEN;
      this.dispatchEvent(new Event("open"));
    }

    receive(message) {
      this.dispatchEvent(new MessageEvent("message", { data: JSON.stringify(message) }));
    }

    drop(code) {
      this.readyState = FakeSocket.CLOSED;
      this.dispatchEvent(new CloseEvent("close", { code }));
    }
  }

  // Tests wait for what the page does, not for time: until(check) resolves once
  // check() holds, looking again after each socket made and each fetch.
  const waiting = new Set();
  function happened() {
    for (const waiter of [...waiting]) waiter();
  }
  function until(check) {
    return new Promise((resolve) => {
      const waiter = () => {
        if (!check()) return;
        waiting.delete(waiter);
        resolve(true);
      };
      waiting.add(waiter);
      waiter();
    });
  }

  /** Answers by "METHOD path": { status, body, headers } or "network" (no answer). */
  const answers = {};
  const calls = [];
  async function fakeFetch(input, init = {}) {
    const url = new URL(input, location.href);
    const method = (init.method || "GET").toUpperCase();
    const headers = Object.fromEntries(new Headers(init.headers || {}).entries());
    calls.push({ method, url: url.href, path: url.pathname, headers, body: init.body ?? null, credentials: init.credentials ?? null });
    happened();
    const answer = answers[`${method} ${url.pathname}`];
    if (!answer || answer === "network") throw new TypeError("Failed to fetch");
    const text = typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body ?? null);
    return new Response(text, { status: answer.status ?? 200, headers: answer.headers ?? {} });
  }

  window.WebSocket = FakeSocket;
  window.fetch = fakeFetch;
  Math.random = () => 0;
  window.fakes = { FakeSocket, answers, calls, until };
})();
