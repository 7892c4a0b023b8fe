// The guest label (「山田様」): the host names the guest from the meeting
// page or the record, at any time. The label is saved through the API and
// recorded as a guest.labelled event, so every open page shows it: the
// meeting page's script passes its live events on as "tsunagu:event".

import { api } from "/static/live.js";

const box = document.getElementById("guest-label");

if (box) {
  const meetingId = Number(box.dataset.meeting);
  const form = box.querySelector(".guest-label-form");
  const input = form.querySelector("input");
  const editButton = box.querySelector(".guest-label-edit");
  const errorBox = box.querySelector(".guest-label-error");

  // Every place on the page that shows the label (the record's heading too).
  function show(label) {
    for (const text of document.querySelectorAll("[data-guest-label-text]")) {
      text.textContent = label;
      text.hidden = !label;
    }
    box.querySelector(".guest-label-empty").hidden = Boolean(label);
    if (form.hidden) input.value = label;
  }

  function editing(on) {
    form.hidden = !on;
    editButton.setAttribute("aria-expanded", String(on));
    errorBox.hidden = true;
    if (on) {
      input.focus();
      input.select();
    } else {
      editButton.focus();
    }
  }

  editButton.addEventListener("click", () => editing(form.hidden));
  box.querySelector(".guest-label-cancel").addEventListener("click", () => editing(false));
  form.addEventListener("keydown", (event) => {
    if (event.key === "Escape") editing(false);
  });
  // Answers can come late, and out of order: only the latest save's answer
  // is shown, and not over a label another page set since it was sent.
  let saves = 0;
  let heard = 0;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    form.setAttribute("aria-busy", "true");
    const mine = ++saves;
    const heardBefore = heard;
    try {
      const result = await api(`/api/v1/meetings/${meetingId}`, {
        method: "PATCH",
        body: { guest_label: input.value },
      });
      if (mine !== saves) return;
      if (!result.ok) {
        errorBox.textContent = result.data?.error?.message || box.dataset.network;
        errorBox.hidden = false;
        return;
      }
      editing(false);
      // A guest.labelled heard since is as new as this answer, or newer.
      if (heard === heardBefore) show(result.data.guest_label || "");
    } catch {
      if (mine !== saves) return;
      errorBox.textContent = box.dataset.network;
      errorBox.hidden = false;
    } finally {
      form.removeAttribute("aria-busy");
    }
  });

  document.addEventListener("tsunagu:event", (event) => {
    const live = event.detail;
    if (live?.type === "guest.labelled" && live.meeting_id === meetingId) {
      heard++;
      show(live.payload.label || "");
    }
  });
}
