// The recording tool on the host's meeting page (issue #14).
//
// The host's browser does the media work, so the server never decodes a
// frame: both cameras (#local-video, #remote-video) are drawn side by side
// on a canvas (a shared screen large, see compose), mixed with both sides' audio when the meeting uses browser
// audio, and recorded by MediaRecorder (WebM on Chromium, MP4 on Safari).
// Every few seconds a chunk is uploaded, in order, retried until stored, so
// a crash of this page keeps everything up to the last chunk. The server
// joins the chunks into one seekable file once the recording stops.

import { api, format } from "/static/live.js";

const $ = (id) => document.getElementById(id);
const tool = $("recording-tool");
const T = JSON.parse($("recording-strings").textContent);
const meetingId = Number(tool.dataset.meeting);
const base = `/api/v1/meetings/${meetingId}/recordings`;
// A chunk every few seconds: little lost on a crash, few requests.
const TIMESLICE_MS = 3000;
const WIDTH = 640;
const HEIGHT = 360;
const FPS = 10;
const TYPES = ["video/webm;codecs=vp8,opus", "video/webm;codecs=vp9,opus", "video/webm", "video/mp4;codecs=avc1,mp4a", "video/mp4"];

let current = null; // {id, recorder, queue, seq, ...} while this page records
let elsewhere = null; // a recording running from another page (an earlier one, another tab)
let asking = false; // the host pressed start and guests are being asked
let maxSeconds = 0;

// The red 「録画中」 in the room's header, seen whichever panel is open.
const indicator = document.createElement("p");
indicator.className = "recording-indicator";
indicator.id = "recording-indicator";
indicator.setAttribute("role", "status");
indicator.hidden = true;
indicator.textContent = T.on;
document.querySelector(".room-head")?.append(indicator);
const sheet = document.createElement("link");
sheet.rel = "stylesheet";
sheet.href = "/static/recording.css";
document.head.append(sheet);

function pickType() {
  if (typeof MediaRecorder === "undefined") return null;
  return TYPES.find((type) => MediaRecorder.isTypeSupported(type)) || null;
}

function setState(text) {
  $("recording-state").textContent = text;
}

function showRunning(on) {
  indicator.hidden = !on;
  $("recording-start").hidden = on;
  $("recording-stop").hidden = !on;
  tool.dataset.recording = on ? "on" : "off";
}

function sizeText(bytes) {
  return bytes >= 1048576 ? `${(bytes / 1048576).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

function clock(seconds) {
  const total = Math.round(seconds || 0);
  const m = Math.floor(total / 60);
  return `${m}:${String(total % 60).padStart(2, "0")}`;
}

async function refresh() {
  const result = await api(base).catch(() => null);
  if (!result?.ok) return null;
  const data = result.data;
  maxSeconds = data.max_seconds;
  $("recording-max").textContent = format(T.max_note, { minutes: Math.round((maxSeconds / 60) * 100) / 100 });
  const consents = $("recording-consents");
  consents.replaceChildren();
  if (!data.guests_in_call.length) {
    const item = document.createElement("li");
    item.className = "muted";
    item.textContent = T.no_guests;
    consents.append(item);
  }
  for (const n of data.guests_in_call) {
    const item = document.createElement("li");
    const yes = data.agreed.includes(n);
    item.dataset.agreed = String(yes);
    item.textContent = `${format(T.guest, { n })}: ${yes ? T.agreed : T.not_agreed}`;
    consents.append(item);
  }
  const list = $("recording-list");
  list.replaceChildren();
  if (!data.recordings.length) {
    const item = document.createElement("li");
    item.className = "muted";
    item.textContent = T.none;
    list.append(item);
  }
  for (const recording of data.recordings) {
    const item = document.createElement("li");
    item.dataset.state = recording.state;
    const time = new Date(recording.started_at).toLocaleTimeString(document.documentElement.lang);
    const parts = [time, T.state[recording.state] || recording.state];
    if (recording.state === "ready") parts.push(clock(recording.duration), sizeText(recording.size));
    if (recording.stopped_by && recording.state !== "recording") parts.push(T.stopped_by[recording.stopped_by] || "");
    item.append(parts.filter(Boolean).join(" · "));
    if (recording.file_url) {
      const link = document.createElement("a");
      link.href = recording.file_url;
      link.textContent = T.download;
      item.append(" ", link);
    }
    list.append(item);
  }
  return data;
}

// -- the picture and the sound ----------------------------------------------

/** A canvas stream with both cameras side by side (ours left, the guest's
 * right). While either side shares its screen (issue #15) the screen fills
 * the picture and the other camera sits small in its corner; a paused
 * share is a plain 「一時停止中」 card, as nothing of it was sent. Each
 * frame is drawn from whatever the two video elements show then, so a
 * track replaced or a stream changed in the call is followed. */
function compose() {
  const canvas = document.createElement("canvas");
  canvas.width = WIDTH;
  canvas.height = HEIGHT;
  const context = canvas.getContext("2d", { alpha: false });
  const videos = [$("local-video"), $("remote-video")];
  const stage = $("video-stage");
  const fit = (video, x, y, width, height) => {
    if (!video?.videoWidth || video.readyState < 2) return;
    const scale = Math.min(width / video.videoWidth, height / video.videoHeight);
    const w = video.videoWidth * scale;
    const h = video.videoHeight * scale;
    context.drawImage(video, x + (width - w) / 2, y + (height - h) / 2, w, h);
  };
  const paused = () => {
    context.fillStyle = "#1f2937";
    context.fillRect(0, 0, WIDTH, HEIGHT);
    context.fillStyle = "#f9fafb";
    context.font = "600 28px sans-serif";
    context.textAlign = "center";
    context.textBaseline = "middle";
    context.fillText(T.screen_paused, WIDTH / 2, HEIGHT / 2);
  };
  const draw = () => {
    context.fillStyle = "#000";
    context.fillRect(0, 0, WIDTH, HEIGHT);
    const ours = stage?.dataset.screen;
    const theirs = stage?.dataset.remoteScreen;
    if (!ours && !theirs) {
      fit(videos[0], 0, 0, WIDTH / 2, HEIGHT);
      fit(videos[1], WIDTH / 2, 0, WIDTH / 2, HEIGHT);
      return;
    }
    const shared = ours ? 0 : 1;
    if ((ours || theirs) === "paused") paused();
    else fit(videos[shared], 0, 0, WIDTH, HEIGHT);
    const inset = { width: WIDTH / 4, height: HEIGHT / 4 };
    fit(videos[1 - shared], WIDTH - inset.width - 8, HEIGHT - inset.height - 8, inset.width, inset.height);
  };
  // A timer rather than requestAnimationFrame: animation frames stop in a
  // background tab, timers only slow down (the recording goes on, at a
  // lower frame rate, while the host looks at another tab).
  const timer = setInterval(draw, 1000 / FPS);
  draw();
  const stream = canvas.captureStream(FPS);
  // Voices, when the meeting uses browser audio (the call's streams carry
  // them; otherwise voice is on the phone and the mix is silent): both
  // sides mixed into one track. Always made, so voices that come later
  // (browser audio turned on mid-call) are recorded too.
  const mixer = voiceMix(videos);
  for (const track of mixer.stream.getAudioTracks()) stream.addTrack(track);
  return {
    stream,
    close() {
      clearInterval(timer);
      for (const track of stream.getTracks()) track.stop();
      mixer.close();
    },
  };
}

/** The call's voices mixed into one stream whose track stays the same for
 * the recorder, while the tracks feeding it change: the camera turned off
 * and on or another device picked (the microphone is opened again), browser
 * audio turned on, the live view reloaded (a new remote stream). video.js
 * says "tsunagu:streams" when it changes a stream; a stream's addtrack and
 * removetrack and a track's end say it too, and a slow check catches the rest. */
function voiceMix(videos) {
  const audio = new AudioContext();
  const mix = audio.createMediaStreamDestination();
  // Silence always flows: with no voice connected the track would carry no
  // data, and the recorder would wait for it (no chunk at all).
  const hush = audio.createConstantSource();
  hush.offset.value = 0;
  hush.connect(mix);
  hush.start();
  audio.resume().catch(() => {});
  const sources = new Map(); // track -> MediaStreamAudioSourceNode
  const watched = new WeakSet(); // streams and tracks listened to already
  const rewire = () => {
    if (audio.state === "closed") return;
    const live = new Set();
    for (const video of videos) {
      const stream = video?.srcObject;
      if (!stream?.getAudioTracks) continue;
      if (!watched.has(stream)) {
        watched.add(stream);
        stream.addEventListener("addtrack", rewire);
        stream.addEventListener("removetrack", rewire);
      }
      for (const track of stream.getAudioTracks()) {
        if (track.readyState !== "live") continue;
        live.add(track);
        if (!watched.has(track)) {
          watched.add(track);
          track.addEventListener("ended", rewire);
        }
        if (!sources.has(track)) {
          const source = audio.createMediaStreamSource(new MediaStream([track]));
          source.connect(mix);
          sources.set(track, source);
        }
      }
    }
    for (const [track, source] of sources) {
      if (live.has(track)) continue;
      source.disconnect();
      sources.delete(track);
    }
  };
  rewire();
  document.addEventListener("tsunagu:streams", rewire);
  const timer = setInterval(rewire, 1000);
  return {
    stream: mix.stream,
    close() {
      clearInterval(timer);
      document.removeEventListener("tsunagu:streams", rewire);
      for (const source of sources.values()) source.disconnect();
      sources.clear();
      audio.close();
    },
  };
}

// -- recording and uploading ---------------------------------------------------

async function begin(recording, type) {
  const composed = compose();
  const recorder = new MediaRecorder(composed.stream, { mimeType: type, videoBitsPerSecond: 600_000 });
  const state = { id: recording.id, recorder, composed, queue: [], seq: 0, uploading: null, stopped: false, timer: null };
  current = state;
  elsewhere = null;
  recorder.addEventListener("dataavailable", (event) => {
    if (!event.data.size) return;
    state.queue.push({ seq: state.seq++, blob: event.data });
    pump(state);
  });
  recorder.addEventListener("stop", () => {
    composed.close();
    // The last chunk arrives just before "stop": once it is sent, the
    // server may make the file.
    pump(state).then(() => {
      if (state.stopped !== "server") api(`${base}/${state.id}/stop`, { method: "POST" }).then(refresh);
    });
  });
  recorder.start(TIMESLICE_MS);
  // The server stops it too, a little after; stopping here sends the last chunk.
  state.timer = setTimeout(() => finish("host"), recording.max_seconds * 1000);
  showRunning(true);
  setState("");
}

/** Upload queued chunks one at a time, in order; a failure is retried. */
function pump(state) {
  if (state.uploading) return state.uploading.then(() => (state.queue.length ? pump(state) : null));
  state.uploading = (async () => {
    let wait = 1000;
    while (state.queue.length) {
      const { seq, blob } = state.queue[0];
      let response = null;
      try {
        response = await fetch(`${base}/${state.id}/chunks/${seq}`, {
          method: "PUT",
          body: blob,
          headers: { "x-csrf-token": csrfToken(), "content-type": blob.type || "application/octet-stream" },
          credentials: "same-origin",
        });
      } catch {
        response = null;
      }
      if (response?.ok) {
        state.queue.shift();
        wait = 1000;
        setState("");
        continue;
      }
      if (response && response.status === 409) {
        // Stopped on the server (the meeting ended, the maximum, another
        // tab of the host...): nothing more is taken, and this page stops
        // recording too (録画中 goes).
        state.queue.length = 0;
        if (current === state) finish("server");
        break;
      }
      if (response && response.status >= 400 && response.status < 500 && ![408, 429].includes(response.status)) {
        // Refused for good (too large, logged out): trying again would only
        // hold up the chunks after it.
        state.queue.shift();
        setState(T.failed);
        continue;
      }
      setState(T.upload_retry);
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(wait * 2, 10000);
    }
    state.uploading = null;
  })();
  return state.uploading;
}

function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content || "";
}

/** Stop this page's recorder; ``by`` "server" when the server stopped it already. */
function finish(by) {
  const state = current;
  if (!state) return;
  current = null;
  clearTimeout(state.timer);
  state.stopped = by;
  showRunning(false);
  if (state.recorder.state !== "inactive") state.recorder.stop();
  else state.composed.close();
}

async function start() {
  const type = pickType();
  if (!type) {
    setState(T.unsupported);
    return;
  }
  $("recording-start").disabled = true;
  const result = await api(base, { method: "POST", body: { mime_type: type } }).catch(() => null);
  $("recording-start").disabled = false;
  if (result?.ok) {
    asking = false;
    await begin(result.data, type);
    refresh();
    return;
  }
  if (result?.data?.error?.code === "recording_needs_consent") {
    asking = true;
    const guests = result.data.error.details.map((d) => d.n).join("、");
    setState(format(T.asking, { guests }));
    refresh();
    return;
  }
  setState(result?.data?.error?.message || T.failed);
}

$("recording-start").addEventListener("click", () => start());
$("recording-stop").addEventListener("click", () => {
  if (current) finish("host");
  else if (elsewhere) api(`${base}/${elsewhere}/stop`, { method: "POST" }).then(refresh);
});

document.addEventListener("tsunagu:event", (event) => {
  const { type, payload } = event.detail;
  if (type === "recording.consent_given") {
    setState(format(T.agreed_note, payload));
    refresh().then((data) => {
      // Everyone asked has agreed: the start the host asked for goes ahead.
      if (asking && data?.guests_in_call.every((n) => data.agreed.includes(n))) start();
    });
  } else if (type === "recording.consent_refused") {
    asking = false;
    setState(format(T.refused, payload));
    refresh();
  } else if (type === "recording.stopped") {
    // Stopped elsewhere (another tab, the maximum, a lost page...): this
    // page's own stop never matches, finish() forgot the recording first.
    if (current && current.id === payload.recording_id) finish("server");
    if (elsewhere === payload.recording_id) {
      elsewhere = null;
      showRunning(false);
    }
    refresh();
  } else if (type === "recording.started") {
    // Started from another tab of this host: shown, and stoppable, here too.
    if (!current) {
      elsewhere = payload.recording_id;
      showRunning(true);
    }
    refresh();
  } else if (type === "meeting.ended") {
    finish("server");
  } else if (type.startsWith("recording.") || type.startsWith("guest.")) {
    refresh();
  }
});

refresh().then((data) => {
  // A recording this page did not start (another tab records, or this page
  // was reloaded and its recorder is gone): shown as running, and 録画を停止
  // stops it; if its page is gone, the server stops it after the lost-host
  // timeout, keeping it up to its last chunk.
  const running = data?.recordings.find((r) => r.state === "recording");
  if (running && !current) {
    elsewhere = running.id;
    showRunning(true);
  }
});
