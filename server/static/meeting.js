// One meeting in the console: the room (rail, stage, side column), the
// elapsed time, the timeline, the call, end.

import { Arrivals } from "/static/arrivals.js";
import { CaptureWindow } from "/static/captures.js";
import { InvitePanel } from "/static/invite.js";
import { VideoCall, bindControls, followVideoGuest } from "/static/video.js";
import { LiveChannel, api, format, pageStrings } from "/static/live.js";
import { LiveView } from "/static/live_view.js";
import { Stage, ToolRail } from "/static/room.js";

const T = pageStrings();
const meeting = JSON.parse(document.getElementById("meeting-data").textContent);
const $ = (id) => document.getElementById(id);
const timeline = $("timeline");
const clock = new Intl.DateTimeFormat(document.documentElement.lang, { timeStyle: "medium" });
let channel = null;
let ticker = null;

const rail = new ToolRail(document.querySelector(".rail"));
const stage = new Stage({
  stage: $("stage"),
  empty: $("stage-empty"),
  capture: $("capture-main"),
  video: $("video-card"),
  document: $("document-main"),
  live: $("live-main"),
});
// A tool's own script puts its part on the stage (documents.js: a document shown).
document.addEventListener("tsunagu:stage", (event) => {
  stage.set(event.detail.part, event.detail.on);
  // A document picked in the 資料 panel is presented: the panel makes way so
  // the page is shown large at 1280 px (the rail's button opens it again).
  if (event.detail.part === "document" && event.detail.on && rail.openTool() === "documents") rail.close();
});
const arrivals = new Arrivals({ strings: T, announcer: $("announcer"), chimeButton: $("chime") });
const window_ = new CaptureWindow({
  meetingId: meeting.id,
  strings: T,
  onFirst: () => stage.set("capture", true),
  onArrived: (capture) => arrivals.arrived(capture),
});
const invite = $("invite-controls") ? new InvitePanel({ meetingId: meeting.id, strings: T }) : null;
// The live view of a snippet guest's page (issue #16): the meeting's own
// host only (its tile is on their page alone); its frames come on this
// page's socket.
const liveView = $("live-main")
  ? new LiveView({
      meetingId: meeting.id,
      send: (message) => channel?.send(message) ?? false,
      onStage: (on) => stage.set("live", on),
      events: meeting.events,
      // 「キャプチャを見る」 after a save: the newest capture, which the view covered.
      showCapture: () => {
        const newest = window_.captures.at(-1);
        if (newest) window_.show(newest);
      },
    })
  : null;
window_.pointer = liveView;
// Whom a pointer on a capture goes to depends on the guests there.
document.addEventListener("tsunagu:guests", () => window_.renderPointer());

function describe(event) {
  const payload = event.payload || {};
  // What the guest showed was deleted with the meeting's data.
  if (payload.removed) return T[`event.${event.type}.removed`] || event.type;
  if (event.type === "meeting.started" && payload.via === "link") return T["event.meeting.started_link"];
  if (event.type === "meeting.ended" && payload.by === "timeout") return T["event.meeting.ended_timeout"];
  if (event.type === "guest.labelled" && !payload.label) return T["event.guest.labelled_cleared"];
  if (event.type === "file.sent" && payload.sender === "guest") return format(T["event.file.sent_by_guest"], payload);
  // A share nobody stopped (its page closed, the meeting ended, the guest went).
  if (event.type === "screen.stopped" && payload.ended) {
    return format(payload.by === "guest" ? T["event.screen.ended.guest"] : T["event.screen.ended"], payload);
  }
  // A guest's screen share names the guest; the host's, the host.
  if (event.type.startsWith("screen.") && payload.by === "guest") {
    return format(T[`event.${event.type}.guest`] || event.type, payload);
  }
  // A live view the host stopped, or that ended with the guest or the meeting.
  if (event.type === "live_view.stopped" && (payload.ended || payload.by === "host")) {
    return format(T[`event.live_view.stopped.${payload.ended ? "ended" : "host"}`], payload);
  }
  if (event.type === "capture.created" && payload.origin === "live_view") return format(T["event.capture.created_live_view"], payload);
  if (event.type === "document.download_allowed" && !payload.allowed) return T["event.document.download_disallowed"];
  if (event.type === "document.guest_view" && payload.following) return T["event.document.guest_followed"];
  if (event.type === "sms.status") {
    const status = T[`sms.status.${payload.status}`] || payload.status;
    return format(T["event.sms.status"], { to: payload.to, status });
  }
  return format(T[`event.${event.type}`] || event.type, payload);
}

// Pages of a document turned one after another are one line of the
// timeline, "3 → 4 → 17", not one line each (server/documents/sharing.py).
const GROUPED = ["document.page"];
const GROUP_PAGES = 12;

function grouped(event) {
  const top = timeline.firstElementChild;
  const documentId = String(event.payload?.document_id);
  if (!GROUPED.includes(event.type) || top?.dataset.type !== event.type || top.dataset.document !== documentId) {
    return false;
  }
  const pages = [...top.dataset.pages.split(" "), String(event.payload.page)].slice(-GROUP_PAGES);
  top.dataset.pages = pages.join(" ");
  top.dataset.grouped = `${top.dataset.grouped || ""} ${event.id}`.trim();
  top.querySelector("time").textContent = clock.format(new Date(event.time));
  top.querySelector("span").textContent = format(T[`event.${event.type}`], { page: pages.join(" → ") });
  return true;
}

function addEvent(event) {
  if (timeline.querySelector(`[data-event="${event.id}"], [data-grouped~="${event.id}"]`)) return;
  if (grouped(event)) return;
  const item = document.createElement("li");
  item.dataset.event = event.id;
  item.dataset.type = event.type;
  if (GROUPED.includes(event.type)) {
    item.dataset.document = String(event.payload?.document_id);
    item.dataset.pages = String(event.payload?.page);
  }
  const time = document.createElement("time");
  time.dateTime = event.time;
  time.textContent = clock.format(new Date(event.time));
  const text = document.createElement("span");
  text.textContent = describe(event);
  item.append(time, " ", text);
  timeline.prepend(item); // newest first
}

// The call with the guest: only the meeting's own host is in it. The host's
// camera opens when a guest who can show video says hello (a phone on the
// join page; a snippet guest never does), or when the host turns it on.
let call = null;
if (meeting.is_host) {
  const videoStage = $("video-stage");
  const request = $("camera-request");
  let asked = false;
  call = new VideoCall({
    setup: async () => {
      const result = await api(`/api/v1/meetings/${meeting.id}/call`);
      if (!result.ok) throw new Error(result.data?.error?.message || "call setup failed");
      return result.data;
    },
    send: (message) => channel?.send(message),
    polite: false,
    firstPeer: "guests",
    stage: videoStage,
    cameraAtStart: false,
    onStatus: () => {},
    // The note "asked the guest for their camera" lasts until they answer:
    // their camera comes on (the note goes), or it cannot (the note says so).
    onSignal: (kind, data) => {
      if (kind !== "camera" || !asked || data.on || !data.trouble) return;
      asked = false;
      request.textContent = T["room.js.camera_trouble"];
    },
  });
  bindControls(call, T, $("video-status"));
  followVideoGuest(call);
  $("ask-camera").addEventListener("click", () => {
    call.signal("ask-camera");
    asked = true;
    request.textContent = T["video.asked"];
  });
  $("camera-start").addEventListener("click", async () => {
    await call.start().catch(() => {});
    call.setCamera(true);
  });
  // The stage shows the call while a guest is on it or our camera is on.
  const follow = () => {
    const { state, camera, remoteCamera } = videoStage.dataset;
    const guestThere = ["connecting", "connected", "reconnecting", "failed"].includes(state);
    const ours = camera === "on" || camera === "denied" || camera === "missing";
    stage.set("video", guestThere || ours);
    $("camera-start").hidden = guestThere || ours;
    $("ask-camera").hidden = !guestThere || remoteCamera === "on";
    // A note about the guest's camera is stale once it is back, or once
    // the guest has left the call.
    if (!guestThere || remoteCamera === "on") {
      asked = false;
      request.textContent = "";
    }
  };
  new MutationObserver(follow).observe(videoStage, { attributes: true });
  follow();
}

function apply(event) {
  if (event.type === "signal") {
    if (call) call.receive(event);
    return;
  }
  if (event.type === "signal.refused") return;
  // The live view's frames, pongs and refusals: not events, none stored.
  if (event.type.startsWith("view.")) {
    liveView?.receive(event);
    return;
  }
  // For the page's other parts (their own scripts: the guest list, the label).
  document.dispatchEvent(new CustomEvent("tsunagu:event", { detail: event }));
  addEvent(event);
  window_.apply(event);
  liveView?.apply(event);
  invite?.apply(event);
  if (event.type === "meeting.started" && !meeting.started_at) meeting.started_at = event.time;
  if (event.type === "meeting.ended") ended(event.payload.by, event.time);
}

/** The meeting is over: everything live stops and leaves the screen at once,
 * then the page is loaded again as the meeting's record (an ended meeting's
 * page is its record, see templates/console/meeting_record.html). */
function ended(by, at) {
  const first = meeting.state !== "ended";
  meeting.state = "ended";
  meeting.ended_at = meeting.ended_at || at;
  $("room").dataset.state = "ended";
  if (call) call.end();
  clearInterval(ticker);
  if (channel) channel.stop();
  for (const element of document.querySelectorAll(".room-actions, #video-card, #attach, #chime")) {
    element.hidden = true;
  }
  // The invite tool is not offered once the meeting has ended.
  $("tool-invite")?.remove();
  $("panel-invite")?.remove();
  stage.set("video", false);
  $("no-captures").textContent = T["room.js.ending"];
  const banner = $("ended-banner");
  banner.textContent = T[`meeting.js.ended_by_${by}`] || T["meeting.js.ended"];
  banner.hidden = false;
  tick();
  if (first) location.reload();
}

function tick() {
  if (!meeting.started_at) return;
  const end = meeting.ended_at ? new Date(meeting.ended_at) : new Date();
  const seconds = Math.max(0, Math.floor((end - new Date(meeting.started_at)) / 1000));
  const h = Math.floor(seconds / 3600);
  const m = String(Math.floor((seconds % 3600) / 60)).padStart(2, "0");
  const s = String(seconds % 60).padStart(2, "0");
  $("elapsed").textContent = h ? `${h}:${m}:${s}` : `${m}:${s}`;
}

$("end-meeting")?.addEventListener("click", async () => {
  if (!window.confirm($("end-meeting").dataset.confirm)) return;
  const result = await api(`/api/v1/meetings/${meeting.id}/end`, { method: "POST" }).catch(() => null);
  if (!result?.ok) {
    $("connection-state").textContent = T["meeting.js.end_failed"];
    return;
  }
  ended("host", result.data.ended_at);
});

let lastId = 0;
for (const event of meeting.events) {
  addEvent(event);
  if (event.type === "page.visited" && !event.payload.removed) window_.visited(event);
  lastId = Math.max(lastId, event.id);
}
meeting.captures.forEach((capture, index) => {
  window_.add(capture, { show: index === meeting.captures.length - 1 });
});
ticker = setInterval(tick, 1000);
channel = new LiveChannel({
  path: `/api/v1/meetings/${meeting.id}/live`,
  isFinal: (code) => code === 4401 || code === 4404,
  onEvent: apply,
  onState: (state, code) => {
    if (state === "closed" && code === 4401) {
      location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
      return;
    }
    $("connection-state").textContent = state === "reconnecting" ? T["meeting.js.reconnecting"] : "";
    // Frames sent while the socket was down are lost: ask for a whole picture.
    if (state === "open") liveView?.reconnected();
    if (state === "open" && call) {
      // First time: set up and greet; after a reconnect, start over if
      // the call is not up (signals sent while the socket was down are lost).
      if (!call.starting) call.start().catch((error) => console.warn("video", error));
      else call.resync();
    }
  },
}).start(lastId);
tick();
