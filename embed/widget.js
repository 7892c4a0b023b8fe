/*! Tsunagu screen-support widget: the introduction, the number, the bar that stays
 *  on every page while connected, the live channel and sending captures.
 *  Imported by snippet.js (the small loader every visitor gets) when a guest taps
 *  the button, or on any page of the site once they are connected. */

import { errorCode, failure, request, retryAfter, withRetries } from "./api.js";
import { Backoff, Channel } from "./channel.js";

/**
 * Take over the loader's dock. `env` comes from snippet.js: server, siteKey, lang,
 * label, position, host (the shadow host), root (its shadow root), dock,
 * everPassword, emit(name, detail), avoidNow() (keep clear of the page's pinned
 * controls), state(name).
 */
export function start(env) {
  const { server, siteKey, lang, label, position, host, root, dock, everPassword, emit } = env;
  const S = {
    ja: {
      button: "画面サポートを利用する", title: "画面サポート", close: "閉じる",
      intro: "電話中の担当者に、いま見ている画面の画像を送れます。送るのは「この画面を送信」を押したときだけです。",
      privacy: "入力した内容（お名前、パスワード、カード番号など）は、送る前にこの端末の上で隠されます。送られるのは画面の画像と、ページの題名・アドレスです。",
      agree: "同意して接続番号を発行", number: "この番号を電話で担当者にお伝えください", left: "有効期限 残り ",
      expired: "番号の有効期限が切れました。", reissue: "新しい番号を発行する", cancel: "やめる",
      connected: "接続中", reconnecting: "再接続中…", send: "この画面を送信", sending: "送信中…",
      sent: "送信しました", retry: "もう一度送る", asked: "担当者が画面の送信を求めています",
      end: "終了", endAsk: "画面サポートを終了しますか？", endCall: "お電話はそのまま続きます。", endYes: "終了する", back: "戻る",
      ended: "画面サポートは終了しました。", menu: "メニュー", tab: "画面", fold: "小さくする", unfold: "画面サポートを開く",
      toLeft: "左に移動", toRight: "右に移動", rec: "録画中",
      network: "通信できませんでした。電波の良い場所で、もう一度お試しください。",
      tooLarge: "画面の画像が大きすぎて送れませんでした。もう一度お試しください。",
      tooMany: "続けて送りすぎました。少し待ってから、もう一度お試しください。",
      busy: "サーバーが混み合っています。{n} 秒後に自動で送り直します。",
      paced: "続けて送りすぎました。{n} 秒後に自動で送り直します。",
      busyGaveUp: "サーバーが混み合っていて送れませんでした。少し待ってから、もう一度お試しください。",
      over: "画面サポートは終了しています。", draw: "この画面を画像にできませんでした。もう一度お試しください。",
      origin: "このページでは画面サポートをご利用いただけません（サイトの設定が必要です）。お電話の担当者にお伝えください。",
      memo: "メモ", memoTitle: "共有メモ", memoHelp: "担当者と一緒に書き込めるメモです。入力した内容は担当者の画面にも表示されます。",
      memoOpen: "共有メモを開く", memoShown: "担当者が共有メモを表示しました。", memoLoading: "読み込み中…", memoFailed: "メモを読み込めませんでした。もう一度お試しください。",
      memoStatus: { connecting: "接続中…", saving: "保存中…", saved: "保存済み", read_only: "メモは閲覧のみです。", refused: "送れなかった変更があります。自動で送り直します。", too_large: "メモが長すぎるため、この変更は保存できません。" },
      liveAsk: "担当者が画面の共有を求めています",
      liveWhat: "このサイトで開いているページの表示を、担当者の画面にリアルタイムで表示します。入力した文字、パスワード、カード番号などは送られません。他のアプリやタブは共有されません。",
      liveAgree: "共有する", liveDecline: "共有しない", liveReview: "内容を見る", liveOn: "画面を共有中", livePaused: "一時停止中",
      livePause: "一時停止", liveResume: "再開", liveStop: "共有を停止", liveEnded: "画面の共有を終了しました。", liveControls: "一時停止・停止", liveMask: "●●●● 非表示", liveSaving: "担当者がこの画面を保存しています…",
      liveFailed: "画面の共有を始められませんでした。もう一度お試しください。",
      card: "名刺", cardTitle: "担当者の名刺", cardShown: "担当者が名刺を表示しました。", cardFailed: "名刺を読み込めませんでした。もう一度お試しください。",
      files: "ファイル", filesTitle: "ファイル", filesOpen: "ファイルを開く", filesLoading: "読み込み中…", filesFailed: "ファイルの欄を読み込めませんでした。もう一度お試しください。",
      filesText: {
        lead: "担当者にファイルを送れます（{max_mb} MB まで）。担当者から届いたファイルは「保存」で保存できます。", send: "ファイルを送る",
        cannot_send: "このミーティングでは、お客様からはファイルを送れません。", none: "まだファイルはありません。",
        from_host: "担当者から", from_you: "あなたが送信", save: "保存", saved: "保存しました",
        arrived: "担当者からファイル「{name}」が届きました。「保存」で保存できます。",
        arrived_many: "担当者からファイルが {count} 件届きました。「保存」で保存できます。",
        sending: "「{name}」を送信中… {percent}%", progress: "「{name}」を送信中", sent: "「{name}」を送りました。", failed: "「{name}」を送れませんでした。{message}",
        retrying: "接続が切れました。{seconds} 秒後に続きから送ります…", network: "通信できませんでした。電波のよい場所でもう一度お試しください。",
      },
    },
    en: {
      button: "Screen support", title: "Screen support", close: "Close",
      intro: "You can send a picture of this screen to the person you are on the phone with. A picture is sent only when you tap “Send this screen”.",
      privacy: "What you type (your name, passwords, card numbers) is hidden on this device before anything is sent. What is sent: the picture, the page title and its address.",
      agree: "Agree and get a number", number: "Read this number to the person on the phone", left: "Valid for ",
      expired: "This number has expired.", reissue: "Get a new number", cancel: "Cancel",
      connected: "Connected", reconnecting: "Reconnecting…", send: "Send this screen", sending: "Sending…",
      sent: "Sent", retry: "Send again", asked: "The person on the phone asks you to send your screen",
      end: "End", endAsk: "End screen support?", endCall: "Your phone call goes on.", endYes: "End", back: "Back",
      ended: "Screen support has ended.", menu: "Menu", tab: "Help", fold: "Minimise", unfold: "Open screen support",
      toLeft: "Move left", toRight: "Move right", rec: "Recording",
      network: "Could not connect. Please try again where the signal is better.",
      tooLarge: "The picture was too large to send. Please try again.",
      tooMany: "Too many pictures in a row. Please wait a moment and try again.",
      busy: "The server is busy. Sending again in {n} s.",
      paced: "Too many pictures in a row. Sending again in {n} s.",
      busyGaveUp: "The server is too busy to take the picture. Please wait a moment and try again.",
      over: "Screen support has ended.", draw: "Could not make a picture of this screen. Please try again.",
      origin: "Screen support is not available on this page (the site needs setting up). Please tell the person on the phone.",
      memo: "Memo", memoTitle: "Shared memo", memoHelp: "A memo you and the person helping you can both write in. What you type shows on their screen too.",
      memoOpen: "Open the shared memo", memoShown: "Your contact is showing you a shared memo.", memoLoading: "Loading…", memoFailed: "Could not load the memo. Please try again.",
      memoStatus: { connecting: "Connecting…", saving: "Saving…", saved: "Saved", read_only: "The memo is read-only.", refused: "Some changes could not be sent. Sending them again.", too_large: "The memo is too long: this change cannot be saved." },
      liveAsk: "Your contact asks to see your screen",
      liveWhat: "The page of this site you have open is shown live on your contact's screen. What you type, passwords and card numbers are not sent. Other apps and tabs are not shared.",
      liveAgree: "Share", liveDecline: "Don't share", liveReview: "Review", liveOn: "Sharing screen", livePaused: "Paused",
      livePause: "Pause", liveResume: "Resume", liveStop: "Stop sharing", liveEnded: "Screen sharing has ended.", liveControls: "pause or stop", liveMask: "●●●● hidden", liveSaving: "Your contact is saving this screen…",
      liveFailed: "Could not start sharing the screen. Please try again.",
      card: "Card", cardTitle: "Your contact's card", cardShown: "Your contact is showing you their business card.", cardFailed: "Could not load the card. Please try again.",
      files: "Files", filesTitle: "Files", filesOpen: "Open files", filesLoading: "Loading…", filesFailed: "Could not load the files. Please try again.",
      filesText: {
        lead: "You can send files to the host (up to {max_mb} MB). Save the files the host sends you with Save.", send: "Send a file",
        cannot_send: "Guests cannot send files in this meeting.", none: "No files yet.",
        from_host: "From the host", from_you: "Sent by you", save: "Save", saved: "Saved",
        arrived: "The host sent you the file “{name}”. Tap Save to keep it.",
        arrived_many: "The host sent you {count} files. Tap Save to keep them.",
        sending: "Sending “{name}”… {percent}%", progress: "Sending “{name}”", sent: "Sent “{name}”.", failed: "Could not send “{name}”. {message}",
        retrying: "The connection dropped. Resuming in {seconds} s…", network: "No connection. Try again where the signal is better.",
      },
    },
  }[lang];
  const STORE = `tsunagu:${siteKey}`;
  // Tries of one capture while the server says it is busy (3 waits of its Retry-After).
  const BUSY_TRIES = 4;
  const CSS = `.bar{display:flex;align-items:center;gap:4px;padding:4px;border-radius:30px;background:#fff;color:#1f2933;box-shadow:0 4px 18px rgba(0,0,0,.28);font-size:15px}
.bar.ask{box-shadow:0 0 0 4px #f59e0b,0 4px 18px rgba(0,0,0,.28);animation:ask 1.2s ease-in-out infinite}
@keyframes ask{50%{box-shadow:0 0 0 8px rgba(245,158,11,.35),0 4px 18px rgba(0,0,0,.28)}}
.bar{max-width:100%}.state{display:flex;align-items:center;gap:5px;padding:0 4px;font-size:12px;color:#52606d;white-space:nowrap;min-width:0;flex:0 1 auto}
.state span{overflow:hidden;text-overflow:ellipsis}
.state.recording{color:#b42318;font-weight:700}.state.recording .dot{background:#e5484d}
@media (max-width:359px){.state.recording span,.state.sharing span{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}}
.dot{width:10px;height:10px;border-radius:50%;background:#12b76a;flex:none}.dot.off{background:#f59e0b}
.rec{display:flex;align-items:center;gap:4px;padding:0 6px;font-size:12px;font-weight:700;color:#b42318;white-space:nowrap}.rec::before{content:"";width:10px;height:10px;border-radius:50%;background:#e5484d}
.send{border-radius:24px;padding:0 12px;background:#0b6e4f;color:#fff;font-weight:700;white-space:nowrap}
.send:disabled{opacity:.6}
.end{border-radius:22px;padding:0 9px;flex:none;background:#f1f5f9;color:#b42318;font-weight:700}
.tab{width:44px;height:52px;border-radius:14px;background:#0b6e4f;color:#fff;font-size:13px;font-weight:700;line-height:1.2;box-shadow:0 4px 14px rgba(0,0,0,.25);position:relative}
.tab.ask{box-shadow:0 0 0 4px #f59e0b}.tab .dot{position:absolute;top:6px;right:6px;border:2px solid #fff;width:12px;height:12px}
.panel,.note{width:min(calc(100vw - 24px),380px);background:#fff;color:#1f2933;border-radius:16px;box-shadow:0 8px 30px rgba(0,0,0,.3);padding:16px;display:flex;flex-direction:column;gap:12px;font-size:15px;line-height:1.6}
.note{padding:10px 14px;flex-direction:row;align-items:center;justify-content:space-between;gap:8px;background:#ecfdf3;color:#067647}
.note span{flex:1 1 auto;min-width:0}.note.sending span{flex:none;white-space:nowrap}.note progress{flex:1;min-width:40px}
.note.bad{background:#fef3f2;color:#b42318}.note.ask{background:#fffbeb;color:#92400e}
.note button{min-height:44px;border-radius:18px;padding:0 12px;background:#fff;color:inherit;border:1px solid currentColor;font-weight:700;white-space:nowrap}
.head{display:flex;justify-content:space-between;align-items:center;font-weight:700}
.x{background:none;font-size:22px;color:#52606d;min-width:44px}
.num{font-size:52px;font-weight:800;letter-spacing:.15em;text-align:center;color:#0b6e4f;font-variant-numeric:tabular-nums}
.btn{border-radius:12px;padding:12px;font-size:17px;font-weight:700;background:#0b6e4f;color:#fff;width:100%}
.btn.sub{border:1px solid #bcccdc;background:#fff;color:#1f2933}.btn.bad{background:#b42318}
.muted{color:#52606d;font-size:13px;margin:0}p{margin:0}.row{display:flex;gap:8px}
progress{width:100%;height:4px}[hidden]{display:none!important}
@media (max-width:360px){.send{font-size:14px;padding:0 9px}.end,.menu{padding:0 6px;font-size:14px}}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
.memo,.namecard,.menu{border-radius:22px;padding:0 9px;flex:none;background:#f1f5f9;color:#1f2933;font-weight:700;white-space:nowrap}
@media (max-width:639px){.bar .tool{display:none}}@media (min-width:640px){.panel .tool{display:none}}
.memo-text{font:inherit;font-size:16px;width:100%;box-sizing:border-box;min-height:9em;max-height:45vh;resize:vertical;padding:8px 10px;border:1px solid #bcccdc;border-radius:10px;line-height:1.6;color:#1f2933;background:#fff}
.memo-text[readonly]{background:#f5f7fa}.memo-status{min-height:1.4em}
.files-pick{position:relative;display:flex;align-items:center;justify-content:center;min-height:44px;border-radius:12px;border:2px solid #0b6e4f;color:#0b6e4f;font-weight:700;cursor:pointer}
.files-pick:focus-within{outline:3px solid #84caff;outline-offset:2px}.files-pick[hidden]{display:none}
.files-progress{width:100%}.files-lead,.files-status,.files-error{margin:0;font-size:13px}.files-error{color:#b42318;font-weight:700}
.files-list{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:6px;max-height:40vh;overflow:auto}
.files-item{display:grid;grid-template-columns:1fr auto;column-gap:8px;align-items:center;padding:6px 8px;border:1px solid #d9e2ec;border-radius:10px}
.files-name{overflow-wrap:anywhere}.files-meta{font-size:12px;color:#52606d}.files-none{font-size:13px;color:#52606d}
.state.sharing{color:#1d4ed8;font-weight:700;cursor:pointer;min-height:44px;border-radius:22px}.state.sharing .dot{background:#2563eb}.state.sharing.paused{color:#52606d}.state.sharing.paused .dot{background:#98a2b3}
.rec.mini{padding:0 2px}@media (max-width:420px){.bar.sharing .send{padding:0 8px}.bar.sharing .end,.bar.sharing .menu{padding:0 7px}}.share,.live-stop{border-radius:22px;padding:0 9px;flex:none;background:#f1f5f9;color:#1f2933;font-weight:700;white-space:nowrap}
.share-frame{position:fixed;inset:0;z-index:2147483646;pointer-events:none;border:4px solid #2563eb}
.share-frame::after{content:"";position:absolute;inset:0;box-shadow:inset 0 0 16px 4px rgba(37,99,235,.45);opacity:0;will-change:opacity;animation:share 2s ease-in-out infinite}
.share-frame.paused{border:3px dashed #98a2b3}.share-frame.paused::after{display:none}
@keyframes share{50%{opacity:1}}
@media (prefers-reduced-motion:reduce){.share-frame::after{animation:none;opacity:.6}}
.share-tag{position:absolute;top:0;left:50%;transform:translateX(-50%);display:flex;align-items:center;gap:5px;padding:3px 10px 4px;border-radius:0 0 10px 10px;background:#2563eb;color:#fff;font:700 12px/1.3 system-ui,sans-serif;white-space:nowrap}
.share-tag::before{content:"";width:7px;height:7px;border-radius:50%;background:#fff}
.share-frame.paused .share-tag{background:#667085}.share-frame.paused .share-tag::before{border-radius:0;width:6px;height:8px;background:none;border-left:2px solid #fff;border-right:2px solid #fff;box-sizing:border-box}
.files-save{grid-column:2;grid-row:1/span 2;min-height:44px;border-radius:10px;padding:0 12px;font-weight:700;background:#0b6e4f;color:#fff;border:0}
`;

  const saved = read();
  let token = saved.t || null;
  let after = saved.a || 0;
  let state = token ? saved.s || "waiting" : "idle"; // idle | waiting | connected
  let requested = !!saved.r;
  // The host records the call (this page itself is never recorded): the bar says so.
  let recording = !!saved.rec;
  let side = saved.side || position;
  let folded = !!saved.fold;
  let unmask = saved.u || [];
  let channel = null;
  // Shown as connected at once on the next page; "reconnecting" only when the
  // socket has been down for a moment (a page change takes a few hundred ms).
  let live = state === "connected";
  let downTimer = null;
  let countdown = null;
  let panelView = null; // what the panel shows: intro | number | ended | confirm | menu | message
  let note = requested ? { text: S.asked, kind: "ask" } : null; // {text, kind, action, progress}
  let sending = false;
  // The shared memo: whether the host shows it to the guest (memo.watch tells),
  // and, once opened, its binding and its two elements (kept across renders,
  // so typing and the caret survive the bar being drawn anew).
  let memoShared = false;
  let memoTold = !!saved.m;
  let memo = null;
  let memoView = null;
  // The host's business card (embed/card.js, fetched when first opened):
  // whether the host has one (the bar's 「名刺」), and its view once opened.
  let cardThere = false;
  // The last card.shown opened: one replayed (the page's socket starting
  // over) does not open the card again after the guest closed it.
  let cardSeen = saved.cs || 0;
  let cardView = null;
  // The files panel (embed/files.js, fetched on the first open), kept across
  // renders like the memo's elements.
  let files = null;
  let filesView = null;
  let filesUnseen = 0; // the host's files told in the bar's note since the panel was last open
  // The live view (issue #16): null (off) | "asked" | "on" | "paused", as the
  // server keeps it (the session says so on each page; kept here too so the next
  // page shows the indicator at once). Recording starts only once the server
  // says "on" (embed/live_view.js, imported then).
  let sharing = token ? saved.lv || null : null;
  let liveView = null; // the recorder: null | "loading" | LiveView
  let sharingChecked = false; // the state asked of the server after a not_sharing refusal
  let pointers = null; // embed/pointer.js, imported on the first pointer
  // The newest captures sent from this page, with where each element was on
  // them (capture id -> hit map): the host's pointer on a capture. Never sent.
  const hitMaps = new Map();
  // While sharing: a border round the screen, its glow pulsing by opacity
  // alone (composited: a pulse of the border's colour repainted the whole
  // screen on the main thread every frame, a third of a throttled phone's
  // time while idle), and a tag at the top that says so on any width.
  const frame = make("div", { class: "share-frame", hidden: "", "aria-hidden": "true" });
  const frameTag = make("span", { class: "share-tag" });
  frame.append(frameTag);

  if ("adoptedStyleSheets" in root) {
    // A constructed stylesheet is not subject to the page's style-src CSP.
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  } else {
    root.append(make("style", {}, CSS));
  }

  // One live region for the whole life of the widget (a region made anew on each
  // render is not announced by every screen reader).
  const announcer = make("div", { class: "sr", "aria-live": "polite" });
  root.append(announcer, frame);
  function announce(text) {
    announcer.textContent = "";
    setTimeout(() => (announcer.textContent = text), 50);
  }

  function read() {
    try {
      return JSON.parse(sessionStorage.getItem(STORE)) || {};
    } catch {
      return {};
    }
  }
  function save() {
    env.state(state);
    const data = { side, fold: folded };
    if (token) Object.assign(data, { t: token, a: after, s: state, r: requested, u: unmask, rec: recording, m: memoTold, cs: cardSeen, lv: sharing });
    try {
      sessionStorage.setItem(STORE, JSON.stringify(data));
    } catch {}
  }

  function make(tag, attributes = {}, text, onclick) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    if (onclick) node.onclick = onclick;
    return node;
  }
  const button = (cls, text, onclick, label) =>
    make("button", { class: cls, type: "button", "data-key": label || text, ...(label ? { "aria-label": label } : {}) }, text, onclick);

  // -- drawing -----------------------------------------------------------------

  let drawn = "";
  function render() {
    // Drawn anew only when something shown has changed (a socket reconnecting
    // in the background does not rebuild the bar under the guest's finger).
    const shown = JSON.stringify([side, folded, state, live, requested, sending, note?.text, note?.kind, panelView, memoShared, recording, cardThere, sharing]);
    if (shown === drawn && dock.childElementCount) return;
    drawn = shown;
    // The dock is drawn anew: keep the focus on the same control, and move it
    // into a panel that opens while the guest is using the widget.
    const focused = root.activeElement?.dataset?.key;
    const inside = !!root.activeElement;
    host.className = side;
    const parts = [];
    const asking = requested || sharing === "asked";
    if (panelView) parts.push(panel());
    else if (sharing === "asked" && state === "connected" && !folded) {
      // The prompt was closed without an answer: the question stays in view,
      // before any other note (a memo or file note must not hide it).
      parts.push(noteView({ text: S.liveAsk, kind: "ask", action: [S.liveReview, () => show("liveAsk")] }));
    } else if (note && state === "connected" && !folded) parts.push(noteView(note));
    frame.hidden = state !== "connected" || (sharing !== "on" && sharing !== "paused");
    frame.classList.toggle("paused", sharing === "paused");
    frameTag.textContent = sharing === "paused" ? S.livePaused : S.liveOn;
    if (folded) {
      const tab = button(`tab${asking ? " ask" : ""}`, S.tab, () => fold(false), S.unfold);
      if (state === "connected") tab.append(make("i", { class: `dot${live ? "" : " off"}` }));
      parts.push(tab);
    } else if (state === "connected") {
      parts.push(bar());
    } else if (!panelView) {
      parts.push(button("launch", label || S.button, open));
    }
    dock.replaceChildren(...parts);
    // A tool is in the bar and in the menu (one of them hidden): the one shown.
    const again = focused && [...dock.querySelectorAll("[data-key]")].find((node) => node.dataset.key === focused && node.getClientRects().length);
    if (again) again.focus();
    else if (inside) dock.querySelector(".panel button:not(.x), .bar button, button")?.focus();
    env.avoidNow(); // before the browser paints: never drawn over the page's bar first
  }

  function bar() {
    // Recording while connected: 録画中 stands for 接続中 too (one label, read
    // as both), so a narrow phone keeps every button; the label shrinks
    // first, down to its red dot.
    const both = recording && live;
    const shares = live && (sharing === "on" || sharing === "paused");
    const view = make("div", { class: `bar${requested || sharing === "asked" ? " ask" : ""}${shares ? " sharing" : ""}`, role: "group", "aria-label": S.title });
    const status = make("span", { class: `state${shares ? ` sharing${sharing === "paused" ? " paused" : ""}` : both ? " recording" : ""}` });
    status.append(make("i", { class: `dot${live ? "" : " off"}` }));
    if (shares) {
      // Sharing says the most (and means connected); recording, if on, is a red
      // dot beside it, named for screen readers.
      status.append(make("span", { class: "sr" }, S.connected), make("span", { role: "status" }, sharing === "paused" ? S.livePaused : S.liveOn));
      // A tap on it says what is shared and offers pause and stop (on a phone
      // they are otherwise in the menu).
      status.setAttribute("role", "button");
      status.setAttribute("tabindex", "0");
      status.setAttribute("data-key", "live-state");
      status.setAttribute("aria-label", `${sharing === "paused" ? S.livePaused : S.liveOn}: ${S.liveControls}`);
      status.onclick = () => show("live");
      status.onkeydown = (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          show("live");
        }
      };
    } else if (both) status.append(make("span", { class: "sr" }, S.connected), make("span", { role: "status" }, S.rec));
    else status.append(make("span", {}, live ? S.connected : S.reconnecting));
    const send = button("send", sending ? S.sending : S.send, () => sendCapture().catch(() => {}));
    send.disabled = sending;
    view.append(status, send);
    if (recording && !live) view.append(make("span", { class: "rec", role: "status" }, S.rec));
    else if (recording && shares) {
      const rec = make("span", { class: "rec mini", role: "status" });
      rec.append(make("span", { class: "sr" }, S.rec));
      view.append(rec);
    }
    // The tools (memo, files, card) sit in the bar only where they fit with
    // every other button (640 px and wider); on a phone they are in the
    // 「メニュー」 sheet (CSS .tool), so 「この画面を送信」 and 「終了」 always fit.
    view.append(...liveControls("share tool", "live-stop tool"));
    if (memoShared) view.append(button("memo tool", S.memo, openMemo, S.memoOpen));
    view.append(button("memo tool", S.files, openFiles, S.filesOpen));
    if (cardThere) view.append(button("namecard tool", S.card, () => openCard(), S.cardTitle));
    view.append(button("end", S.end, () => show("confirm")), button("menu", S.menu, () => show("menu")));
    return view;
  }

  /** Pause or resume, and stop: in the bar where they fit, else in the menu. */
  function liveControls(pauseClass, stopClass) {
    if (sharing !== "on" && sharing !== "paused") return [];
    const paused = sharing === "paused";
    return [
      button(pauseClass, paused ? S.liveResume : S.livePause, () => answerLive(paused ? "resume" : "pause")),
      button(stopClass, S.liveStop, () => answerLive("stop")),
    ];
  }

  function noteView(note) {
    const view = make("div", { class: `note ${note.kind || ""}${note.progress ? " sending" : ""}` });
    view.append(make("span", {}, note.text));
    if (note.action) view.append(button("", note.action[0], note.action[1]));
    if (note.progress) view.append(note.progress);
    return view;
  }

  function panel() {
    const title = { memo: S.memoTitle, files: S.filesTitle, card: S.cardTitle, menu: S.menu, liveAsk: S.liveAsk, live: S.liveOn }[panelView.name] || S.title;
    const view = make("div", { class: "panel", role: "dialog", "aria-label": title });
    const head = make("div", { class: "head" }, title);
    head.append(button("x", "×", () => show(null), S.close));
    view.append(head);
    const content = {
      intro: () => [
        make("p", {}, S.intro),
        make("p", { class: "muted" }, S.privacy),
        button("btn", S.agree, (event) => getNumber(event.target)),
      ],
      number: () => [
        make("p", { class: "muted" }, S.number),
        make("div", { class: "num" }, panelView.number),
        panelView.left,
        button("btn sub", S.cancel, () => end(true)),
      ],
      confirm: () => [make("p", {}, S.endAsk), make("p", { class: "muted" }, S.endCall), rowOf(button("btn bad", S.endYes, () => end(false)), button("btn sub", S.back, () => show(null)))],
      liveAsk: () => [
        make("p", {}, S.liveWhat),
        rowOf(button("btn", S.liveAgree, (event) => answerLive("agree", event.target)), button("btn sub", S.liveDecline, () => answerLive("decline"))),
      ],
      live: () => [make("p", {}, S.liveWhat), rowOf(...liveControls("btn sub", "btn bad"))],
      menu: () => [
        ...liveControls("btn sub tool", "btn sub tool"),
        ...(memoShared ? [button("btn sub tool", S.memoTitle, openMemo, S.memoOpen)] : []),
        button("btn sub tool", S.filesTitle, openFiles, S.filesOpen),
        ...(cardThere ? [button("btn sub tool", S.cardTitle, () => openCard())] : []),
        button("btn sub", side === "left" ? S.toRight : S.toLeft, () => move(side === "left" ? "right" : "left")),
        button("btn sub", S.fold, () => fold(true)),
      ],
      ended: () => [make("p", {}, S.ended)],
      memo: () => [make("p", { class: "muted" }, S.memoHelp), memoView.status, memoView.textarea],
      card: () => [cardView?.element || make("p", { class: "muted" }, S.memoLoading)],
      files: () => [filesView],
      message: () => [make("p", {}, panelView.text), ...(panelView.extra || [])],
    }[panelView.name]();
    view.append(...content);
    return view;
  }
  const rowOf = (...children) => {
    const row = make("div", { class: "row" });
    row.append(...children);
    return row;
  };

  function show(name, extra = {}) {
    panelView = name ? { name, ...extra } : null;
    if (name === "message") announce(extra.text);
    else if (name === "ended") announce(S.ended);
    if (name !== "number") clearInterval(countdown);
    render();
  }

  function fold(value) {
    folded = value;
    panelView = null;
    save();
    render();
  }

  function move(to) {
    side = to;
    panelView = null;
    save();
    render();
  }

  // -- connection ----------------------------------------------------------------

  // Cross-origin from the owner's page: CORS mode, no cookies, the guest token.
  const call = (path, method = "GET", body) => request(server + path, { method, body, token });

  function open() {
    if (folded) fold(false);
    if (state === "connected") return show(null);
    if (state === "waiting" && token) return resume();
    show("intro");
  }

  async function getNumber(trigger) {
    if (trigger) trigger.disabled = true;
    let result = null;
    try {
      result = await call("/api/v1/guest/numbers", "POST", { site_key: siteKey });
    } catch {
      return explainFailure();
    }
    if (!result.ok || !result.data?.guest_token) {
      return show("message", { text: result.data?.error?.message || S.network, extra: [button("btn", S.retry, () => getNumber())] });
    }
    token = result.data.guest_token;
    unmask = result.data.unmask_selectors || [];
    after = 0;
    state = "waiting";
    save();
    showNumber(result.data.number, result.data.expires_in);
    listen();
  }

  /** A call that failed without an answer: the network, or (most often when an
   *  owner tries the tag) an origin the site has not registered, which the
   *  browser hides behind a CORS error. The open origin check tells which. */
  async function explainFailure() {
    let check = null;
    try {
      check = (await request(`${server}/api/v1/embed/origin?site_key=${encodeURIComponent(siteKey)}`)).data;
    } catch {}
    if (check && check.allowed === false) {
      console.warn(`Tsunagu: ${check.message}`);
      return show("message", { text: S.origin });
    }
    show("message", { text: S.network, extra: [button("btn", S.retry, () => getNumber())] });
  }

  function showNumber(number, seconds) {
    const left = make("p", { class: "muted" });
    const ends = Date.now() + seconds * 1000;
    show("number", { number, left });
    announce(`${S.number}: ${String(number).split("").join(" ")}`);
    const tick = () => {
      const s = Math.max(0, Math.round((ends - Date.now()) / 1000));
      left.textContent = `${S.left}${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
      if (s === 0 && panelView?.name === "number") {
        clearInterval(countdown);
        show("message", { text: S.expired, extra: [button("btn", S.reissue, (event) => getNumber(event.target))] });
      }
    };
    tick();
    countdown = setInterval(tick, 1000);
  }

  function connect() {
    const first = state !== "connected";
    state = "connected";
    if (panelView?.name === "number" || panelView?.name === "intro") panelView = null;
    save();
    render();
    report(true);
    if (first) {
      announce(S.connected);
      emit("connected");
      watchMemo();
      checkCard();
    }
  }

  function finish(silent) {
    const was = state;
    closeMemo();
    memoTold = false;
    files = null;
    filesView = null;
    state = "idle";
    token = null;
    live = false;
    requested = false;
    note = null;
    cardThere = false;
    cardView = null;
    setSharing(null, true);
    pointers?.hide(true);
    hitMaps.clear();
    clearInterval(countdown);
    stopListening();
    save();
    show(silent ? null : "ended");
    if (was !== "idle") emit("ended");
  }

  async function resume() {
    let result = null;
    try {
      result = await call("/api/v1/guest/session");
    } catch {
      return later(resume); // offline, or the server restarting: try again
    }
    if (result.status === 401 || result.status === 403) return finish(true);
    if (!result.ok || !result.data) return later(resume);
    const data = result.data;
    unmask = data.unmask_selectors || unmask;
    if (data.status === "connected") {
      connect();
      // The live view goes on across the site's pages: recording again at once
      // (a full snapshot), paused, or the question asked again.
      if (data.live_view === "asked") sharing = null; // the prompt itself, not only a note
      setSharing(data.live_view ?? null);
    }
    else if (data.status === "waiting") showNumber(data.number, data.expires_in);
    else if (["ended", "removed", "left"].includes(data.status)) return finish();
    else {
      state = "idle";
      token = null;
      stopListening(); // an expired number has nothing more to hear
      save();
      return show("message", { text: S.expired, extra: [button("btn", S.reissue, (event) => getNumber(event.target))] });
    }
    listen();
  }

  // One socket per page; it resumes after the last event this tab has seen, so
  // nothing is replayed, and reconnects with backoff and jitter after any close:
  // 0.5-1 s, then doubling up to 30 s, started over by any message. Retries of
  // the session check share the same backoff.
  const backoff = new Backoff({ firstMs: 1000, maxMs: 30000 });
  let retryTimer = null;
  function listen() {
    if (channel || !token) return;
    const down = () => {
      clearTimeout(downTimer);
      downTimer = setTimeout(() => setLive(false), 1500);
    };
    channel = new Channel({
      server,
      path: "/api/v1/guest/live",
      backoff,
      hello: () => ({ type: "hello", token }),
      // 4401: the token may be no good any more (the session says); 4403: this
      // origin is not allowed, which no retry changes; 4410: the host removed
      // this guest (the session says so too).
      isFinal: (code) => code === 4401 || code === 4403 || code === 4410,
      onConnecting: down,
      onState: (value, code) => {
        if (value === "open") {
          clearTimeout(downTimer);
          setLive(true);
          if (state === "connected") watchMemo();
          if (state === "connected" && !cardThere) checkCard();
          if (memo) memo.connected();
          // Changes made while the socket was down were not sent: the host
          // starts over from a full snapshot.
          if (liveView?.on) liveView.snapshot();
          return;
        }
        if (memo) memo.disconnected();
        down();
        if (value !== "closed") return;
        channel = null;
        if (code === 4403) return show("message", { text: S.origin });
        later(resume);
      },
      onEvent: (event) => {
        setLive(true);
        if (event.type.startsWith("memo.")) return memoMessage(event);
        if (event.type.startsWith("view.")) return viewMessage(event);
        if (typeof event.id === "number" && event.id > after) after = event.id;
        // Joined (this guest's own guest.attached: the server sends no other
        // guest's). Only once: connect() reports the page, and a repeat
        // (a replay on reconnect) would record the visit twice.
        if (event.type === "meeting.started" || event.type === "guest.attached") {
          if (state !== "connected") connect();
        } else if (event.type === "meeting.ended") return finish();
        else if (event.type === "card.shown") {
          if (!(event.id <= cardSeen)) openCard(true);
          cardSeen = Math.max(cardSeen, event.id || 0);
        }
        else if (event.type === "recording.started" || event.type === "recording.stopped") {
          recording = event.type === "recording.started";
          render();
        } else if (event.type === "file.sent") {
          if (files?.apply) files.apply(event);
          if (event.payload.sender === "host" && panelView?.name !== "files") {
            // Counted until the panel is opened, so a second file does not hide the first.
            filesUnseen++;
            const text =
              filesUnseen === 1
                ? S.filesText.arrived.replace("{name}", event.payload.name)
                : S.filesText.arrived_many.replace("{count}", String(filesUnseen));
            note = { text, kind: "", action: [S.files, openFiles] };
            render();
            announce(note.text);
          }
        } else if (event.type.startsWith("live_view.")) {
          const states = { asked: "asked", started: "on", resumed: "on", paused: "paused", declined: null, stopped: null, withdrawn: null };
          const name = event.type.slice("live_view.".length);
          if (name in states) {
            if (name === "stopped" && sharing && event.payload?.by === "host") {
              note = { text: S.liveEnded, kind: "" };
              announce(S.liveEnded);
              // Said, then out of the way of the page (as 「送信しました」 is).
              setTimeout(() => {
                if (note?.text !== S.liveEnded) return;
                note = null;
                render();
              }, 5000);
            }
            setSharing(states[name]);
          }
        } else if (event.type === "capture.requested") {
          requested = true;
          note = { text: S.asked, kind: "ask" };
          render();
          announce(S.asked);
          emit("requested");
        }
        save();
      },
    }).start(after);
  }
  /** Try again after the backoff. */
  function later(work) {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => token && work(), backoff.next());
  }
  function stopListening() {
    clearTimeout(retryTimer);
    clearTimeout(downTimer);
    if (channel) channel.stop();
    channel = null;
  }
  function setLive(value) {
    if (live === value) return;
    live = value;
    if (state === "connected") {
      render();
      announce(value ? S.connected : S.reconnecting);
    }
  }
  document.addEventListener("visibilitychange", () => {
    // Back from the lock screen: try now rather than at the end of a backoff.
    if (document.visibilityState === "visible" && token && !channel?.socket) {
      clearTimeout(retryTimer);
      backoff.reset();
      if (channel) channel.reconnectNow();
      else listen();
    }
  });

  // Pages are reported one after another, so the host's list keeps their order;
  // the same address twice in a row is one visit (apps that replaceState often).
  let reporting = Promise.resolve();
  let reported = "";
  function report(force) {
    if (state !== "connected") return;
    const page = pageInfo();
    if (!force && page.url === reported) return;
    reported = page.url;
    reporting = reporting.then(() => call("/api/v1/guest/pages", "POST", page)).catch(() => {});
  }
  let reportTimer = null;
  const reportSoon = () => {
    clearTimeout(reportTimer);
    reportTimer = setTimeout(() => {
      report();
      // A single-page app's new address: rrweb tells a page's address only
      // with a full snapshot (its Meta), so the host's page line follows.
      if (liveView?.on && location.href !== liveView.href) liveView.snapshot();
    }, 300);
  };
  for (const name of ["pushState", "replaceState"]) {
    const original = history[name];
    history[name] = function (...args) {
      const result = original.apply(this, args);
      reportSoon();
      return result;
    };
  }
  addEventListener("popstate", reportSoon);
  addEventListener("hashchange", reportSoon);

  /** The page's address and title, shortened to what the server keeps. */
  function pageInfo() {
    const clip = (text, size) => (text.length > size ? `${text.slice(0, size - 1)}…` : text);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes
    const title = document.title.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, " ").replace(/\s+/g, " ").trim();
    return { url: clip(location.href, 2048), title: clip(title, 500) };
  }

  // -- the shared memo -------------------------------------------------------------

  /** Ask whether the host shows the memo to the guest (and hear when that changes). */
  function watchMemo() {
    if (channel) channel.send({ type: "memo.watch" });
  }

  function memoMessage(message) {
    if (message.type === "memo.access") {
      memoShared = message.shared;
      // Said once when the host starts showing it (the memo's button may be
      // in the menu), not again on each page of the site.
      if (memoShared && !memoTold && panelView?.name !== "memo") {
        note = { text: S.memoShown, kind: "", action: [S.memo, openMemo] };
        announce(S.memoShown);
      }
      memoTold = memoShared;
      save();
      if (!memoShared && panelView?.name === "memo") panelView = null;
      render();
      if (memoShared && memo) memo.connected(); // shown again: what was written meanwhile
      return;
    }
    if (memo) memo.receive(message);
  }

  /** Open the memo's panel; Yjs (with embed/memo.js) is fetched on the first open only. */
  async function openMemo() {
    if (note?.action?.[1] === openMemo) note = null;
    if (!memoView) {
      const textarea = make("textarea", { class: "memo-text", "data-key": "memo-text", "aria-label": S.memoTitle, rows: "6", readonly: "" });
      memoView = { textarea, status: make("p", { class: "muted memo-status", role: "status" }, S.memoLoading) };
    }
    show("memo");
    if (memo) return;
    memo = "loading";
    let Memo;
    try {
      ({ Memo } = await import(`${server}/embed/memo.js`));
    } catch {
      memo = null;
      memoView.status.textContent = S.memoFailed;
      return;
    }
    if (memo !== "loading") return; // ended meanwhile
    memo = new Memo({
      textarea: memoView.textarea,
      send: (message) => channel?.send(message) ?? false,
      onStatus: (status, detail) => {
        const tooLarge = detail?.code === "memo_too_large" || detail?.code === "memo_update_too_large";
        memoView.status.textContent = S.memoStatus[status === "refused" && tooLarge ? "too_large" : status] || "";
      },
      onAccess: (shared) => memoMessage({ type: "memo.access", shared }),
    });
    if (channel?.socket?.readyState === WebSocket.OPEN) memo.connected();
  }

  // -- files ---------------------------------------------------------------------

  /** Open the files panel; embed/files.js is fetched on the first open only. */
  async function openFiles() {
    filesUnseen = 0;
    if (note?.action?.[1] === openFiles) note = null;
    if (!filesView) filesView = make("div", { class: "files" }, S.filesLoading);
    show("files");
    if (files) return files.refresh?.();
    files = "loading";
    let GuestFiles;
    try {
      ({ GuestFiles } = await import(`${server}/embed/files.js`));
    } catch {
      files = null;
      filesView.textContent = S.filesFailed;
      return;
    }
    if (files !== "loading") return; // ended meanwhile
    filesView.textContent = "";
    files = new GuestFiles({ root: filesView, strings: S.filesText, token: () => token, server, lang });
    files.refresh();
  }

  function closeMemo() {
    if (memo && memo !== "loading") memo.destroy();
    memo = null;
    memoView = null;
    memoShared = false;
  }

  // -- the host's business card ------------------------------------------------

  /** Whether the host has a card to show: the bar's 「名刺」 button. */
  async function checkCard() {
    let result = null;
    try {
      result = await call("/api/v1/guest/card");
    } catch {
      return;
    }
    cardThere = !!result?.ok;
    render();
  }

  /** Open the card's panel (embed/card.js is fetched the first time); the host
   *  showing it (`pushed`) opens it too, and the guest is told. */
  async function openCard(pushed = false) {
    if (state !== "connected") return;
    if (folded) fold(false);
    if (pushed) announce(S.cardShown);
    show("card");
    try {
      if (!cardView) {
        const { GuestCard, STRINGS, adoptCardStyles } = await import(`${server}/embed/card.js`);
        adoptCardStyles(root);
        cardView = new GuestCard({ server, token: () => token, S: STRINGS[lang] || STRINGS.ja });
      }
    } catch {
      return show("message", { text: S.cardFailed });
    }
    cardThere = (await cardView.load()) || cardThere;
    if (panelView?.name !== "card") return;
    drawn = ""; // the same panel, now with the card in it: drawn anew
    render();
  }

  // -- the live view and the host's pointer (issue #16) -----------------------------

  /** The live view's state, from the server (an event, the session, an answer). */
  function setSharing(value, quiet = false) {
    const was = sharing;
    sharing = value;
    if (value !== was) sharingChecked = false;
    if (value === "on") recordPage();
    else if (liveView && liveView !== "loading") liveView.stop();
    if (value === "asked" && was !== "asked" && !quiet) {
      if (folded) folded = false;
      show("liveAsk");
      announce(`${S.liveAsk} ${S.liveWhat}`);
    } else if (value !== "asked" && panelView?.name === "liveAsk") {
      panelView = null;
    }
    if (!quiet && value !== was && (value === "on" || value === "paused")) announce(value === "on" ? S.liveOn : S.livePaused);
    save();
    render();
  }

  /** Record and send the page (embed/live_view.js, fetched the first time). */
  async function recordPage() {
    if (liveView === "loading") return;
    if (!liveView) {
      liveView = "loading";
      try {
        const { LiveView } = await import(`${server}/embed/live_view.js`);
        liveView = new LiveView({ send: sendRaw, host, unmask, everPassword, mask: S.liveMask });
      } catch {
        liveView = null;
        note = { text: S.liveFailed, kind: "bad" };
        return render();
      }
    }
    liveView.unmask = unmask;
    if (sharing === "on" && state === "connected") liveView.start(); // still on after the fetch
  }

  /** A message already serialised, on the live socket; false when it is down. */
  function sendRaw(text) {
    const socket = channel?.socket;
    if (socket?.readyState !== WebSocket.OPEN) return false;
    socket.send(text);
    return true;
  }

  /** The guest's answer and controls: agree, decline, pause, resume, stop.
   *  Pausing and stopping take effect here first (the recorder stops before the
   *  server is told); agreeing starts recording only once the server says "on". */
  async function answerLive(action, trigger) {
    if (trigger) trigger.disabled = true;
    if (panelView?.name === "menu") panelView = null; // done with the sheet: the page again
    if (action === "pause") setSharing("paused", true);
    else if (action === "stop" || action === "decline") setSharing(null, true);
    let result = null;
    try {
      result = await call("/api/v1/guest/live-view", "POST", { action });
    } catch {}
    if (result?.ok) return setSharing(result.data?.state ?? null);
    const code = result?.data?.error?.code;
    if (code === "meeting_ended" || code === "not_connected") return finish();
    if (code === "live_view_not_asked") return setSharing(null);
    if (trigger) trigger.disabled = false;
    note = { text: S.network, kind: "bad" };
    render();
    announce(S.network);
  }

  /** Messages of the live view that are not stored (no id): the host's requests. */
  function viewMessage(message) {
    if (message.type === "view.ping") channel?.send({ type: "view.pong", t: message.t });
    else if (message.type === "view.want") {
      if (liveView?.on) liveView.snapshot();
    } else if (message.type === "view.save") {
      // "Save this moment": an ordinary capture, masked as any, marked as from the live view.
      if (sharing === "on") sendCapture({ origin: "live_view" }).catch(() => {});
    } else if (message.type === "view.pointer") point(message);
    else if (message.type === "view.refused") {
      if (message.reason === "not_sharing") checkSharing();
      else if (liveView && liveView !== "loading") liveView.refused(message.reason);
    }
  }

  /** The server says the live view is not on while this page sends frames
   *  (an event missed): the state as the server keeps it, asked once per
   *  state (a refusal per frame must not become a request per frame). */
  async function checkSharing() {
    if (sharing !== "on" || sharingChecked) return;
    sharingChecked = true;
    let result = null;
    try {
      result = await call("/api/v1/guest/session");
    } catch {
      return;
    }
    if (result.ok && result.data && sharing === "on") setSharing(result.data.live_view ?? null);
  }

  function keepHits(id, hits) {
    if (id === undefined || !hits) return;
    hitMaps.set(id, hits);
    // The newest few: a pointer is on the newest capture of this page.
    for (const old of hitMaps.keys()) if (hitMaps.size > 5) hitMaps.delete(old);
  }

  /** Show the host's pointer (embed/pointer.js, fetched the first time). */
  async function point(message) {
    const target = message.target || {};
    const tell = (ok, reason) => channel?.send({ type: "view.result", ok, reason });
    let module;
    try {
      module = await import(`${server}/embed/pointer.js`);
    } catch {
      return tell(false, "not_loaded");
    }
    pointers ||= new module.Pointers({ root });
    let spot = null;
    if (target.node !== undefined) {
      // Node ids are this page load's: one clicked on another page's replay
      // (the guest moved on since) may name any element here.
      const here = liveView && liveView !== "loading" ? liveView.page : null;
      if (target.page !== here) {
        pointers.hide(true);
        return tell(false, "other_page");
      }
      const element = liveView.on ? liveView.node(target.node) : null;
      if (element) spot = { element, fx: target.fx, fy: target.fy };
    } else if (target.capture_id !== undefined) {
      const hits = hitMaps.get(target.capture_id);
      // A capture from another page (or before a reload): its boxes are not here.
      if (!hits) return tell(false, "other_page");
      spot = module.hitTest(hits, Number(target.x), Number(target.y));
      if (spot && !spot.element.isConnected) spot = null;
    }
    if (!spot) {
      pointers.show({ element: null });
      return tell(false, "not_found");
    }
    // On screen or at the edge pointing to it: shown either way.
    pointers.show({ ...spot, name: String(message.name || ""), points: Array.isArray(message.points) ? message.points : null });
    tell(true, "shown");
  }

  // -- capture -----------------------------------------------------------------

  async function sendCapture(fields = {}) {
    if (state !== "connected") throw failure("not_connected", S.over);
    if (sending) throw failure("busy", S.sending);
    sending = true;
    const progress = make("progress", { max: "1", value: "0" });
    // A moment the host saves from the live view: the guest did not tap, so
    // the note says who asked for it.
    note = { text: fields.origin === "live_view" ? S.liveSaving : S.sending, kind: "", progress };
    render();
    try {
      const { capture } = await import(`${server}/embed/capture.js`);
      const draw = async (options) => {
        let timer;
        // Every capture ends: a page that holds the copy up (it should not)
        // costs ten seconds and a message, never a send button stuck for good.
        const limit = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error("time")), 10000)));
        try {
          return await Promise.race([capture({ exclude: host, unmask, everPassword, lang, ...options }), limit]);
        } catch (error) {
          throw failure("capture_failed", S.draw, error);
        } finally {
          clearTimeout(timer);
        }
      };
      let sent;
      let shot = await draw({});
      try {
        sent = await upload(shot, progress, fields);
      } catch (error) {
        if (error.code !== "capture_too_large") throw error;
        // Rare (a huge, detailed page): once more, smaller.
        shot = await draw({ maxEdge: 1280, quality: 0.6 });
        sent = await upload(shot, progress, fields);
      }
      keepHits(sent?.id, shot.hits);
      requested = false;
      sending = false;
      note = { text: S.sent, kind: "" };
      save();
      render();
      setTimeout(() => {
        if (note?.text !== S.sent) return;
        note = null;
        render();
      }, 3000);
      announce(S.sent);
      emit("sent", { id: sent.id, url: sent.url, title: sent.title });
      return sent;
    } catch (error) {
      sending = false;
      const known = error.code ? error : failure("network", S.network, error);
      if (known.code === "meeting_ended" || known.code === "not_connected" || known.code === "guest_token_expired") {
        finish();
      } else {
        // Sent again as it was asked for (a moment the host saved stays marked so).
        note = { text: known.message, kind: "bad", action: [S.retry, () => sendCapture(fields).catch(() => {})] };
        render();
        announce(known.message);
      }
      emit("failed", { code: known.code, message: known.message });
      throw known;
    }
  }

  /** Send one capture. A busy server (503, or 429 with Retry-After) says when to
   *  try again: the guest is told, and the same picture goes again then, under the
   *  same idempotency key, so a try whose answer was lost is not stored twice. A
   *  request that fails without an answer is tried once more the same way. */
  async function upload(shot, progress, extra) {
    try {
      return await withRetries((key) => post(shot, key, progress, extra), {
        busyTries: BUSY_TRIES,
        wait: async (seconds, error) => {
          const busy = error.retryAfter !== undefined;
          const told = !busy ? null : error.code === "too_many_captures" ? S.paced : S.busy;
          await waitToResend(seconds, told, progress);
          if (state !== "connected") throw failure("not_connected", S.over); // ended meanwhile
        },
      });
    } catch (error) {
      // Still busy after every try: said as such (pacing keeps its own words).
      throw error.retryAfter !== undefined && error.code !== "too_many_captures" ? failure(error.code, S.busyGaveUp) : error;
    }
  }

  /** Wait `seconds` (plus up to one more, so guests told the same wait do not all
   *  come back in the same instant), counting down in the note with `told`. */
  async function waitToResend(seconds, told, progress) {
    const until = Date.now() + (seconds + Math.random()) * 1000;
    if (told) announce(told.replace("{n}", Math.ceil(seconds)));
    for (let left = until - Date.now(); left > 0; left = until - Date.now()) {
      if (told && state === "connected") {
        note = { text: told.replace("{n}", Math.ceil(left / 1000)), kind: "" };
        render();
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(left, 1000)));
    }
    if (state !== "connected") return;
    progress.value = 0;
    note = { text: S.sending, kind: "", progress };
    render();
  }

  function post(shot, key, progress, extra = {}) {
    const form = new FormData();
    form.append("image", shot.blob, shot.type === "image/webp" ? "capture.webp" : "capture.jpg");
    const fields = { ...pageInfo(), viewport_width: innerWidth, viewport_height: innerHeight, device_pixel_ratio: devicePixelRatio || 1, ...extra };
    for (const [name, value] of Object.entries(fields)) form.append(name, String(value));
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", `${server}/api/v1/guest/captures`);
      xhr.setRequestHeader("authorization", `Bearer ${token}`);
      xhr.setRequestHeader("idempotency-key", key);
      xhr.upload.onprogress = (event) => {
        if (event.lengthComputable) progress.value = event.loaded / event.total;
      };
      xhr.onload = () => {
        let body = null;
        try {
          body = JSON.parse(xhr.responseText);
        } catch {}
        if (xhr.status === 201) return resolve(body);
        const code = errorCode(xhr.status, body);
        const words = { capture_too_large: S.tooLarge, too_many_captures: S.tooMany, meeting_ended: S.over, not_connected: S.over };
        const error = failure(code, words[code] || body?.error?.message || S.network);
        if (xhr.status === 503 || xhr.status === 429) {
          error.retryAfter = retryAfter(xhr.getResponseHeader("retry-after"), xhr.status);
        }
        reject(error);
      };
      xhr.onerror = () => reject(failure("network", S.network));
      // A timeout or an abort is not tried again: the uplink is too slow or gone.
      xhr.ontimeout = xhr.onabort = () => reject(Object.assign(failure("network", S.network), { final: true }));
      // A dead mobile uplink is told as such, not left sending for ever.
      xhr.timeout = 30000;
      xhr.send(form);
    });
  }

  async function end(silent) {
    if (state === "idle" && !token) return; // nothing to end
    if (token) {
      try {
        await call("/api/v1/guest/leave", "POST");
      } catch {}
    }
    finish(silent);
  }


  if (token) resume();
  render();
  return {
    open,
    send: () => sendCapture(),
    end: () => end(false),
  };
}
