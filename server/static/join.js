// The public join page: consent -> a number to read out -> connected -> ended.
// Opened from a join link (/j/<token>, an SMS or a QR code) it skips the
// number: name and agreements -> connected to that meeting, or, when the
// meeting has a waiting room, knocking -> let in (connected) or turned away
// for now (knock again after a minute).
// The guest token lives in sessionStorage, so a reload (or a tab brought
// back from the background) picks up where the guest was.

import { request } from "/embed/api.js";
import { LiveChannel, format, pageStrings } from "/static/live.js";
import { VideoCall, bindControls } from "/static/video.js";

const T = pageStrings();
const TOKEN = "tsunagu.guest_token";
const $ = (id) => document.getElementById(id);
const { link } = JSON.parse($("join-data").textContent);
const linkSections = ["problem", "knocking", "refused", "knock-left"];
const sections = ["intro", "waiting", "connected", "ended", "removed", ...(link ? linkSections : [])];
// A link admits the browser that used it first: keep that browser's guest
// token beyond this tab, so tapping the SMS again (a new tab) or reloading
// after the link's half hour finds the same guest.
const LINK_GUEST = link ? `tsunagu.link_guest.${link.meeting_id}` : null;

let channel = null;
let countdown = null;
let call = null;
let retrying = null;
let asking = 0;
// The host removed this guest: their socket is closed with this code.
const REMOVED = 4410;
let memo = null;
let waitedTimer = null;
let againTimer = null;

function show(name) {
  for (const section of sections) $(section).hidden = section !== name;
  if (name !== "knocking") clearInterval(waitedTimer);
  if (name !== "refused") clearInterval(againTimer);
}

function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

// In the waiting room: the time waited, counted from the knock.
function showKnocking(knock) {
  show("knocking");
  const since = knock?.knocked_at ? new Date(knock.knocked_at).getTime() : Date.now();
  const tick = () => {
    $("waited").textContent = format(T["join.js.waited"], { time: clock((Date.now() - since) / 1000) });
  };
  tick();
  clearInterval(waitedTimer);
  waitedTimer = setInterval(tick, 1000);
}

// Turned away for now: a polite word, the host's note, and a new knock once
// the server allows it (it says how long is left).
function showRefused(knock) {
  show("refused");
  const notes = {
    busy: T["join.js.note.busy"],
    call_back: T["join.js.note.call_back"],
    another_day: T["join.js.note.another_day"],
  };
  const note = (knock?.note && notes[knock.note]) || "";
  $("refused-note").textContent = note || "";
  $("refused-note").hidden = !note;
  $("knock-again-error").hidden = true;
  const ready = Date.now() + (knock?.again_in || 0) * 1000;
  const tick = () => {
    const left = Math.ceil((ready - Date.now()) / 1000);
    $("knock-again").disabled = left > 0;
    $("again-in").textContent = left > 0 ? format(T["join.js.again_in"], { seconds: left }) : "";
    if (left <= 0) clearInterval(againTimer);
  };
  tick();
  clearInterval(againTimer);
  againTimer = setInterval(tick, 1000);
}

function token() {
  return sessionStorage.getItem(TOKEN);
}

// A POST always carries a JSON body, if only {} (the API reads one).
async function fetchJson(path, method = "GET", body = {}) {
  return request(path, { method, token: token(), body: method === "POST" ? body : undefined });
}

function errorText(result) {
  return result.data?.error?.message || T["join.js.network"];
}

function showWaiting(number, expiresIn) {
  show("waiting");
  $("number").textContent = number;
  $("expired").hidden = true;
  $("reissue-error").hidden = true;
  const total = Math.max(1, expiresIn);
  const ends = Date.now() + expiresIn * 1000;
  clearInterval(countdown);
  const tick = () => {
    const left = Math.max(0, Math.round((ends - Date.now()) / 1000));
    const time = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
    $("remaining").textContent = format(T["join.js.expires_in"], { time });
    $("bar").style.width = `${(left / total) * 100}%`;
    if (left === 0) {
      clearInterval(countdown);
      $("expired").hidden = false;
      $("expired-text").textContent = T["join.js.expired"];
      $("reissue").textContent = T["join.js.reissue"];
      $("number").setAttribute("aria-disabled", "true");
    } else {
      $("number").removeAttribute("aria-disabled");
    }
  };
  tick();
  countdown = setInterval(tick, 1000);
}

// `video`: this guest is the one on video with the host (one at a time);
// undefined until the server has said (then neither the call nor the note).
function showConnected(hostName, video) {
  clearInterval(countdown);
  show("connected");
  $("host-name").textContent = hostName ? format(T["join.js.host"], { name: hostName }) : "";
  $("connection-state").textContent = "";
  setVideo(video);
  startMemo();
}

function setVideo(video) {
  $("video-area").hidden = video !== true;
  $("video-elsewhere").hidden = video !== false;
  if (video === true) startCall();
  else endCall();
}

// Where this guest stands now: asked again when the meeting starts, and when
// the host moves the video to another guest or removes one.
async function refreshSession() {
  const mine = ++asking;
  const result = await fetchJson("/api/v1/guest/session").catch(() => null);
  if (!result?.ok || mine !== asking) return;
  const session = result.data;
  if (session.status === "removed") showRemoved();
  else if (session.status === "left") showEnded("guest");
  else if (session.status === "waiting" && session.knock) showKnocking(session.knock);
  else if (session.status === "refused") showRefused(session.knock);
  else if (session.status === "connected") showConnected(session.host_name, session.video);
  else if (session.status === "ended") showEnded(session.ended_by);
}

// Removed by the host: everything stops, but the token is kept, so a reload
// (or the link tapped again) still says so rather than starting afresh.
function showRemoved() {
  asking++; // as in showEnded: nothing asked before this may undo it
  endCall();
  clearInterval(countdown);
  if (channel) channel.stop();
  channel = null;
  stopMemo();
  show("removed");
}

// The shared memo, below the call: Yjs is fetched only now, once connected.
async function startMemo() {
  if (memo) return;
  memo = "loading";
  const S = JSON.parse($("memo-strings").textContent);
  const { Memo } = await import("/embed/memo.js");
  if (memo !== "loading") return; // ended meanwhile
  const status = $("memo-status");
  memo = new Memo({
    textarea: $("memo-text"),
    send: (message) => channel?.send(message) ?? false,
    onStatus: (state, detail) => {
      const tooLarge = detail?.code === "memo_too_large" || detail?.code === "memo_update_too_large";
      status.textContent = state === "refused" ? (tooLarge ? S.too_large : S.refused) : S[state] || "";
      status.dataset.status = state;
    },
    // Shown once the server has sent it; hidden while the host keeps it to themselves.
    onState: () => ($("memo-section").hidden = false),
    onAccess: (shared) => {
      $("memo-section").hidden = true;
      if (shared && memo?.connected) memo.connected(); // shown again: fetch what was written meanwhile
    },
  });
  if (channel?.socket?.readyState === WebSocket.OPEN) memo.connected();
}

function stopMemo() {
  if (memo && memo !== "loading") memo.destroy();
  memo = null;
  $("memo-section").hidden = true;
}

// The camera call with the host: starts once connected, ends with the meeting.
function startCall() {
  if (call) return;
  call = new VideoCall({
    setup: async () => {
      const result = await fetchJson("/api/v1/guest/call");
      if (!result.ok) throw new Error(errorText(result));
      return result.data;
    },
    send: (message) => channel?.send(message),
    polite: true,
    firstPeer: "host",
    stage: $("video-stage"),
    onStatus: () => {},
    onSignal: (kind) => {
      if (kind === "ask-camera" && $("video-stage").dataset.camera !== "on") $("camera-asked").hidden = false;
    },
  });
  bindControls(call, T, $("video-status"));
  call.start().catch((error) => {
    $("video-status").textContent = error.message;
  });
}

function endCall() {
  if (call) call.end();
  call = null;
  $("camera-asked").hidden = true;
}

function showEnded(by) {
  asking++; // an answer on its way from before the end must not show "connected" again
  endCall();
  stopMemo();
  forget();
  show("ended");
  $("ended-reason").textContent = T[`join.js.ended_by_${by}`] || T["join.js.ended_by_host"];
}

function listen() {
  if (channel) return;
  channel = new LiveChannel({
    path: "/api/v1/guest/live",
    hello: () => ({ type: "hello", token: token() }),
    isFinal: (code) => code === 4401 || code === REMOVED,
    onState: (state, code) => {
      if (state === "closed" && code === REMOVED) {
        showRemoved();
        return;
      }
      if (state === "closed" && code === 4401) {
        // The token is no longer good (expired or unknown): start afresh.
        forget();
        start();
        return;
      }
      if (!$("connected").hidden) {
        $("connection-state").textContent = state === "reconnecting" ? T["join.js.reconnecting"] : "";
      }
      // Knocking: an answer given while the socket was down is read back.
      if (state === "open" && link && !($("knocking").hidden && $("refused").hidden)) refreshSession();
      // Signals sent while the socket was down are lost: start over if needed.
      if (state === "open" && call) call.resync();
      if (memo?.connected) {
        if (state === "open") memo.connected();
        else memo.disconnected();
      }
    },
    onEvent: (event) => {
      // Parts of the page this file does not own (the recording notice, the
      // IT重説 checklist) follow the meeting through this DOM event.
      document.dispatchEvent(new CustomEvent("tsunagu:event", { detail: event }));
      if (event.type.startsWith("memo.")) {
        if (memo?.receive) memo.receive(event);
        return;
      }
      if (event.type === "signal") {
        if (call) call.receive(event);
        return;
      }
      if (event.type === "signal.refused") {
        // Sent a moment before the server had us in the meeting: once more
        // (one retry pending at a time, however many signals were refused).
        if (event.reason === "not_in_meeting" && call && !retrying) {
          retrying = setTimeout(() => {
            retrying = null;
            if (call) call.restart();
          }, 1000);
        }
        return;
      }
      // Joined by the number (or, on a meeting waiting for a link, added to it).
      if (event.type === "meeting.started" || event.type === "guest.attached") {
        showConnected(event.payload.host, call ? true : undefined);
        refreshSession();
      }
      if (event.type === "video.guest" || event.type === "guest.removed") refreshSession();
      // The host answered the knock: in (the call starts), or not for now.
      if (event.type === "guest.admitted" || event.type === "guest.refused") refreshSession();
      if (event.type === "meeting.ended") showEnded(event.payload.by);
    },
  }).start();
}

async function issue(button, errorBox) {
  button.disabled = true;
  errorBox.hidden = true;
  try {
    const result = await fetchJson("/api/v1/guest/numbers", "POST");
    if (!result.ok) {
      errorBox.textContent = errorText(result);
      errorBox.hidden = false;
      return;
    }
    sessionStorage.setItem(TOKEN, result.data.guest_token);
    showWaiting(result.data.number, result.data.expires_in);
    listen();
  } catch {
    errorBox.textContent = T["join.js.network"];
    errorBox.hidden = false;
  } finally {
    button.disabled = button.id === "issue" && !$("consent").checked;
  }
}

async function joinByLink(button, errorBox) {
  button.disabled = true;
  errorBox.hidden = true;
  try {
    // The terms' box covers what the list above it says (captures, camera);
    // recording has a box of its own, which the guest may leave unticked.
    const recording = document.querySelector('input[name="agree"][value="recording"]');
    const agree = ["capture", "camera", ...(recording?.checked ? ["recording"] : [])];
    const name = $("guest-name").value.trim();
    const result = await fetchJson("/api/v1/guest/links", "POST", { token: link.token, name, agree });
    // This phone was in the meeting, and is out for good.
    if (result.data?.error?.code === "guest_removed") return showRemoved();
    if (result.data?.error?.code === "guest_left") return showEnded("guest");
    if (!result.ok) {
      errorBox.textContent = errorText(result);
      errorBox.hidden = false;
      return;
    }
    sessionStorage.setItem(TOKEN, result.data.guest_token);
    localStorage.setItem(LINK_GUEST, result.data.guest_token);
    if (result.data.status === "waiting" || result.data.status === "refused") {
      listen();
      await refreshSession(); // the knock's time and state, as the server has them
      return;
    }
    showConnected(result.data.host_name, result.data.video);
    listen();
  } catch {
    errorBox.textContent = T["join.js.network"];
    errorBox.hidden = false;
  } finally {
    button.disabled = !$("consent").checked;
  }
}

function forget() {
  endCall();
  stopMemo();
  clearInterval(countdown);
  if (channel) channel.stop();
  channel = null;
  sessionStorage.removeItem(TOKEN);
  if (LINK_GUEST) localStorage.removeItem(LINK_GUEST);
}

function start() {
  // Nothing to resume: a link that cannot be used says so, else begin.
  show(link?.problem ? "problem" : "intro");
}

async function resume() {
  if (LINK_GUEST && localStorage.getItem(LINK_GUEST)) {
    // This phone is already this meeting's guest: that wins over whatever
    // this tab did before (another call's token).
    sessionStorage.setItem(TOKEN, localStorage.getItem(LINK_GUEST));
  }
  if (!token()) return start();
  const result = await fetchJson("/api/v1/guest/session").catch(() => null);
  if (result && result.status === 401) {
    forget();
    return start();
  }
  if (!result?.ok) {
    // Keep the token: a bad signal must not cost the guest their meeting.
    start();
    $("issue-error").textContent = T["join.js.network"];
    $("issue-error").hidden = false;
    setTimeout(resume, 5000);
    return;
  }
  $("issue-error").hidden = true;
  const session = result.data;
  if (link && session.meeting_id !== link.meeting_id) {
    // A token from another meeting (an earlier call): this link starts afresh.
    sessionStorage.removeItem(TOKEN);
    return start();
  }
  if (session.status === "waiting" && session.knock) showKnocking(session.knock);
  else if (session.status === "refused") showRefused(session.knock);
  else if (link && session.status === "expired") {
    // Gave up waiting earlier: the link page, ready to knock again.
    start();
  } else if (session.status === "waiting") showWaiting(session.number, session.expires_in);
  else if (session.status === "connected") showConnected(session.host_name, session.video);
  else if (session.status === "ended") return showEnded(session.ended_by);
  else if (session.status === "removed") return showRemoved();
  else if (session.status === "left") return showEnded("guest");
  else {
    showWaiting(session.number, 0);
  }
  listen();
}

$("consent").addEventListener("change", () => {
  $("issue").disabled = !$("consent").checked;
});
$("issue").addEventListener("click", () => {
  if (link) joinByLink($("issue"), $("issue-error"));
  else issue($("issue"), $("issue-error"));
});
$("reissue").addEventListener("click", () => issue($("reissue"), $("reissue-error")));
$("cancel").addEventListener("click", async () => {
  await fetchJson("/api/v1/guest/leave", "POST").catch(() => null);
  forget();
  $("consent").checked = false;
  $("issue").disabled = true;
  show("intro");
});
$("end").addEventListener("click", async () => {
  if (!window.confirm($("end").dataset.confirm)) return;
  const result = await fetchJson("/api/v1/guest/leave", "POST").catch(() => null);
  if (result?.ok) showEnded("guest");
  else $("connection-state").textContent = T["join.js.network"];
});
$("camera-asked-on").addEventListener("click", () => {
  $("camera-asked").hidden = true;
  if (call) call.setCamera(true);
});
if (link) {
  // Leaving the waiting room (knocking or turned away); the link stays this
  // phone's, so "join again" knocks anew.
  const giveUp = async () => {
    await fetchJson("/api/v1/guest/leave", "POST").catch(() => null);
    show("knock-left");
  };
  $("knock-leave").addEventListener("click", giveUp);
  $("refused-leave").addEventListener("click", giveUp);
  $("knock-restart").addEventListener("click", () => {
    show("intro");
    $("issue").disabled = !$("consent").checked;
  });
  $("knock-again").addEventListener("click", async () => {
    $("knock-again").disabled = true;
    const result = await fetchJson("/api/v1/guest/knock", "POST").catch(() => null);
    if (result?.ok) {
      showKnocking(result.data.knock);
      return;
    }
    $("knock-again-error").textContent = result ? errorText(result) : T["join.js.network"];
    $("knock-again-error").hidden = false;
    if (result?.data?.error?.code !== "knock_too_soon") $("knock-again").disabled = false;
    else refreshSession();
  });
}
$("again").addEventListener("click", () => {
  if (link) {
    // This link's meeting is over; a new call starts from the join page.
    location.assign("/join");
    return;
  }
  $("consent").checked = false;
  $("issue").disabled = true;
  show("intro");
});

resume();
