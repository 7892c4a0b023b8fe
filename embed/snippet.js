/*! Tsunagu screen-support snippet. One tag on the owner's page:
 *  <script src="https://SERVER/embed/snippet.js" data-site-key="pk_..." async></script>
 *  Optional: data-label, data-position="left|right", data-lang="ja|en".
 *  Adds one global (window.Tsunagu); its UI lives in a Shadow DOM (styles isolated both ways).
 *  This loader is all that every visitor gets: a button. The widget (embed/widget.js) is
 *  imported when a guest taps it or is already connected, the capture code
 *  (embed/capture.js) on the first capture. */
(() => {
  "use strict";
  const script = document.currentScript || document.querySelector('script[src*="/embed/snippet.js"][data-site-key]');
  if (window.Tsunagu || !script) return;
  const server = new URL(script.src).origin;
  const siteKey = script.dataset.siteKey || "";
  const lang = (script.dataset.lang || navigator.language || "ja").toLowerCase().startsWith("en") ? "en" : "ja";
  const label = script.dataset.label || (lang === "en" ? "Screen support" : "画面サポートを利用する");
  const CSS = `:host{all:initial}*{box-sizing:border-box;font-family:system-ui,-apple-system,"Hiragino Sans","Noto Sans JP",sans-serif;-webkit-tap-highlight-color:transparent}
.dock{position:fixed;z-index:2147483647;bottom:calc(12px + var(--lift,0px));right:12px;display:flex;flex-direction:column;align-items:flex-end;gap:8px;max-width:calc(100vw - 24px)}
.dock.moving{transition:bottom .2s}
:host(.left) .dock{right:auto;left:12px;align-items:flex-start}
button{font:inherit;cursor:pointer;border:0;min-height:44px}
.launch{border-radius:28px;padding:12px 18px;background:#0b6e4f;color:#fff;font-size:16px;font-weight:700;box-shadow:0 4px 14px rgba(0,0,0,.25)}`;

  // Inputs that have ever been a password field stay masked after a "show
  // password" toggle turns them into text: watched from the first moment.
  const everPassword = new WeakSet();
  for (const input of document.querySelectorAll('input[type="password" i]')) everPassword.add(input);
  new MutationObserver((records) => {
    for (const { oldValue, target } of records) {
      if ((oldValue || "").toLowerCase() === "password" || target.type === "password") everPassword.add(target);
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ["type"], attributeOldValue: true });

  const host = document.createElement("div");
  host.setAttribute("data-tsunagu", "");
  const root = host.attachShadow({ mode: "open" });
  if ("adoptedStyleSheets" in root) {
    // A constructed stylesheet is not subject to the page's style-src CSP.
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } else {
    const style = document.createElement("style");
    style.textContent = CSS;
    root.append(style);
  }
  const dock = document.createElement("div");
  dock.className = "dock";
  root.append(dock);
  const position = script.dataset.position === "left" ? "left" : "right";
  host.className = position;

  let saved = {};
  try {
    saved = JSON.parse(sessionStorage.getItem(`tsunagu:${siteKey}`)) || {};
  } catch {}
  let state = saved.t ? saved.s || "waiting" : "idle";
  const handlers = {};
  function emit(name, detail = {}) {
    for (const handler of handlers[name] || []) {
      try {
        handler(detail);
      } catch (error) {
        setTimeout(() => {
          throw error; // the owner's handler: reported as theirs, never swallowed
        });
      }
    }
    dispatchEvent(new CustomEvent(`tsunagu:${name}`, { detail }));
  }

  let widget = null;
  const env = {
    server, siteKey, lang, label, position, host, root, dock, everPassword, emit,
    avoidSoon: () => avoidSoon(),
    avoidNow: () => avoid(),
    state: (value) => (state = value),
  };
  // The widget's own imports are fetched beside it, not after it has been
  // parsed: one round trip on the first tap instead of two.
  const fetchWidget = () =>
    Promise.all(["widget", "api", "channel"].map((name) => import(`${server}/embed/${name}.js`)));
  function load() {
    // A dropped connection (a phone changing networks) gets one more try a
    // second later before the guest is told: browsers fetch a failed module again.
    widget ||= fetchWidget()
      .catch(() => new Promise((resolve) => setTimeout(resolve, 1000)).then(fetchWidget))
      .then(
        ([module]) => module.start(env),
        (error) => {
          widget = null; // offline, or blocked: the next tap tries again
          throw error;
        },
      );
    return widget;
  }
  const later = (method) => () => load().then((loaded) => loaded[method]());
  const unreachable = () => {
    const launch = dock.querySelector(".launch");
    if (launch) launch.textContent = lang === "en" ? "Could not connect" : "通信できませんでした";
  };

  // Keep clear of the page's own controls: a cookie banner's OK button or a
  // bottom tab bar under the button is lifted over, never covered.
  let avoidTimer = null;
  function avoidSoon() {
    clearTimeout(avoidTimer);
    avoidTimer = setTimeout(avoid, 120);
  }
  function avoid() {
    if (!host.isConnected) return;
    const lift = parseFloat(dock.style.getPropertyValue("--lift")) || 0;
    const box = dock.getBoundingClientRect();
    let need = 0;
    // A grid over where the dock sits unlifted: a button can be smaller than it.
    for (let i = 0; i < 15; i++) {
      const x = box.left + 4 + ((box.width - 8) * (i % 5)) / 4;
      const y = box.top + lift + 4 + ((box.height - 8) * Math.floor(i / 5)) / 2;
      const below = document.elementsFromPoint(x, y).find((element) => element !== host);
      const control = below?.closest?.('a[href],button,input,select,textarea,summary,[role="button"],[onclick]');
      // Only controls that stay put (a fixed banner or tab bar): one in the
      // flow of the page scrolls out from under the button by itself.
      const bar = control && control.offsetHeight < 120 && pinned(control);
      if (bar) {
        // Above the whole bar or banner where it is short, so its text stays readable too.
        const over = bar.offsetHeight < innerHeight * 0.35 ? bar : control;
        need = Math.max(need, innerHeight - over.getBoundingClientRect().top - 4);
      }
    }
    need = Math.min(need, innerHeight * 0.4);
    if (Math.abs(need - lift) > 1) dock.style.setProperty("--lift", `${need}px`);
    // Placed at once the first time; animated when a banner comes or goes later.
    requestAnimationFrame(() => dock.classList.add("moving"));
  }
  /** The fixed or sticky box a control sits in, if any. */
  function pinned(element) {
    for (let node = element; node && node !== document.body; node = node.parentElement) {
      if (/fixed|sticky/.test(getComputedStyle(node).position)) return node;
    }
    return null;
  }
  addEventListener("resize", avoidSoon, { passive: true });
  addEventListener("scroll", avoidSoon, { passive: true });
  addEventListener("click", (event) => event.composedPath().includes(host) || avoidSoon(), true);

  window.Tsunagu = {
    /** Open the widget: the introduction, the number being shown, or the bar. */
    open: () => load().then((loaded) => loaded.open(), unreachable),
    /** Send a capture now (connected only). Resolves with the capture; rejects with .code. */
    send: later("send"),
    /** End screen support, without asking. */
    end: later("end"),
    /** Events: ready, connected, requested, sent, failed, ended (also tsunagu:<name> on window). */
    on(name, handler) {
      handlers[name] = [...(handlers[name] || []), handler];
    },
    off(name, handler) {
      handlers[name] = (handlers[name] || []).filter((known) => known !== handler);
    },
    /** idle | waiting | connected */
    get state() {
      return state;
    },
  };

  function mount() {
    document.body.append(host);
    if (saved.t) {
      load().catch(() => {}); // connected on an earlier page: the bar comes back at once
    } else {
      const launch = document.createElement("button");
      launch.type = "button";
      launch.className = "launch";
      launch.textContent = label;
      launch.onclick = window.Tsunagu.open;
      // Start fetching the widget as the finger lands, not when it lifts.
      launch.onpointerdown = () => load().catch(() => {});
      dock.append(launch);
    }
    avoid();
    // Cookie banners and the like appear after load: look again a few times.
    for (const wait of [1000, 3000, 6000]) setTimeout(avoid, wait);
    emit("ready", { state });
  }
  document.body ? mount() : addEventListener("DOMContentLoaded", mount);
})();
