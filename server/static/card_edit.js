// The business card's page (templates/console/card.html): the card as the
// guest will see it, redrawn from the form as the host types; and the paper
// card's picture, chosen with the file picker or dropped on the box, then
// saved (PUT /api/v1/me/card/image, the image as the body) or deleted. The
// server checks and re-encodes the picture; this page only spares a
// pointless upload.

import { adoptCardStyles, cardElement } from "/embed/card.js";

const $ = (id) => document.getElementById(id);
const S = JSON.parse($("card-strings").textContent);
const form = $("card-form");
const FIELDS = ["name", "kana", "company", "department", "title", "phone", "email", "url", "address"];

adoptCardStyles(document);

function preview() {
  const card = Object.fromEntries(FIELDS.map((name) => [name, form.elements[name].value.trim()]));
  $("card-preview").replaceChildren(cardElement(card, S, { placeholder: S.empty }));
}
form.addEventListener("input", preview);
preview();

const imageForm = $("card-image-form");
if (imageForm) image(imageForm);

function image(imageForm) {
  const input = $("card-image-file");
  const drop = $("card-image-drop");
  const picture = $("card-image");
  const status = $("card-image-status");
  const error = $("card-image-error");
  const save = $("card-image-save");
  const remove = $("card-image-delete");
  const limit = Number(imageForm.dataset.limit);
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
  let chosen = null;

  const fail = (message) => {
    error.textContent = message;
    error.hidden = !message;
    status.textContent = "";
  };

  // A data: URL, not a blob: one: the console's CSP allows images from data:.
  const dataUrl = (file) =>
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
    const url = await dataUrl(file);
    if (url) {
      picture.src = url;
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

  imageForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!chosen) return;
    save.disabled = true;
    status.textContent = S.saving;
    const response = await fetch("/api/v1/me/card/image", {
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
    picture.src = data.image_url;
    picture.width = data.image_width;
    picture.height = data.image_height;
    picture.hidden = false;
    remove.hidden = false;
    status.textContent = S.saved;
  });

  remove.addEventListener("click", async () => {
    if (!window.confirm(remove.dataset.confirm)) return;
    const response = await fetch("/api/v1/me/card/image", {
      method: "DELETE",
      headers: { "x-csrf-token": csrf },
      credentials: "same-origin",
    }).catch(() => null);
    if (!response?.ok && response?.status !== 404) return fail(S.failed);
    picture.hidden = true;
    picture.removeAttribute("src");
    remove.hidden = true;
    status.textContent = S.deleted;
  });
}
