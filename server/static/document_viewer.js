// What the host's document view (documents.js) and the guest's
// (documents_guest.js) have in common: the strip of page buttons, the page
// shown marked in it, and swipes on the page. One module, so a page is
// turned the same way on both sides.

import { format } from "/static/live.js";

/**
 * Fill `strip` (an <ol>) with a button for each of `pages`, labelled with
 * `label` ("{page}"); `onPick(page)` when one is pressed. Returns the
 * thumbnails' <img>s, for the caller to load (by URL, or fetched).
 */
export function pageStrip(strip, pages, label, onPick) {
  strip.replaceChildren();
  const images = [];
  for (let page = 1; page <= pages; page++) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.page = String(page);
    button.setAttribute("aria-label", format(label, { page }));
    const image = document.createElement("img");
    image.alt = "";
    const number = document.createElement("span");
    number.className = "page-number";
    number.textContent = String(page);
    number.setAttribute("aria-hidden", "true");
    button.append(image, number);
    button.addEventListener("click", () => onPick(page));
    item.append(button);
    strip.append(item);
    images.push(image);
  }
  return images;
}

/** Mark `page` in `strip` as the one shown, and scroll it into sight. */
export function markStripPage(strip, page) {
  for (const button of strip.querySelectorAll("button")) {
    const here = Number(button.dataset.page) === page;
    button.setAttribute("aria-current", String(here));
    if (here) button.scrollIntoView({ block: "nearest", inline: "nearest" });
  }
}

/**
 * Swipes on `frame`: a pointer dragged at least `distance` px sideways, more
 * sideways than up or down, calls `onSwipe(step)` (+1: the next page, a
 * drag to the left; -1: the one before). Anything else released calls
 * `onRelease(event, dx, dy)`.
 */
export function watchSwipes(frame, distance, onSwipe, onRelease = () => {}) {
  let down = null;
  frame.addEventListener("pointerdown", (event) => {
    down = { x: event.clientX, y: event.clientY, id: event.pointerId };
  });
  frame.addEventListener("pointerup", (event) => {
    if (!down || down.id !== event.pointerId) return;
    const dx = event.clientX - down.x;
    const dy = event.clientY - down.y;
    down = null;
    if (Math.abs(dx) >= distance && Math.abs(dx) > Math.abs(dy)) onSwipe(dx < 0 ? 1 : -1);
    else onRelease(event, dx, dy);
  });
  frame.addEventListener("pointercancel", () => {
    down = null;
  });
}
