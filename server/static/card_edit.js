// The business card's page (templates/console/card.html): the card as the
// guest will see it, redrawn from the form as the host types; and the paper
// card's picture, chosen, saved (PUT /api/v1/me/card/image) or deleted as
// picture_upload.js does for every host's picture.

import { adoptCardStyles, cardElement } from "/embed/card.js";
import { pictureUpload } from "/static/picture_upload.js";

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
if (imageForm) {
  const picture = $("card-image");
  pictureUpload({
    form: imageForm,
    url: "/api/v1/me/card/image",
    S,
    parts: {
      input: $("card-image-file"),
      drop: $("card-image-drop"),
      picture,
      status: $("card-image-status"),
      error: $("card-image-error"),
      save: $("card-image-save"),
      remove: $("card-image-delete"),
    },
    onSaved: (data) => {
      picture.src = data.image_url;
      picture.width = data.image_width;
      picture.height = data.image_height;
    },
  });
}
