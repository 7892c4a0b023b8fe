// A host's picture on a console page: the paper business card's
// (card_edit.js) and the licence photo (licence.js). The picture is chosen
// with the file picker or dropped on the box, previewed, then saved (PUT
// `url`, the image as the body), replaced the same way, or deleted. The
// server checks and re-encodes it; this page only spares a pointless upload.
// One module, so both pictures take the same formats, limits and steps.

import { dataUrl } from "/embed/api.js";

const FORMATS = ["image/jpeg", "image/png"];

/**
 * Wire the upload form `form` (its `data-limit`: the most bytes) to the
 * element `parts` (input, drop, picture, status, error, save, remove) and
 * the page's strings `S` (format, too_large, selected, saving, failed, saved,
 * deleted). `onSaved(data)` shows the stored picture from the server's
 * answer; `onDeleted()` tidies the page once it is gone.
 */
export function pictureUpload({ form, url, S, parts, onSaved, onDeleted = () => {} }) {
  const { input, drop, picture, status, error, save, remove } = parts;
  const limit = Number(form.dataset.limit);
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
  let chosen = null;

  const fail = (message) => {
    error.textContent = message;
    error.hidden = !message;
    status.textContent = "";
  };

  async function choose(file) {
    fail("");
    chosen = null;
    save.disabled = true;
    if (!file) return;
    if (!FORMATS.includes(file.type)) return fail(S.format);
    if (file.size > limit) return fail(S.too_large);
    chosen = file;
    // A data: URL, not a blob: one: the console's CSP allows images from data:.
    const preview = await dataUrl(file);
    if (preview) {
      picture.src = preview;
      picture.removeAttribute("width");
      picture.removeAttribute("height");
      picture.hidden = false;
    }
    status.textContent = S.selected.replace("{name}", file.name);
    save.disabled = false;
  }

  input.addEventListener("change", () => choose(input.files[0]));
  for (const kind of ["dragenter", "dragover"]) {
    drop.addEventListener(kind, (event) => {
      event.preventDefault();
      drop.dataset.over = "true";
    });
  }
  drop.addEventListener("dragleave", () => delete drop.dataset.over);
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    delete drop.dataset.over;
    choose(event.dataTransfer.files[0]);
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!chosen) return;
    save.disabled = true;
    status.textContent = S.saving;
    const response = await fetch(url, {
      method: "PUT",
      headers: { "content-type": chosen.type, "x-csrf-token": csrf },
      body: chosen,
      credentials: "same-origin",
    }).catch(() => null);
    const data = await response?.json().catch(() => null);
    if (!response?.ok) {
      save.disabled = false;
      return fail(data?.error?.message || S.failed);
    }
    chosen = null;
    input.value = "";
    onSaved(data);
    picture.hidden = false;
    remove.hidden = false;
    status.textContent = S.saved;
  });

  remove.addEventListener("click", async () => {
    if (!window.confirm(remove.dataset.confirm)) return;
    const response = await fetch(url, {
      method: "DELETE",
      headers: { "x-csrf-token": csrf },
      credentials: "same-origin",
    }).catch(() => null);
    if (!response?.ok && response?.status !== 404) return fail(S.failed);
    picture.hidden = true;
    picture.removeAttribute("src");
    onDeleted();
    remove.hidden = true;
    status.textContent = S.deleted;
  });
}
