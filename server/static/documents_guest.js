// The guest's side of document share (templates/document_guest.html): the
// page the host shows, at once; the guest may swipe, tap the arrows or a
// page of the strip to look on their own, and 「担当者のページに戻る」 takes
// them back (the host is told which, see /api/v1/guest/document/view).
//
// Page images come with the guest's token in the Authorization header
// (never in a URL), kept per page while the document is shown.
// join.js hands every live event over as "tsunagu:event".

import { dataUrl, request } from "/embed/api.js";
import { markStripPage, pageStrip, watchSwipes } from "/static/document_viewer.js";
import { format } from "/static/live.js";

const $ = (id) => document.getElementById(id);
const view = $("document-view");
const T = JSON.parse($("document-guest-strings").textContent);
const TOKEN = "tsunagu.guest_token";
const SWIPE_PX = 40;
// The host is told where the guest is once they stop on a page a moment.
const REPORT_MS = 500;
// fetchPage's answer for a page that will never come (rasterising failed).
const FAILED = "failed";

let shown = null; // {id, title, pages, page (the host's), download_allowed}
let mine = null; // the page the guest looks at on their own; null: following
let images = new Map(); // "id:page:size" -> the image as a data: URL
let reportTimer = null;
let retry = null;

const token = () => sessionStorage.getItem(TOKEN);

async function fetchPage(id, page, size) {
  const key = `${id}:${page}:${size}`;
  if (images.has(key)) return images.get(key);
  const response = await fetch(`/api/v1/guest/documents/${id}/pages/${page}/${size}`, {
    headers: { authorization: `Bearer ${token()}` },
  }).catch(() => null);
  if (!response?.ok) {
    const body = response?.status === 409 ? await response.json().catch(() => null) : null;
    return body?.error?.code === "document_failed" ? FAILED : null;
  }
  const blob = await response.blob();
  // A data: URL, which the page's Content-Security-Policy allows for
  // images (blob: it does not).
  const url = await dataUrl(blob);
  if (url) images.set(key, url);
  return url;
}

function forget() {
  images = new Map();
}

const current = () => (mine === null ? shown.page : mine);

function open(doc, { announce = false } = {}) {
  const fresh = !shown || shown.id !== doc.id;
  if (fresh) {
    forget();
    mine = null;
    shown = { ...doc };
    buildStrip();
  } else {
    Object.assign(shown, doc);
  }
  view.hidden = false;
  render();
  if (fresh && announce) {
    // A guest scrolled down to the files or the card would not see it come.
    $("document-guest-status").textContent = T.opened;
    const still = matchMedia("(prefers-reduced-motion: reduce)").matches;
    view.scrollIntoView({ behavior: still ? "auto" : "smooth", block: "start" });
  }
}

function close() {
  shown = null;
  mine = null;
  clearTimeout(retry);
  clearTimeout(reportTimer);
  view.hidden = true;
  $("document-guest-status").textContent = "";
  delete view.dataset.page;
  $("document-guest-strip").replaceChildren();
  forget();
}

function buildStrip() {
  const id = shown.id;
  // Thumbnails are fetched as they scroll into sight.
  const seen = new IntersectionObserver(async (entries) => {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      seen.unobserve(entry.target);
      const image = entry.target.querySelector("img");
      const url = await fetchPage(id, Number(entry.target.dataset.page), "thumb");
      if (url === FAILED) continue;
      if (url) image.src = url;
      else setTimeout(() => seen.observe(entry.target), 1500); // not made yet
    }
  });
  for (const image of pageStrip($("document-guest-strip"), shown.pages, T.page_label, browse)) {
    seen.observe(image.closest("button"));
  }
}

function render() {
  if (!shown) return;
  const page = current();
  const following = mine === null;
  view.dataset.page = String(page);
  view.dataset.following = String(following);
  $("document-view-title").textContent = shown.title;
  $("document-guest-position").textContent = format(T.position, { page, pages: shown.pages });
  $("document-guest-prev").disabled = page <= 1;
  $("document-guest-next").disabled = page >= shown.pages;
  $("document-return").hidden = following;
  const note = $("document-guest-host");
  note.hidden = following;
  note.textContent = format(T.host_page, { page: shown.page });
  $("document-guest-download").hidden = !shown.download_allowed;
  markStripPage($("document-guest-strip"), page);
  showImage(shown.id, page);
}

async function showImage(id, page) {
  clearTimeout(retry);
  const image = $("document-guest-page");
  const wait = $("document-guest-wait");
  const url = await fetchPage(id, page, "large");
  if (!shown || shown.id !== id || current() !== page) return; // moved on meanwhile
  if (!url || url === FAILED) {
    // Not made yet (it was uploaded a moment ago): "preparing", again soon;
    // failed to be made: said so, and no more tries.
    wait.hidden = false;
    image.hidden = true;
    wait.textContent = url === FAILED ? T.failed : T.preparing;
    if (url === FAILED) return;
    retry = setTimeout(() => showImage(id, page), 1000);
    return;
  }
  // The frame takes the page's shape, so a portrait page is not cut.
  image.onload = () => {
    if (image.naturalWidth) $("document-guest-frame").style.aspectRatio = `${image.naturalWidth} / ${image.naturalHeight}`;
  };
  image.src = url;
  image.alt = format(T.page_alt, { title: shown.title, page });
  image.dataset.page = String(page);
  image.hidden = false;
  wait.hidden = true;
  // The next page, ready for a swipe.
  if (page < shown.pages) fetchPage(id, page + 1, "large");
}

/** The guest looks at `page` on their own (their host's page: following again). */
function browse(page) {
  if (!shown) return;
  const target = Math.min(Math.max(1, page), shown.pages);
  mine = target === shown.page ? null : target;
  render();
  report();
}

function follow() {
  if (!shown) return;
  mine = null;
  render();
  report();
}

function report() {
  clearTimeout(reportTimer);
  const id = shown.id;
  reportTimer = setTimeout(() => {
    if (!shown || shown.id !== id) return;
    request("/api/v1/guest/document/view", {
      method: "POST",
      token: token(),
      body: { document_id: id, page: current(), following: mine === null },
    }).catch(() => null);
  }, REPORT_MS);
}

$("document-guest-prev").addEventListener("click", () => browse(current() - 1));
$("document-guest-next").addEventListener("click", () => browse(current() + 1));
$("document-return").addEventListener("click", follow);

watchSwipes($("document-guest-frame"), SWIPE_PX, (step) => shown && browse(current() + step));

$("document-guest-download").addEventListener("click", async () => {
  if (!shown) return;
  const result = await request(`/api/v1/guest/documents/${shown.id}/download-link`, { method: "POST", token: token() }).catch(() => null);
  if (!result?.ok) return;
  // A link of its own, valid a minute: the phone's download manager takes it.
  const link = document.createElement("a");
  link.href = result.data.url;
  link.download = "";
  document.body.append(link);
  link.click();
  link.remove();
});

document.addEventListener("tsunagu:event", (event) => {
  const { type, payload } = event.detail;
  if (type === "document.opened") {
    open({ id: payload.document_id, title: payload.title, pages: payload.pages, page: payload.page, download_allowed: false }, { announce: true });
  } else if (!shown || payload?.document_id !== shown.id) {
    if (type === "meeting.ended") close();
  } else if (type === "document.page") {
    shown.page = payload.page;
    if (mine === payload.page) mine = null; // the host came to the guest's page
    render();
  } else if (type === "document.closed") {
    close();
  } else if (type === "document.download_allowed") {
    shown.download_allowed = payload.allowed;
    render();
  }
});

/** Opened (or reloaded) while a document is shown, or let in then. */
async function catchUp() {
  if (!token()) return;
  const result = await request("/api/v1/guest/document", { token: token() }).catch(() => null);
  if (!result?.ok) return;
  if (result.data.document) open(result.data.document);
  else if (shown) close();
}

const connected = $("connected");
if (connected) {
  new MutationObserver(() => {
    if (!connected.hidden) catchUp();
  }).observe(connected, { attributes: true, attributeFilter: ["hidden"] });
}
const catchUpOn = ["meeting.started", "guest.attached", "guest.joined", "guest.admitted"];
document.addEventListener("tsunagu:event", (event) => {
  if (catchUpOn.includes(event.detail.type)) catchUp();
});
catchUp();
