// The business card tool in the room's rail (templates/console/tools/card.html):
// the host's own card as the guest will see it, or how to set one up, and
// 「お客様に名刺を表示」 (POST .../card/show), which opens it on the guests'
// pages at once. The card is read again when the host comes back to this tab
// (they may have edited it in another).

import { adoptCardStyles, cardElement } from "/embed/card.js";
import { api } from "/static/live.js";

const root = document.getElementById("card-tool");
if (root?.dataset.host === "true") start(root);

function start(root) {
  const $ = (id) => document.getElementById(id);
  const S = JSON.parse($("card-tool-strings").textContent);
  const show = $("card-show");
  const status = $("card-tool-status");
  let hasCard = false;
  let ended = false;
  adoptCardStyles(document);

  async function load() {
    const result = await api("/api/v1/me/card").catch(() => null);
    if (!result) return;
    hasCard = result.ok;
    $("card-tool-preview").replaceChildren(...(hasCard ? [cardElement(result.data, S)] : []));
    $("card-tool-none").hidden = hasCard;
    $("card-edit").hidden = !hasCard;
    show.disabled = !hasCard || ended;
  }

  show.addEventListener("click", async () => {
    show.disabled = true;
    status.textContent = "";
    const result = await api(`/api/v1/meetings/${root.dataset.meeting}/card/show`, { method: "POST", body: {} }).catch(() => null);
    show.disabled = !hasCard || ended;
    if (result?.ok) status.textContent = S.shown;
    else if (result?.data?.error?.code === "card_missing") load();
    if (!result?.ok) status.textContent = result?.data?.error?.message || S.failed;
  });

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") load();
  });
  document.addEventListener("tsunagu:event", (event) => {
    if (event.detail.type === "meeting.ended") {
      ended = true;
      show.disabled = true;
    }
  });
  load();
}
