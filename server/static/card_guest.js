// The host's business card on the guest's page (templates/card_guest.html):
// 「担当者の名刺」 opens it in a sheet, with 「連絡先に保存」 (a vCard) and
// 「画像で保存」; it opens by itself when the host shows it (card.shown),
// said in a polite live region. The button is there only while the host
// has a card. join.js hands every live event over as "tsunagu:event".

import { GuestCard, adoptCardStyles } from "/embed/card.js";

const $ = (id) => document.getElementById(id);
const section = $("card-section");
if (section) start();

function start() {
  const S = JSON.parse($("card-strings").textContent);
  const sheet = $("card-sheet");
  const connected = $("connected");
  const token = () => sessionStorage.getItem("tsunagu.guest_token");
  const view = new GuestCard({ token, S });
  adoptCardStyles(document);
  $("card-body").append(view.element);
  let asked = 0;
  // Each load of the page hears the meeting's events from the first one, so
  // a card.shown the guest has closed comes again: the last one closed is
  // kept for the tab (a reload, a change of language) and opens nothing.
  const CLOSED = "tsunagu.card_closed";
  let pushedId = 0;

  function close() {
    if (sheet.hidden) return;
    sheet.hidden = true;
    if (pushedId) sessionStorage.setItem(CLOSED, String(pushedId));
    // Back to the button, without scrolling to it: a card the host pushed
    // opened over whatever the guest was looking at, which stays in view.
    $("card-open").focus({ preventScroll: true });
  }

  function hideAll() {
    asked++;
    section.hidden = true;
    sheet.hidden = true;
  }

  // Whether the host has a card to show: the button, or nothing.
  async function refresh() {
    const mine = ++asked;
    if (connected.hidden || !token()) return hideAll();
    const there = await view.load();
    if (mine !== asked) return;
    section.hidden = !there;
    if (!there) sheet.hidden = true;
  }

  async function open({ pushed = false } = {}) {
    const mine = ++asked;
    const there = await view.load();
    if (mine !== asked) return;
    section.hidden = !there;
    if (!there) return;
    sheet.hidden = false;
    if (pushed) {
      // Said, not focused: the guest may be typing in the memo.
      $("card-announce").textContent = "";
      setTimeout(() => ($("card-announce").textContent = S.shown), 50);
    } else {
      sheet.focus();
    }
  }

  $("card-open").addEventListener("click", () => open());
  $("card-close").addEventListener("click", close);
  sheet.addEventListener("keydown", (event) => {
    if (event.key === "Escape") close();
  });

  const follows = new Set(["meeting.started", "guest.attached", "guest.admitted"]);
  document.addEventListener("tsunagu:event", (event) => {
    const { type, id } = event.detail;
    if (type === "card.shown") {
      if (id <= Number(sessionStorage.getItem(CLOSED))) return;
      pushedId = Math.max(pushedId, id || 0);
      open({ pushed: true });
    }
    else if (type === "meeting.ended") hideAll();
    else if (follows.has(type)) refresh();
  });
  // The connected view appears (joined, or a reload that finds the guest
  // connected) or goes (ended, removed).
  new MutationObserver(refresh).observe(connected, { attributes: true, attributeFilter: ["hidden"] });
  refresh();
}
