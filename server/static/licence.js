// The licence photo (宅建士証) on the account page: chosen with the file
// picker or dropped on the box, previewed, then saved (PUT /api/v1/me/licence,
// the image as the body); replaced the same way, or deleted, as
// picture_upload.js does for every host's picture.

import { pictureUpload } from "/static/picture_upload.js";

const $ = (id) => document.getElementById(id);
const form = $("licence-form");
if (form) {
  const S = JSON.parse($("licence-strings").textContent);
  const image = $("licence-image");
  pictureUpload({
    form,
    url: "/api/v1/me/licence",
    S,
    parts: {
      input: $("licence-file"),
      drop: $("licence-drop"),
      picture: image,
      status: $("licence-status"),
      error: $("licence-error"),
      save: $("licence-save"),
      remove: $("licence-delete"),
    },
    onSaved: (data) => {
      image.src = `/api/v1/me/licence/image?v=${Date.parse(data.updated_at)}`;
      $("licence-preview").dataset.present = "true";
      $("licence-caption").textContent = `${S.updated}: ${new Date(data.updated_at).toLocaleString(document.documentElement.lang)}`;
    },
    onDeleted: () => {
      $("licence-preview").dataset.present = "false";
      $("licence-caption").textContent = S.none;
    },
  });
}
