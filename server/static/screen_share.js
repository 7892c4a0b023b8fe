// Screen share (issue #15), on the host's meeting page (the 「画面共有」 tool)
// and on a guest's page (under their video):
//
// - the sharer's buttons: 「画面を共有」 asks the browser for a screen or a
//   window (getDisplayMedia) and hands it to the call (video.js), which
//   sends it in place of the camera; 「共有の一時停止」 / 「共有を再開」;
//   「共有を停止」 (the browser's own bar stops it the same way);
// - each step goes to the server, for the meeting's timeline and record;
// - the other side's shared screen on our stage can be zoomed and moved:
//   pinch and drag on a phone, the wheel on a computer, a double tap (or
//   the button) to go back. Panzoom (vendored, embed/vendor/VERSIONS)
//   does the gestures; it is fetched when a screen is first shown.
//
// A phone's browser has no getDisplayMedia: the guest's page says so and
// points to the site's capture button instead.

import { request } from "/embed/api.js";
import { api } from "/static/live.js";
import { VideoCall } from "/static/video.js";

const $ = (id) => document.getElementById(id);
const stage = $("video-stage");
const root = $("screen-share");
const T = JSON.parse($("screen-strings")?.textContent || "{}");
const canShare = typeof navigator.mediaDevices?.getDisplayMedia === "function";
// Two taps this close (ms, px) are a double tap.
const DOUBLE_TAP_MS = 350;
const DOUBLE_TAP_PX = 30;
const MAX_SCALE = 5;

// -- the sharer's side ---------------------------------------------------------

/** The call the screen goes into, once it is up (a guest's call starts
 * once connected; the host's once a guest who can show video is there). */
function callUp() {
  const call = VideoCall.current;
  const there = ["connecting", "connected", "reconnecting"].includes(stage?.dataset.state);
  return call && there ? call : null;
}

function say(text) {
  $("screen-status").textContent = text || "";
}

function render() {
  const screen = stage.dataset.screen || "off";
  root.dataset.screen = screen;
  $("screen-start").hidden = screen !== "off";
  $("screen-pause").hidden = screen !== "on";
  $("screen-resume").hidden = screen !== "paused";
  $("screen-stop").hidden = screen === "off";
}

async function start() {
  const call = callUp();
  if (!call) {
    say(T.no_call);
    return;
  }
  $("screen-start").disabled = true;
  let stream = null;
  try {
    // No audio: voices stay on the phone or the call's microphone.
    stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15 } }, audio: false });
  } catch (error) {
    console.warn("screen share", error);
    say(T.denied);
  }
  $("screen-start").disabled = false;
  if (!stream) return;
  if (VideoCall.current !== call || call.ended) {
    for (const track of stream.getTracks()) track.stop();
    return;
  }
  call.shareScreen(stream);
}

// Steps are told to the server one at a time, in order, so the timeline
// reads started, paused, resumed, stopped as they happened.
let told = Promise.resolve();

function tell(state) {
  const body = { state };
  const post =
    root.dataset.side === "host"
      ? () => api(`/api/v1/meetings/${root.dataset.meeting}/screen`, { method: "POST", body })
      : () =>
          request("/api/v1/guest/screen", {
            method: "POST",
            token: sessionStorage.getItem("tsunagu.guest_token"),
            body,
          });
  told = told.then(post).catch((error) => console.warn("screen share: not recorded", error));
}

// Whether our share runs, as the server was told (started, not stopped).
let sharing = false;

/** This page closes while it shares (a reload, the tab closed): the share
 * ends with it, and the server is told so in a request that outlives the
 * page (keepalive), so the record does not show a share that never ended. */
function lastWord() {
  const headers = { "content-type": "application/json" };
  let url = "/api/v1/guest/screen";
  if (root.dataset.side === "host") {
    url = `/api/v1/meetings/${root.dataset.meeting}/screen`;
    const csrf = document.querySelector('meta[name="csrf-token"]');
    if (csrf) headers["x-csrf-token"] = csrf.content;
  } else {
    headers.authorization = `Bearer ${sessionStorage.getItem("tsunagu.guest_token")}`;
  }
  const body = JSON.stringify({ state: "stopped", ended: true });
  fetch(url, { method: "POST", headers, body, keepalive: true, credentials: "same-origin" }).catch(() => {});
}

if (root && stage) {
  const guestBox = $("screen-guest");
  if (guestBox) {
    // A phone has no screen to share: a one-line note (it opens) instead
    // of the buttons.
    guestBox.querySelector(".screen-guest-share").hidden = !canShare;
    $("screen-phone").hidden = canShare;
    guestBox.dataset.canShare = String(canShare);
  } else if (!canShare) {
    $("screen-start").disabled = true;
    say(T.unsupported);
  }
  new MutationObserver(render).observe(stage, { attributes: true, attributeFilter: ["data-screen"] });
  render();
  $("screen-start").addEventListener("click", start);
  $("screen-pause").addEventListener("click", () => VideoCall.current?.pauseScreen(true));
  $("screen-resume").addEventListener("click", () => VideoCall.current?.pauseScreen(false));
  $("screen-stop").addEventListener("click", () => VideoCall.current?.stopScreen());
  document.addEventListener("tsunagu:screen", ({ detail }) => {
    const { state, by } = detail;
    sharing = state !== "stopped";
    // The call ended with the meeting (or as this guest left the video):
    // the server records the share's end itself.
    if (by === "end") return;
    tell(state);
    if (state === "stopped") say(by === "browser" ? T.stopped_browser : T.stopped);
    else say(state === "paused" ? T.paused : T.sharing);
  });
  window.addEventListener("pagehide", (event) => {
    if (!sharing || event.persisted) return;
    sharing = false;
    lastWord();
  });
}

// -- the other side's shared screen, zoomable ------------------------------------

let zoom = null; // {off()} while the other side's screen is shown

/** Pinch, drag, wheel and double-tap zoom on ``video``; returns {off()}. */
async function zoomable(video) {
  const { default: Panzoom } = await import("/embed/vendor/panzoom.mjs");
  const reset = $("screen-zoom-reset");
  const panzoom = Panzoom(video, {
    minScale: 1,
    maxScale: MAX_SCALE,
    contain: "outside",
    panOnlyWhenZoomed: true,
    cursor: "grab",
  });
  const changed = (event) => {
    if (reset) reset.hidden = event.detail.scale <= 1.01;
  };
  const wheel = (event) => panzoom.zoomWithWheel(event);
  let lastTap = null;
  const tapped = (event) => {
    if (event.pointerType !== "touch" || !event.isPrimary) return;
    const now = { time: event.timeStamp, x: event.clientX, y: event.clientY };
    const double =
      lastTap &&
      now.time - lastTap.time < DOUBLE_TAP_MS &&
      Math.hypot(now.x - lastTap.x, now.y - lastTap.y) < DOUBLE_TAP_PX;
    lastTap = double ? null : now;
    if (double) panzoom.reset();
  };
  const back = () => panzoom.reset();
  video.addEventListener("panzoomchange", changed);
  video.addEventListener("pointerup", tapped);
  video.addEventListener("dblclick", back);
  stage.addEventListener("wheel", wheel, { passive: false });
  reset?.addEventListener("click", back);
  return {
    off() {
      panzoom.reset({ animate: false });
      panzoom.destroy();
      panzoom.resetStyle();
      video.removeEventListener("panzoomchange", changed);
      video.removeEventListener("pointerup", tapped);
      video.removeEventListener("dblclick", back);
      stage.removeEventListener("wheel", wheel);
      reset?.removeEventListener("click", back);
      video.style.transform = "";
      if (reset) reset.hidden = true;
    },
  };
}

/** On the guest's page the stage takes the shared screen's shape (a phone's
 * stage is upright, for a camera): the screen fills it, with no bands to
 * pan over when zoomed. The host's stage has its place in the room. */
function fitStage() {
  const video = $("remote-video");
  const fit = $("screen-guest") && stage.dataset.remoteScreen && video.videoWidth && video.videoHeight;
  stage.style.aspectRatio = fit ? `${video.videoWidth} / ${video.videoHeight}` : "";
}

function followRemoteScreen() {
  const shown = Boolean(stage.dataset.remoteScreen);
  const help = $("screen-zoom-help");
  if (help) help.hidden = !shown;
  fitStage();
  if (shown && !zoom) {
    // Until the library is loaded: stopped meanwhile, it is undone at once.
    const pending = { off() {} };
    zoom = pending;
    zoomable($("remote-video"))
      .then((on) => {
        if (zoom === pending) zoom = on;
        else on.off();
      })
      .catch((error) => console.warn("screen share: zoom", error));
  } else if (!shown && zoom) {
    zoom.off();
    zoom = null;
  }
}

if (stage) {
  $("remote-video")?.addEventListener("resize", fitStage);
  new MutationObserver(followRemoteScreen).observe(stage, { attributes: true, attributeFilter: ["data-remote-screen"] });
  followRemoteScreen();
}
