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

document.addEventListener("tsunagu:event", (event) => {
  const { type } = event.detail;
  if (type === "file.sent") panel.apply(event.detail);
  else if (type === "meeting.started" || type === "guest.attached" || type === "guest.admitted") panel.refresh();
});
