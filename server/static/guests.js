// The meeting's guests in the console's side column (templates/console/guest_list.html):
// each with how they came in (番号 / リンク / スニペット) and their state
// (接続中, or 切断 with how long ago), who is on video, and the host's
// buttons to switch the video to another guest or remove one.
//
// The list is read from GET /api/v1/meetings/{id}/guests whenever an event
// about the guests arrives (meeting.js passes each live event on as a
// "tsunagu:event"), so it is always the server's; each time it is
// drawn it goes out to the rest of the page as "tsunagu:guests" (the call
// follows the video guest, see followVideoGuest in video.js).

import { api, format, pageStrings } from "/static/live.js";

const T = pageStrings();
const root = document.getElementById("guest-list");
const $ = (id) => root.querySelector(`#${id}`);
const meetingId = Number(root.dataset.meeting);
const isHost = root.dataset.host === "true";
const list = $("guests");
// Events after which the list may have changed.
const CHANGES = /^(guest\.|knock\.|video\.guest$|meeting\.(started|ended)$)/;
// The waiting room's words, which every console page has (templates/base.html).
const K = JSON.parse(document.getElementById("knock-strings")?.textContent || "{}");
const TICK_MS = 15000;

let known = null; // guest ids drawn so far: a new one (not the first) is announced
let announced = null; // the guest the note is about
let asked = 0;

function label(guest) {
  return format(T["meeting.js.guests.label"], { n: guest.n });
}

function sourceName(guest) {
  return T[`meeting.js.guests.source.${guest.source}`] || guest.source;
}

function ago(since) {
  const minutes = Math.max(0, Math.floor((Date.now() - new Date(since)) / 60000));
  return minutes < 1 ? T["meeting.js.guests.ago_now"] : format(T["meeting.js.guests.ago"], { minutes });
}

function badge(text, tone, className = "") {
  const span = document.createElement("span");
  span.className = `badge ${tone} ${className}`.trim();
  span.textContent = text;
  return span;
}

function button(text, onClick, className = "") {
  const element = document.createElement("button");
  element.type = "button";
  element.className = className;
  element.textContent = text;
  element.addEventListener("click", onClick);
  return element;
}

const TONES = {
  connected: "badge-ok",
  disconnected: "badge-warn",
  removed: "badge-off",
  left: "badge-off",
  ended: "badge-off",
};

function item(guest, live) {
  const li = document.createElement("li");
  li.dataset.guest = guest.id;
  li.dataset.state = guest.state;
  const head = document.createElement("div");
  head.className = "guest-head";
  const name = document.createElement("strong");
  // The name the guest typed when knocking (text, never markup).
  name.textContent = guest.name
    ? format(T["meeting.js.guests.label_named"], { n: guest.n, name: guest.name })
    : label(guest);
  head.append(name, " ", badge(sourceName(guest), "badge-off", "guest-source"));
  const state = document.createElement("div");
  state.className = "guest-state";
  state.append(badge(T[`meeting.js.guests.state.${guest.state}`], TONES[guest.state], "guest-status"));
  if (guest.state === "disconnected" && guest.left_at) {
    const since = document.createElement("time");
    since.className = "guest-ago";
    since.dateTime = guest.left_at;
    since.textContent = ago(guest.left_at);
    state.append(" ", since);
  }
  if (guest.on_video && live) state.append(" ", badge(T["meeting.js.guests.on_video"], "badge-ok", "guest-video"));
  li.append(head, state);
  if (live && guest.state !== "removed" && guest.state !== "left") {
    const actions = document.createElement("div");
    actions.className = "guest-actions";
    if (isHost && guest.video && !guest.on_video) {
      actions.append(button(T["meeting.js.guests.make_video"], () => toVideo(guest)));
    }
    actions.append(button(T["meeting.js.guests.remove"], () => remove(guest), "danger"));
    li.append(actions);
  }
  return li;
}

// Knocking guests: name, time waited, and the host's two answers.
function waitingItem(knock) {
  const li = document.createElement("li");
  li.dataset.guest = knock.guest_id;
  const head = document.createElement("div");
  head.className = "guest-head";
  const name = document.createElement("strong");
  name.textContent = knock.name || K.someone;
  const time = document.createElement("span");
  time.className = "guest-ago knock-waited";
  time.dataset.since = knock.knocked_at || new Date().toISOString();
  time.textContent = waitedFor(time.dataset.since);
  head.append(name);
  const state = document.createElement("div");
  state.className = "guest-state";
  state.append(time);
  li.append(head, state);
  if (isHost) {
    const actions = document.createElement("div");
    actions.className = "guest-actions";
    const path = `/api/v1/meetings/${meetingId}/knocks/${knock.guest_id}`;
    actions.append(
      button(K.admit, () => change(`${path}/admit`, "POST", {}), "primary"),
      button(K.refuse, () => change(`${path}/refuse`, "POST", {})),
    );
    li.append(actions);
  }
  return li;
}

function waitedFor(since) {
  const seconds = Math.max(0, Math.floor((Date.now() - new Date(since)) / 1000));
  return format(K.waited, { time: `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}` });
}

function draw(data) {
  const live = data.meeting_state !== "ended";
  const waiting = data.waiting || [];
  $("waiting-guests").replaceChildren(...waiting.map(waitingItem));
  $("waiting-room").hidden = waiting.length === 0;
  list.replaceChildren(...data.guests.map((guest) => item(guest, live)));
  $("no-guests").hidden = data.guests.length > 0;
  if (known) {
    for (const guest of data.guests) if (!known.has(guest.id) && guest.n > 1) announced = guest.id;
  }
  known = new Set(data.guests.map((guest) => guest.id));
  announce(data);
  document.dispatchEvent(
    new CustomEvent("tsunagu:guests", {
      detail: {
        meeting_id: meetingId,
        video_guest_id: data.video_guest_id,
        guests: data.guests.map((guest) => ({
          id: guest.id,
          n: guest.n,
          source: guest.source,
          state: guest.state,
          connected: guest.connected,
          video: guest.video,
          on_video: guest.on_video,
          label: label(guest),
          name: guest.name,
        })),
      },
    }),
  );
}

// A second (third...) guest arrived: say so where the host looks, until
// dismissed, and only while it is true (not once they left or the video moved).
function announce(data) {
  const guest = data.guests.find((other) => other.id === announced);
  if (guest?.state !== "connected") {
    $("guest-arrived").hidden = true;
    return;
  }
  const onVideo = data.guests.find((other) => other.id === data.video_guest_id);
  const values = { n: guest.n, source: sourceName(guest), video: onVideo ? onVideo.n : "" };
  const key = onVideo && onVideo.id !== guest.id ? "arrived" : "arrived_no_video";
  $("guest-arrived-text").textContent = format(T[`meeting.js.guests.${key}`], values);
  $("guest-arrived").hidden = false;
}

function showError(result) {
  $("guests-error").textContent = result?.data?.error?.message || T["meeting.js.network"];
  $("guests-error").hidden = false;
}

async function refresh() {
  // Events come in bursts (a guest joins: joined, connected): draw the newest answer only.
  const mine = ++asked;
  const result = await api(`/api/v1/meetings/${meetingId}/guests`).catch(() => null);
  if (!result?.ok || mine !== asked) return;
  draw(result.data);
}

async function change(path, method, body) {
  $("guests-error").hidden = true;
  const mine = ++asked;
  const result = await api(path, { method, body }).catch(() => null);
  if (!result?.ok) {
    showError(result);
    refresh();
    return;
  }
  if (mine === asked) draw(result.data);
}

function remove(guest) {
  if (!window.confirm(format(T["meeting.js.guests.remove_confirm"], { n: guest.n }))) return;
  change(`/api/v1/meetings/${meetingId}/guests/${guest.id}`, "DELETE");
}

function toVideo(guest) {
  change(`/api/v1/meetings/${meetingId}/video-guest`, "PUT", { guest_id: guest.id });
}

// The waiting room on or off for this meeting (the server says which, also
// when another tab of the host changed it: meeting.options).
const waitingSwitch = root.querySelector("#waiting-room-switch");
if (waitingSwitch) {
  waitingSwitch.addEventListener("change", async () => {
    $("guests-error").hidden = true;
    const wanted = waitingSwitch.checked;
    const result = await api(`/api/v1/meetings/${meetingId}/options`, {
      method: "PATCH",
      body: { waiting_room: wanted },
    }).catch(() => null);
    if (!result?.ok) {
      waitingSwitch.checked = !wanted;
      showError(result);
    }
  });
  document.addEventListener("tsunagu:event", ({ detail }) => {
    if (detail.type === "meeting.options") waitingSwitch.checked = detail.payload.waiting_room;
  });
}
$("guest-arrived-close").addEventListener("click", () => {
  announced = null;
  $("guest-arrived").hidden = true;
});
document.addEventListener("tsunagu:event", ({ detail }) => {
  if (CHANGES.test(detail.type)) refresh();
});
// "3 分前" stays true as time passes.
setInterval(() => {
  for (const time of list.querySelectorAll("time.guest-ago")) time.textContent = ago(time.dateTime);
}, TICK_MS);
setInterval(() => {
  for (const time of root.querySelectorAll(".knock-waited")) time.textContent = waitedFor(time.dataset.since);
}, 1000);
refresh();
