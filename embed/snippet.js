/*! Tsunagu screen-support snippet. One tag on the owner's page:
 *  <script src="https://SERVER/embed/snippet.js" data-site-key="pk_..." async></script>
 *  Optional: data-label, data-position="left|right", data-lang="ja|en".
 *  Adds one global (window.Tsunagu); its UI lives in a Shadow DOM (styles isolated both ways). */
(() => {
  "use strict";
  const script = document.currentScript;
  if (window.Tsunagu || !script) return;
  const server = new URL(script.src).origin;
  const siteKey = script.dataset.siteKey || "";
  const lang = (script.dataset.lang || navigator.language || "ja").toLowerCase().startsWith("en") ? "en" : "ja";
  const S = {
    ja: {
      button: "画面サポートを利用する", title: "画面サポート", close: "閉じる",
      intro: "電話中の担当者に、このページの画面を送ることができます。入力中のパスワードやカード番号は送られません。",
      consent: "画面の送信に同意します", issue: "接続番号を発行する",
      number: "この番号を電話で担当者にお伝えください", left: "有効期限 残り ",
      expired: "番号の有効期限が切れました。", reissue: "新しい番号を発行する",
      connected: "担当者とつながりました", send: "この画面を送信する", sending: "送信中…",
      sent: "送信しました", failed: "送信できませんでした。", retry: "もう一度送る",
      asked: "担当者が画面の送信を求めています", end: "画面サポートを終了",
      ended: "画面サポートは終了しました。", network: "通信できませんでした。もう一度お試しください。",
    },
    en: {
      button: "Screen support", title: "Screen support", close: "Close",
      intro: "You can send what this page shows to the person you are on the phone with. Passwords and card numbers you type are never sent.",
      consent: "I agree to send my screen", issue: "Get a connection number",
      number: "Read this number to the person on the phone", left: "Valid for ",
      expired: "This number has expired.", reissue: "Get a new number",
      connected: "You are connected", send: "Send this screen", sending: "Sending…",
      sent: "Sent", failed: "Could not send.", retry: "Send again",
      asked: "Your host asks you to send your screen", end: "End screen support",
      ended: "Screen support has ended.", network: "Could not connect. Please try again.",
    },
  }[lang];
  const STORE = `tsunagu:${siteKey}`;
  const MASK = 'input[type="password"],[autocomplete^="cc-"],[data-tsunagu-mask]';
  const CSS = `:host{all:initial}*{box-sizing:border-box;font-family:system-ui,-apple-system,"Hiragino Sans","Noto Sans JP",sans-serif}
.launch{position:fixed;bottom:16px;${script.dataset.position === "left" ? "left" : "right"}:16px;z-index:2147483647;border:0;border-radius:28px;padding:14px 20px;background:#0b6e4f;color:#fff;font-size:16px;font-weight:700;box-shadow:0 4px 14px rgba(0,0,0,.25);cursor:pointer}
.panel{position:fixed;bottom:16px;left:50%;transform:translateX(-50%);width:min(92vw,380px);z-index:2147483647;background:#fff;color:#1f2933;border-radius:16px;box-shadow:0 8px 30px rgba(0,0,0,.3);padding:18px;display:flex;flex-direction:column;gap:12px;font-size:15px;line-height:1.6}
.head{display:flex;justify-content:space-between;align-items:center;font-weight:700}
.x{border:0;background:none;font-size:22px;cursor:pointer;color:#52606d}
.num{font-size:52px;font-weight:800;letter-spacing:.15em;text-align:center;color:#0b6e4f;font-variant-numeric:tabular-nums}
.btn{border:0;border-radius:12px;padding:14px;font-size:17px;font-weight:700;background:#0b6e4f;color:#fff;cursor:pointer;width:100%}
.btn:disabled{opacity:.45}.sub{border:1px solid #bcccdc;background:#fff;color:#1f2933}
.bar{padding:10px;border-radius:10px;background:#ecfdf3;color:#067647}.bar.bad{background:#fef3f2;color:#b42318}
.muted{color:#52606d;font-size:13px;text-align:center}label{display:flex;gap:10px;align-items:flex-start}
input{width:22px;height:22px;margin:0}progress{width:100%}[hidden]{display:none!important}`;

  let token = sessionStorage.getItem(STORE);
  let socket = null;
  let timer = null;
  let connected = false;

  const host = document.createElement("div");
  host.setAttribute("data-tsunagu", "");
  const root = host.attachShadow({ mode: "open" });
  if ("adoptedStyleSheets" in root) {
    // A constructed stylesheet is not subject to the page's style-src CSP.
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } else {
    root.append(make("style", {}, CSS));
  }
  const launch = make("button", { class: "launch", type: "button" }, script.dataset.label || S.button);
  const panel = make("div", { class: "panel", role: "dialog", "aria-label": S.title, hidden: "" });
  root.append(launch, panel);
  launch.onclick = () => (connected ? showConnected() : token ? resume() : showIntro());

  function make(tag, attributes = {}, text) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function show(...children) {
    const close = make("button", { class: "x", type: "button", "aria-label": S.close }, "×");
    close.onclick = () => (panel.hidden = true);
    panel.replaceChildren(make("div", { class: "head" }, S.title), ...children);
    panel.firstChild.append(close);
    panel.hidden = false;
  }

  async function call(path, method = "GET", body) {
    const headers = { "content-type": "application/json" };
    if (token) headers.authorization = `Bearer ${token}`;
    const response = await fetch(server + path, { method, headers, body: body && JSON.stringify(body) });
    const data = await response.json().catch(() => null);
    return { ok: response.ok, status: response.status, data };
  }

  function showIntro(message) {
    const agree = make("input", { type: "checkbox" });
    const issue = make("button", { class: "btn", type: "button", disabled: "" }, S.issue);
    agree.onchange = () => (issue.disabled = !agree.checked);
    issue.onclick = () => getNumber(issue);
    const label = make("label");
    label.append(agree, make("span", {}, S.consent));
    show(make("p", {}, S.intro), label, issue, ...(message ? [make("div", { class: "bar bad" }, message)] : []));
  }

  async function getNumber(button) {
    button.disabled = true;
    const result = await call("/api/v1/guest/numbers", "POST", { site_key: siteKey }).catch(() => null);
    if (!result || !result.ok) return showIntro(result?.data?.error?.message || S.network);
    token = result.data.guest_token;
    sessionStorage.setItem(STORE, token);
    showNumber(result.data.number, result.data.expires_in);
    listen();
  }

  function showNumber(number, seconds) {
    const left = make("p", { class: "muted" });
    const ends = Date.now() + seconds * 1000;
    show(make("p", { class: "muted" }, S.number), make("div", { class: "num" }, number), left);
    clearInterval(timer);
    const tick = () => {
      const s = Math.max(0, Math.round((ends - Date.now()) / 1000));
      left.textContent = `${S.left}${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
      if (s === 0) {
        clearInterval(timer);
        const again = make("button", { class: "btn", type: "button" }, S.reissue);
        again.onclick = () => getNumber(again);
        panel.append(make("div", { class: "bar bad" }, S.expired), again);
      }
    };
    tick();
    timer = setInterval(tick, 1000);
  }

  function showConnected(note) {
    clearInterval(timer);
    const send = make("button", { class: "btn", type: "button" }, S.send);
    const end = make("button", { class: "btn sub", type: "button" }, S.end);
    send.onclick = () => sendCapture(send);
    end.onclick = async () => {
      await call("/api/v1/guest/leave", "POST").catch(() => null);
      finish();
    };
    show(make("div", { class: "bar" }, note || S.connected), send, end);
  }

  function finish() {
    connected = false;
    token = null;
    sessionStorage.removeItem(STORE);
    clearInterval(timer);
    if (socket) socket.close(1000);
    socket = null;
    show(make("p", {}, S.ended));
  }

  async function resume() {
    const result = await call("/api/v1/guest/session").catch(() => null);
    if (!result || !result.ok) {
      if (result && result.status === 401) finish();
      return;
    }
    const state = result.data.status;
    if (state === "connected") {
      connected = true;
      report();
    } else if (state === "waiting") showNumber(result.data.number, result.data.expires_in);
    else if (state === "ended") return finish();
    else showIntro(S.expired);
    listen();
  }

  function listen() {
    if (socket) return;
    let attempt = 0;
    const open = () => {
      socket = new WebSocket(`${server.replace(/^http/, "ws")}/api/v1/guest/live`);
      socket.onopen = () => {
        socket.send(JSON.stringify({ type: "hello", token }));
        clearInterval(socket.pinger);
        socket.pinger = setInterval(() => socket.send('{"type":"ping"}'), 15000);
      };
      socket.onmessage = (message) => {
        const event = JSON.parse(message.data);
        if ((event.type === "meeting.started" || event.type === "guest.attached") && !connected) {
          connected = true;
          showConnected();
          report();
        } else if (event.type === "meeting.ended") finish();
        else if (event.type === "capture.requested") showConnected(S.asked);
      };
      socket.onclose = (closed) => {
        clearInterval(socket?.pinger);
        if (!token || closed.code === 4401 || closed.code === 4403) return;
        socket = null;
        setTimeout(() => socket || listen(), Math.min(15000, 500 * 2 ** attempt++));
      };
    };
    open();
  }

  // One report at a time, so the host's list keeps the order pages were opened in.
  let reporting = Promise.resolve();
  function report() {
    if (!connected) return;
    const page = { url: location.href, title: document.title };
    reporting = reporting.then(() => call("/api/v1/guest/pages", "POST", page)).catch(() => {});
  }
  for (const name of ["pushState", "replaceState"]) {
    const original = history[name];
    history[name] = function (...args) {
      const result = original.apply(this, args);
      setTimeout(report);
      return result;
    };
  }
  addEventListener("popstate", report);

  function rasteriser() {
    if (window.modernScreenshot) return Promise.resolve(window.modernScreenshot);
    return new Promise((resolve, reject) => {
      const tag = document.createElement("script");
      tag.src = `${server}/embed/vendor/modern-screenshot.js`;
      tag.onload = () => resolve(window.modernScreenshot);
      tag.onerror = reject;
      document.head.append(tag);
    });
  }

  async function sendCapture(button) {
    button.disabled = true;
    button.textContent = S.sending;
    const progress = make("progress", { max: "1", value: "0" });
    panel.append(progress);
    try {
      const { domToBlob } = await rasteriser();
      const width = innerWidth;
      const height = innerHeight;
      // Capped so the long edge stays within 2048 px (iOS refuses huge canvases).
      const scale = Math.min(devicePixelRatio || 1, 2048 / Math.max(width, height));
      const options = {
        width,
        height,
        scale,
        type: "image/png",
        filter: (node) => node !== host,
        style: { transform: `translate(${-scrollX}px, ${-scrollY}px)` },
        fetch: { placeholderImage: "data:image/gif;base64,R0lGODlhAQABAAAAACw=" },
        onCloneEachNode: (clone) => {
          // Masked on the copy: the values never reach the picture.
          if (clone.nodeType === 1 && clone.matches(MASK)) {
            if ("value" in clone) clone.value = "";
            clone.setAttribute("value", "");
            clone.textContent = "";
            clone.style.background = "#39424e";
            clone.style.color = "transparent";
          }
        },
      };
      // Embedding web fonts needs a style element, which a page CSP without
      // inline styles refuses; then the capture is drawn with system fonts.
      const blob = await domToBlob(document.documentElement, options).catch(() =>
        domToBlob(document.documentElement, { ...options, font: false }),
      );
      const form = new FormData();
      form.append("image", blob, "capture.png");
      const fields = { url: location.href, title: document.title, viewport_width: width, viewport_height: height, device_pixel_ratio: devicePixelRatio || 1 };
      for (const [name, value] of Object.entries(fields)) form.append(name, String(value));
      await upload(form, (share) => (progress.value = share));
      showConnected(S.sent);
    } catch (error) {
      const retry = make("button", { class: "btn", type: "button" }, S.retry);
      retry.onclick = () => sendCapture(retry);
      show(make("div", { class: "bar bad" }, `${S.failed} ${error?.message || ""}`), retry);
    }
  }

  function upload(form, onProgress) {
    return new Promise((resolve, reject) => {
      const request = new XMLHttpRequest();
      request.open("POST", `${server}/api/v1/guest/captures`);
      request.setRequestHeader("authorization", `Bearer ${token}`);
      request.upload.onprogress = (event) => event.lengthComputable && onProgress(event.loaded / event.total);
      request.onload = () => {
        if (request.status === 201) return resolve();
        let message = "";
        try {
          message = JSON.parse(request.responseText).error.message;
        } catch {}
        reject(new Error(message));
      };
      request.onerror = () => reject(new Error(S.network));
      request.send(form);
    });
  }

  window.Tsunagu = { open: () => launch.click() };
  const mount = () => document.body.append(host);
  document.body ? mount() : addEventListener("DOMContentLoaded", mount);
  if (token) resume();
})();
