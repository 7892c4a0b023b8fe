// The licence photo (宅建士証) on the account page: chosen with the file
// picker or dropped on the box, previewed, then saved (PUT /api/v1/me/licence,
// the image as the body); replaced the same way, or deleted. The server
// checks and re-encodes it; this page only spares a pointless upload.

const $ = (id) => document.getElementById(id);
const form = $("licence-form");
if (form) start();

function start() {
  const S = JSON.parse($("licence-strings").textContent);
  const input = $("licence-file");
  const drop = $("licence-drop");
  const image = $("licence-image");
  const status = $("licence-status");
  const error = $("licence-error");
  const save = $("licence-save");
  const remove = $("licence-delete");
  const limit = Number(form.dataset.limit);
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
  let chosen = null;

  const fail = (message) => {
    error.textContent = message;
    error.hidden = !message;
    status.textContent = "";
  };

  // A data: URL, not a blob: one: the console's CSP allows images from data:.
  const preview = (file) =>
    new Promise((resolve) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result);
      reader.onerror = () => resolve(null);
      reader.readAsDataURL(file);
    });

  async function choose(file) {
    fail("");
    chosen = null;
    save.disabled = true;
    if (!file) return;
    if (!["image/jpeg", "image/png"].includes(file.type)) return fail(S.format);
    if (file.size > limit) return fail(S.too_large);
    chosen = file;
    const url = await preview(file);
    if (url) {
      image.src = url;
      image.removeAttribute("width");
      image.removeAttribute("height");
      image.hidden = false;
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
    const response = await fetch("/api/v1/me/licence", {
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
    image.src = `/api/v1/me/licence/image?v=${Date.parse(data.updated_at)}`;
    image.hidden = false;
    $("licence-preview").dataset.present = "true";
    $("licence-caption").textContent = `${S.updated}: ${new Date(data.updated_at).toLocaleString(document.documentElement.lang)}`;
    remove.hidden = false;
    status.textContent = S.saved;
  });

  remove.addEventListener("click", async () => {
    if (!window.confirm(remove.dataset.confirm)) return;
    const response = await fetch("/api/v1/me/licence", {
      method: "DELETE",
      headers: { "x-csrf-token": csrf },
      credentials: "same-origin",
    }).catch(() => null);
    if (!response?.ok && response?.status !== 404) return fail(S.failed);
    image.hidden = true;
    image.removeAttribute("src");
    $("licence-preview").dataset.present = "false";
    $("licence-caption").textContent = S.none;
    remove.hidden = true;
    status.textContent = S.deleted;
  });
}
