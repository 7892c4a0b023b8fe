// A document shown in the meeting, on the host's side (issue #15): the
// stage's document view (templates/console/document_stage.html) and the
// 資料 tool's list and upload (templates/console/tools/documents.html).
//
// The host turns pages with the buttons, the arrow keys (unless typing in
// a field), a swipe on a touch screen, a click on the page's left or right
// part, or a page of the strip. The page changes here at once; the server
// (and so the guests and the timeline) hears of it once the page has
// stayed PAGE_SETTLE_MS, so flipping through pages to reach one is one
// change for the guest, not one per page passed.

import { uploadDocument } from "/static/document_upload.js";
import { markStripPage, pageStrip, watchSwipes } from "/static/document_viewer.js";
import { api, format } from "/static/live.js";

const $ = (id) => document.getElementById(id);
const main = $("document-main");
const T = JSON.parse($("document-strings").textContent);
const meetingId = Number(main.dataset.meeting);
const base = `/api/v1/meetings/${meetingId}/document`;
const PAGE_SETTLE_MS = 300;
// A swipe: this far sideways, more sideways than up or down.
const SWIPE_PX = 50;

let shown = null; // {id, title, pages, page, download_allowed, pages_ready}
let views = new Map(); // guest_id -> {page, following}, for the document shown
let settle = null; // the timer of a page change not sent yet
let retry = null; // the timer of a page image not made yet

function setStage(on) {
  document.dispatchEvent(new CustomEvent("tsunagu:stage", { detail: { part: "document", on } }));
}

const pageUrl = (id, page, size) => `/api/v1/documents/${id}/pages/${page}/${size}`;

function open(doc, guestViews = []) {
  const same = shown && shown.id === doc.id;
  shown = { ...doc };
  if (!same) {
    views = new Map();
    buildStrip();
  }
  for (const view of guestViews) views.set(view.guest_id, view);
  main.dataset.document = String(doc.id);
  setStage(true);
  render();
  markShownInList();
}

function close() {
  shown = null;
  clearTimeout(settle);
  clearTimeout(retry);
  settle = null;
  delete main.dataset.document;
  delete main.dataset.page;
  setStage(false);
  markShownInList();
}

function buildStrip() {
  const images = pageStrip($("document-strip"), shown.pages, T.page_label, go);
  images.forEach((image, index) => {
    const page = index + 1;
    image.loading = "lazy";
    image.src = pageUrl(shown.id, page, "thumb");
    // Not made yet: tried again a moment later.
    image.addEventListener("error", () => {
      setTimeout(() => {
        image.src = `${pageUrl(shown?.id, page, "thumb")}?again=${Date.now()}`;
      }, 1500);
    });
  });
}

function render() {
  if (!shown) return;
  const { id, title, pages, page } = shown;
  main.dataset.page = String(page);
  $("document-title").textContent = title;
  $("document-position").textContent = format(T.position, { page, pages });
  $("document-prev").disabled = page <= 1;
  $("document-next").disabled = page >= pages;
  $("document-download").checked = Boolean(shown.download_allowed);
  showImage(id, page);
  markStripPage($("document-strip"), page);
  renderViews();
}

function showImage(id, page, attempt = 0) {
  clearTimeout(retry);
  const image = $("document-page");
  const wait = $("document-wait");
  const url = pageUrl(id, page, "large");
  image.onload = () => {
    wait.hidden = true;
    image.hidden = false;
  };
  // A page not made yet (409): "preparing", and tried again; unless its
  // document failed to be made, which no waiting mends.
  image.onerror = async () => {
    if (!shown || shown.id !== id || shown.page !== page) return;
    wait.hidden = false;
    image.hidden = true;
    const found = await api(`/api/v1/documents/${id}`).catch(() => null);
    if (!shown || shown.id !== id || shown.page !== page) return;
    if (found?.data?.state === "failed") {
      wait.textContent = T.stage_failed;
      return;
    }
    wait.textContent = T.preparing;
    retry = setTimeout(() => showImage(id, page, attempt + 1), 1000);
  };
  image.alt = format(T.page_alt, { title: shown.title, page });
  image.dataset.page = String(page);
  image.src = attempt ? `${url}?again=${attempt}` : url;
}

function renderViews() {
  const note = $("document-following");
  const away = [...views.values()].filter((view) => !view.following);
  note.dataset.following = String(away.length === 0);
  note.textContent = away.length ? away.map((view) => format(T.browsing, { page: view.page })).join(" / ") : T.following;
}

/** Turn to `page`: at once here, on the server once it has stayed. */
function go(page) {
  if (!shown) return;
  const target = Math.min(Math.max(1, page), shown.pages);
  if (target === shown.page) return;
  shown.page = target;
  render();
  clearTimeout(settle);
  const id = shown.id;
  settle = setTimeout(async () => {
    settle = null;
    await api(base, { method: "PATCH", body: { document_id: id, page: target } }).catch(() => null);
  }, PAGE_SETTLE_MS);
}

function typing(target) {
  return target instanceof HTMLElement && (target.isContentEditable || target.matches("input, textarea, select"));
}

document.addEventListener("keydown", (event) => {
  if (!shown || event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
  if (typing(event.target)) return;
  const inFrame = $("document-frame").contains(event.target) || main === event.target;
  const forward = event.key === "ArrowRight" || event.key === "PageDown" || (inFrame && event.key === "ArrowDown");
  const back = event.key === "ArrowLeft" || event.key === "PageUp" || (inFrame && event.key === "ArrowUp");
  if (forward || back) {
    event.preventDefault();
    go(shown.page + (forward ? 1 : -1));
  } else if (event.key === "Escape" && main.contains(event.target)) {
    // As bellFace's Esc: from the document itself (the rail's Esc closes panels).
    event.preventDefault();
    closeShown();
  }
});

// Swipes (a pointer dragged sideways) and clicks on the left or right part.
const frame = $("document-frame");
watchSwipes(
  frame,
  SWIPE_PX,
  (step) => shown && go(shown.page + step),
  (event, dx, dy) => {
    if (!shown || Math.abs(dx) >= 8 || Math.abs(dy) >= 8 || event.pointerType !== "mouse") return;
    const box = frame.getBoundingClientRect();
    const where = (event.clientX - box.left) / box.width;
    if (where > 2 / 3) go(shown.page + 1);
    else if (where < 1 / 3) go(shown.page - 1);
  },
);

$("document-prev").addEventListener("click", () => go(shown.page - 1));
$("document-next").addEventListener("click", () => go(shown.page + 1));
$("document-download").addEventListener("change", async (event) => {
  if (!shown) return;
  const allowed = event.target.checked;
  const result = await api(base, { method: "PATCH", body: { document_id: shown.id, download_allowed: allowed } }).catch(() => null);
  if (!result?.ok) event.target.checked = !allowed;
  else shown.download_allowed = allowed;
});

async function closeShown() {
  const result = await api(base, { method: "DELETE" }).catch(() => null);
  if (result?.ok) close();
}
$("document-close").addEventListener("click", closeShown);

async function show(documentId) {
  const result = await api(base, { method: "PUT", body: { document_id: documentId } }).catch(() => null);
  if (result?.ok && result.data.document) {
    open(result.data.document, result.data.guest_views);
    $("document-frame").focus({ preventScroll: true });
  }
  return result;
}

// -- the tool: the documents and the upload ---------------------------------------

const list = $("documents-tool-list");
let listTimer = null;

function markShownInList() {
  for (const item of list?.children || []) item.dataset.shown = String(Boolean(shown) && Number(item.dataset.document) === shown.id);
}

async function refreshList() {
  if (!list) return;
  const result = await api("/api/v1/documents").catch(() => null);
  if (!result?.ok) return;
  list.replaceChildren();
  $("documents-tool-none").hidden = result.data.documents.length > 0;
  for (const doc of result.data.documents) {
    const item = document.createElement("li");
    item.dataset.document = String(doc.id);
    const image = document.createElement("img");
    image.src = doc.thumbnail_url;
    image.alt = "";
    image.loading = "lazy";
    const meta = document.createElement("span");
    meta.className = "meta";
    const name = document.createElement("strong");
    name.textContent = doc.title;
    const facts = document.createElement("span");
    facts.className = "muted small";
    facts.textContent =
      doc.state === "failed"
        ? T.state_failed
        : doc.state === "processing"
          ? format(T.processing, { done: doc.pages_ready, pages: doc.pages })
          : format(T.pages, { pages: doc.pages });
    meta.append(name, facts);
    const button = document.createElement("button");
    button.type = "button";
    button.className = "small";
    button.textContent = T.open;
    button.disabled = doc.state === "failed";
    button.setAttribute("aria-label", `${T.open}: ${doc.title}`);
    button.addEventListener("click", () => show(doc.id));
    item.append(image, meta, button);
    list.append(item);
  }
  markShownInList();
  // Pages still being made: their count follows while the tool is open.
  clearTimeout(listTimer);
  const making = result.data.documents.some((doc) => doc.state === "processing");
  if (making && !$("panel-documents")?.hidden) listTimer = setTimeout(refreshList, 1500);
}

$("documents-tool-file")?.addEventListener("change", async (event) => {
  const file = event.target.files[0];
  if (!file) return;
  const state = $("documents-tool-state");
  const progress = $("documents-tool-progress");
  progress.hidden = false;
  state.textContent = format(T.uploading, { percent: 0 });
  const result = await uploadDocument(file, {
    onProgress: (percent) => {
      progress.value = percent;
      state.textContent = percent < 100 ? format(T.uploading, { percent }) : T.checking;
    },
  }).catch(() => null);
  progress.hidden = true;
  event.target.value = "";
  if (!result?.ok) {
    state.textContent = result?.data?.error?.message || T.failed;
    return;
  }
  state.textContent = "";
  // Page 1 is made by now: shown at once, the rest follow as they come.
  await show(result.data.id);
  refreshList();
});

document.addEventListener("tsunagu:panel", (event) => {
  if (event.detail.tool === "documents" && event.detail.open) refreshList();
});

document.addEventListener("tsunagu:event", (event) => {
  const { type, payload } = event.detail;
  if (type === "document.opened") {
    if (!shown || shown.id !== payload.document_id) {
      open({ id: payload.document_id, title: payload.title, pages: payload.pages, page: payload.page, download_allowed: false });
    }
  } else if (type === "document.page") {
    // Not while this page has a change of its own still to send.
    if (shown && shown.id === payload.document_id && settle === null && shown.page !== payload.page) {
      shown.page = payload.page;
      render();
    }
  } else if (type === "document.closed") {
    if (shown && shown.id === payload.document_id) close();
  } else if (type === "document.download_allowed") {
    if (shown && shown.id === payload.document_id) {
      shown.download_allowed = payload.allowed;
      render();
    }
  } else if (type === "document.guest_view") {
    if (shown && shown.id === payload.document_id) {
      views.set(payload.guest_id, payload);
      renderViews();
    }
  } else if (type === "meeting.ended") {
    close();
  }
});

async function start() {
  const result = await api(base).catch(() => null);
  if (result?.ok && result.data.document) open(result.data.document, result.data.guest_views);
  if ($("panel-documents") && !$("panel-documents").hidden) refreshList();
}
start();
