// The guest's files on the join page (templates/files_guest.html): shown
// once the guest is in the meeting, refreshed as it goes. join.js hands
// every live event over as "tsunagu:event"; the panel is embed/files.js's.

import { GuestFiles } from "/embed/files.js";

const $ = (id) => document.getElementById(id);
const TOKEN = "tsunagu.guest_token";
const section = $("files-section");
const connected = $("connected");
const panel = new GuestFiles({
  root: $("files-body"),
  strings: JSON.parse($("files-strings").textContent),
  token: () => sessionStorage.getItem(TOKEN),
  lang: document.documentElement.lang || "ja",
});

// In the meeting: the section shows, with the meeting's files.
function follow() {
  const inside = !connected.hidden;
  if (inside && section.hidden) panel.refresh();
  section.hidden = !inside;
}
new MutationObserver(follow).observe(connected, { attributes: true, attributeFilter: ["hidden"] });
follow();

// Files from the host are told at the top of the page at once (the files
// section may be far below on a phone), counted while unseen, with 「見る」.
// What the guest has seen is kept for the tab, so the events a reload
// replays (or a language switch) do not announce the same files again.
const toast = $("files-toast");
const S = JSON.parse($("files-strings").textContent);
const SEEN = "tsunagu.files_seen";
let unseen = [];
const seenUpTo = () => Number(sessionStorage.getItem(SEEN)) || 0;

function markSeen() {
  const newest = Math.max(seenUpTo(), ...unseen.map((file) => file.id));
  sessionStorage.setItem(SEEN, String(newest));
  unseen = [];
  showToast();
}

function showToast() {
  toast.replaceChildren();
  if (!unseen.length) return;
  const text = document.createElement("span");
  text.textContent =
    unseen.length === 1 ? S.arrived.replace("{name}", unseen[0].name) : S.toast_many.replace("{count}", String(unseen.length));
  const see = document.createElement("button");
  see.type = "button";
  see.className = "files-toast-see";
  see.textContent = S.see;
  see.addEventListener("click", () => {
    markSeen();
    section.scrollIntoView({ behavior: "smooth", block: "start" });
    $("files-heading").setAttribute("tabindex", "-1");
    $("files-heading").focus({ preventScroll: true });
  });
  toast.append(text, see);
}

// Once the guest has the files section in view, the files are seen.
new IntersectionObserver((entries) => {
  if (entries.some((entry) => entry.isIntersecting) && unseen.length) markSeen();
}).observe($("files-body"));

document.addEventListener("tsunagu:event", (event) => {
  const { type } = event.detail;
  const { payload } = event.detail;
  if (type === "file.sent" && payload.sender === "host" && payload.file_id > seenUpTo()) {
    if (!unseen.some((file) => file.id === payload.file_id)) unseen.push({ id: payload.file_id, name: payload.name });
    showToast();
  }
  if (type === "file.sent") panel.apply(event.detail);
  else if (type === "meeting.started" || type === "guest.attached" || type === "guest.admitted") panel.refresh();
});
