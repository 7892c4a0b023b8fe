// Guests knocking in the waiting room, on every console page (issue #14):
// a toast per guest with their name, the meeting and the time waited, and
// 入室を許可 / お断り (with an optional canned note); the tab's title counts
// them; an optional sound (off by default, remembered) and a desktop
// notification when the host allowed them.
//
// It starts from GET /api/v1/knocks and follows the host-wide live socket
// (/api/v1/live): knock.waiting adds a toast; guest.admitted, guest.refused
// and knock.left take it away (in this tab or any other the host has open).

import { LiveChannel, api, format } from "/static/live.js";

const T = JSON.parse(document.getElementById("knock-strings").textContent);
const SOUND_KEY = "tsunagu.knock_sound";
const TITLE = document.title;
const toasts = new Map(); // guest id -> {element, knock}

const region = document.createElement("section");
region.className = "knock-toasts";
region.id = "knock-toasts";
region.setAttribute("aria-label", T.region);
const list = document.createElement("ol");
list.className = "knock-list";
const controls = document.createElement("div");
controls.className = "knock-controls";
region.append(list, controls);
document.body.append(region);

// The sound and desktop switches, shown with the first toast.
const sound = document.createElement("label");
const soundBox = document.createElement("input");
soundBox.type = "checkbox";
soundBox.checked = localStorage.getItem(SOUND_KEY) === "on";
soundBox.addEventListener("change", () => {
  localStorage.setItem(SOUND_KEY, soundBox.checked ? "on" : "off");
  if (soundBox.checked) chime();
});
sound.append(soundBox, ` ${T.sound}`);
controls.append(sound);
if ("Notification" in window && Notification.permission === "default") {
  const desktop = document.createElement("button");
  desktop.type = "button";
  desktop.className = "link-button";
  desktop.textContent = T.desktop;
  desktop.addEventListener("click", async () => {
    await Notification.requestPermission();
    desktop.remove();
  });
  controls.append(desktop);
}

function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function waited(knock) {
  const since = knock.knocked_at ? new Date(knock.knocked_at).getTime() : Date.now();
  return format(T.waited, { time: clock((Date.now() - since) / 1000) });
}

function who(knock) {
  return knock.name || T.someone;
}

function chime() {
  const Audio = window.AudioContext || window.webkitAudioContext;
  if (!Audio) return;
  const context = new Audio();
  const tone = context.createOscillator();
  const gain = context.createGain();
  tone.frequency.value = 880;
  gain.gain.setValueAtTime(0.15, context.currentTime);
  gain.gain.exponentialRampToValueAtTime(0.001, context.currentTime + 0.6);
  tone.connect(gain).connect(context.destination);
  tone.start();
  tone.stop(context.currentTime + 0.6);
  tone.onended = () => context.close();
}

function retitle() {
  document.title = toasts.size ? `${format(T.tab_title, { count: toasts.size })} · ${TITLE}` : TITLE;
  region.hidden = toasts.size === 0;
}

function button(text, className, onClick) {
  const element = document.createElement("button");
  element.type = "button";
  element.className = className;
  element.textContent = text;
  element.addEventListener("click", onClick);
  return element;
}

async function answer(knock, how, body, toast) {
  for (const control of toast.querySelectorAll("button, select")) control.disabled = true;
  const path = `/api/v1/meetings/${knock.meeting_id}/knocks/${knock.guest_id}/${how}`;
  const result = await api(path, { method: "POST", body }).catch(() => null);
  if (result?.ok || result?.data?.error?.code === "knock_not_waiting") {
    drop(knock.guest_id);
    return;
  }
  const error = toast.querySelector(".knock-error");
  error.textContent = format(T.failed, { message: result?.data?.error?.message || "" });
  error.hidden = false;
  for (const control of toast.querySelectorAll("button, select")) control.disabled = false;
}

function add(knock, { fresh = false } = {}) {
  if (toasts.has(knock.guest_id)) return;
  const toast = document.createElement("li");
  toast.className = "knock-toast";
  toast.dataset.guest = knock.guest_id;
  const title = document.createElement("p");
  title.className = "knock-title";
  title.id = `knock-${knock.guest_id}`;
  title.textContent = format(T.waiting, { name: who(knock) });
  const meta = document.createElement("p");
  meta.className = "knock-meta";
  const meeting = document.createElement("a");
  meeting.href = `/meetings/${knock.meeting_id}`;
  meeting.textContent = format(T.meeting, { id: knock.meeting_id }) + (knock.guest_label ? ` ${knock.guest_label}` : "");
  const time = document.createElement("span");
  time.className = "knock-waited";
  time.textContent = waited(knock);
  meta.append(meeting, " · ", time);
  const note = document.createElement("select");
  note.className = "knock-note";
  note.setAttribute("aria-label", T.note);
  for (const [value, text] of [
    ["", T.note_none],
    ["busy", T.note_busy],
    ["call_back", T.note_call_back],
    ["another_day", T.note_another_day],
  ]) {
    note.append(new Option(text, value));
  }
  const actions = document.createElement("div");
  actions.className = "knock-actions";
  actions.append(
    button(T.admit, "primary knock-admit", () => answer(knock, "admit", {}, toast)),
    button(T.refuse, "knock-refuse", () => answer(knock, "refuse", { note: note.value }, toast)),
    note,
  );
  const error = document.createElement("p");
  error.className = "form-error knock-error";
  error.setAttribute("role", "alert");
  error.hidden = true;
  toast.append(title, meta, actions, error);
  list.append(toast);
  toasts.set(knock.guest_id, { element: toast, knock });
  retitle();
  if (fresh) {
    if (soundBox.checked) chime();
    if ("Notification" in window && Notification.permission === "granted" && document.hidden) {
      new Notification(T.title, { body: format(T.waiting, { name: who(knock) }), tag: `knock-${knock.guest_id}` });
    }
  }
}

function drop(guestId) {
  const toast = toasts.get(guestId);
  if (!toast) return;
  toast.element.remove();
  toasts.delete(guestId);
  retitle();
}

// The list as the server has it: toasts for whoever waits, none for the rest.
// `fresh`: the guest who just knocked (announced by sound and notification).
async function load(fresh = null) {
  const result = await api("/api/v1/knocks").catch(() => null);
  if (!result?.ok) return;
  const waiting = new Set(result.data.knocks.map((knock) => knock.guest_id));
  for (const guestId of [...toasts.keys()]) if (!waiting.has(guestId)) drop(guestId);
  for (const knock of result.data.knocks) add(knock, { fresh: knock.guest_id === fresh });
}

setInterval(() => {
  for (const { element, knock } of toasts.values()) element.querySelector(".knock-waited").textContent = waited(knock);
}, 1000);

retitle();
new LiveChannel({
  path: "/api/v1/live",
  isFinal: (code) => code === 4401,
  onEvent: (event) => {
    const payload = event.payload || {};
    if (event.type === "knock.waiting") {
      load(payload.guest_id); // with the meeting's label, as the server has it
    } else if (["guest.admitted", "guest.refused", "knock.left", "meeting.ended"].includes(event.type)) {
      if (event.type === "meeting.ended") load();
      else drop(payload.guest_id);
    }
  },
  onState: (state) => {
    if (state === "open") load(); // anything missed while away
  },
}).start();
