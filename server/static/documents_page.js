// The console's documents page (templates/console/documents.html): upload
// with progress, rename, delete, and the state of documents whose pages
// are still being made.

import { api, format } from "/static/live.js";
import { uploadDocument } from "/static/document_upload.js";

const $ = (id) => document.getElementById(id);
const T = JSON.parse($("documents-strings").textContent);
const form = $("document-upload");
const state = $("document-upload-state");
const progress = $("document-progress");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = $("document-file").files[0];
  if (!file) return;
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  progress.hidden = false;
  progress.value = 0;
  state.textContent = format(T.uploading, { percent: 0 });
  const result = await uploadDocument(file, {
    shared: $("document-shared")?.checked,
    onProgress: (percent) => {
      progress.value = percent;
      state.textContent = percent < 100 ? format(T.uploading, { percent }) : T.checking;
    },
  }).catch(() => null);
  button.disabled = false;
  progress.hidden = true;
  if (!result?.ok) {
    state.textContent = result?.data?.error?.message || T.failed;
    state.dataset.kind = "error";
    return;
  }
  sessionStorage.setItem("tsunagu.document_uploaded", format(T.uploaded, { title: result.data.title }));
  location.reload();
});

// The message of the upload that reloaded the page.
const said = sessionStorage.getItem("tsunagu.document_uploaded");
if (said) {
  sessionStorage.removeItem("tsunagu.document_uploaded");
  state.textContent = said;
}

for (const button of document.querySelectorAll("[data-rename]")) {
  button.addEventListener("click", async () => {
    const title = window.prompt(T.rename_prompt, button.dataset.title);
    if (!title || title === button.dataset.title) return;
    const result = await api(`/api/v1/documents/${button.dataset.rename}`, { method: "PATCH", body: { title } }).catch(() => null);
    if (result?.ok) location.reload();
    else state.textContent = result?.data?.error?.message || T.failed;
  });
}

for (const button of document.querySelectorAll("[data-delete]")) {
  button.addEventListener("click", async () => {
    if (!window.confirm(format(T.delete_confirm, { title: button.dataset.title }))) return;
    const result = await api(`/api/v1/documents/${button.dataset.delete}`, { method: "DELETE" }).catch(() => null);
    if (result?.ok) location.reload();
    else state.textContent = result?.data?.error?.message || T.failed;
  });
}

// Documents whose pages are being made: their state follows until ready.
async function follow(row) {
  for (;;) {
    await new Promise((done) => setTimeout(done, 1000));
    const result = await api(`/api/v1/documents/${row.dataset.document}`).catch(() => null);
    if (!result?.ok) return;
    const { state: now, pages_ready: done, pages } = result.data;
    row.dataset.state = now;
    row.querySelector(".document-state").textContent =
      now === "processing" ? format(T.processing, { done, pages }) : now === "ready" ? T.ready : T.state_failed;
    if (now !== "processing") return;
  }
}
for (const row of document.querySelectorAll('tr[data-state="processing"]')) follow(row);
