// Dashboard: the number entry a host uses all day, and their live meetings.

import { LiveChannel, api, format, pageStrings } from "/static/live.js";

const T = pageStrings();
const form = document.getElementById("claim");
const boxes = [...form.querySelectorAll("input.digit")];
const errorBox = document.getElementById("claim-error");
let busy = false;

function digitsOf(text) {
  // Full-width digits (０-９) become ASCII; anything else is dropped.
  return [...text.normalize("NFKC")].filter((c) => c >= "0" && c <= "9");
}

function fill(from, digits) {
  digits.slice(0, boxes.length - from).forEach((digit, offset) => {
    boxes[from + offset].value = digit;
  });
  const next = boxes.find((box) => !box.value) || boxes[boxes.length - 1];
  next.focus();
  if (boxes.every((box) => box.value)) submit();
}

function showError(message) {
  errorBox.textContent = message;
  errorBox.hidden = !message;
}

async function submit() {
  const number = boxes.map((box) => box.value).join("");
  if (busy || number.length !== boxes.length) return;
  busy = true;
  showError("");
  form.setAttribute("aria-busy", "true");
  try {
    const result = await api("/api/v1/meetings", { method: "POST", body: { number } });
    if (result.ok) {
      location.assign(`/meetings/${result.data.id}`);
      return;
    }
    if (result.status === 401) {
      location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
      return;
    }
    showError(result.data?.error?.message || T["dashboard.js.network"]);
    for (const box of boxes) box.value = "";
    boxes[0].focus();
  } catch {
    showError(T["dashboard.js.network"]);
  } finally {
    busy = false;
    form.removeAttribute("aria-busy");
  }
}

boxes.forEach((box, index) => {
  box.addEventListener("input", () => {
    const digits = digitsOf(box.value);
    box.value = "";
    if (digits.length) fill(index, digits);
  });
  box.addEventListener("keydown", (event) => {
    if (event.key === "Backspace" && !box.value && index > 0) {
      boxes[index - 1].value = "";
      boxes[index - 1].focus();
      event.preventDefault();
    } else if (event.key === "ArrowLeft" && index > 0) {
      boxes[index - 1].focus();
    } else if (event.key === "ArrowRight" && index < boxes.length - 1) {
      boxes[index + 1].focus();
    }
  });
  box.addEventListener("paste", (event) => {
    event.preventDefault();
    const digits = digitsOf(event.clipboardData.getData("text"));
    if (digits.length) fill(digits.length >= boxes.length ? 0 : index, digits);
  });
  box.addEventListener("focus", () => box.select());
});

// Digits typed before this script ran (a slow connection, a host who types
// the moment the page shows) are all in the first box: no length limit in
// the markup, so none are lost; spread them now, as typing would have.
const early = digitsOf(boxes.map((box) => box.value).join(""));
for (const box of boxes) box.value = "";
if (early.length) fill(0, early);
form.addEventListener("submit", (event) => {
  event.preventDefault();
  submit();
});

// Starting a meeting the guest joins by link: by SMS, or a link to share.
const invite = document.getElementById("invite");
const inviteError = document.getElementById("invite-error");

// With no phone, the meeting page opens with a link and its QR code shown
// (#invite, see invite.js): the host reads one out or shows the other.
async function startByLink(body, button) {
  button.disabled = true;
  inviteError.hidden = true;
  invite.setAttribute("aria-busy", "true");
  try {
    const result = await api("/api/v1/meetings/by-link", { method: "POST", body });
    if (result.ok) {
      const share = body.phone ? "" : "#invite";
      location.assign(`/meetings/${result.data.meeting.id}${share}`);
      return;
    }
    if (result.status === 401) {
      location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
      return;
    }
    inviteError.textContent = result.data?.error?.message || T["dashboard.js.network"];
    inviteError.hidden = false;
  } catch {
    inviteError.textContent = T["dashboard.js.network"];
    inviteError.hidden = false;
  } finally {
    button.disabled = false;
    invite.removeAttribute("aria-busy");
  }
}

invite.addEventListener("submit", (event) => {
  event.preventDefault();
  const phone = document.getElementById("invite-phone").value;
  startByLink({ phone }, invite.querySelector("button[type=submit]"));
});
document.getElementById("invite-link-only").addEventListener("click", (event) => {
  startByLink({}, event.currentTarget);
});

// The live list: any event about one of this host's meetings refreshes it.
const list = document.getElementById("live-meetings");
const empty = document.getElementById("no-live");

let asked = 0;

// A meeting whose guests have all gone says for how long (it may have been
// forgotten: nobody ended it), counted on as the page stays open.
function goneFor(since) {
  const minutes = Math.max(0, Math.floor((Date.now() - new Date(since)) / 60000));
  return format(T["dashboard.js.guests_gone"], { minutes });
}

setInterval(() => {
  for (const badge of list.querySelectorAll("[data-gone-since]")) badge.textContent = goneFor(badge.dataset.goneSince);
}, 15000);

async function refresh() {
  // Events can come in bursts; only the newest answer is drawn.
  const mine = ++asked;
  const result = await api("/api/v1/meetings?state=live&host=me");
  if (!result.ok || mine !== asked) return;
  // A prepared meeting not started yet is listed as upcoming (its own card).
  const shown = result.data.meetings.filter((meeting) => !(meeting.prepared && meeting.state === "waiting"));
  // A prepared meeting that has started is upcoming no more.
  for (const meeting of shown) document.querySelector(`#upcoming-meetings li[data-meeting="${meeting.id}"]`)?.remove();
  const noUpcoming = document.getElementById("no-upcoming");
  if (noUpcoming) noUpcoming.hidden = document.querySelector("#upcoming-meetings li") !== null;
  list.replaceChildren(
    ...shown.map((meeting) => {
      const item = document.createElement("li");
      item.dataset.meeting = meeting.id;
      const link = document.createElement("a");
      link.href = `/meetings/${meeting.id}`;
      const strong = document.createElement("strong");
      strong.textContent = `#${meeting.id}`;
      link.append(strong, ` ${meeting.number || ""}`);
      if (meeting.guest_label) {
        const label = document.createElement("span");
        label.className = "guest-label-text";
        label.textContent = meeting.guest_label;
        link.append(" ", label);
      }
      const badge = document.createElement("span");
      if (meeting.guests_gone_since) {
        badge.className = "badge badge-warn";
        badge.dataset.goneSince = meeting.guests_gone_since;
        badge.textContent = goneFor(meeting.guests_gone_since);
      } else {
        badge.className = `badge ${meeting.guest_connected ? "badge-ok" : "badge-off"}`;
        badge.textContent = meeting.guest_connected ? T["dashboard.js.guest_here"] : T["dashboard.js.guest_away"];
      }
      item.append(link, " ", badge);
      return item;
    }),
  );
  empty.hidden = shown.length > 0;
}

new LiveChannel({
  path: "/api/v1/live",
  isFinal: (code) => code === 4401,
  onEvent: refresh,
  onState: (state, code) => {
    if (state === "open") refresh(); // catch up on anything missed while away
    if (state === "closed" && code === 4401) {
      location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
    }
  },
}).start();
