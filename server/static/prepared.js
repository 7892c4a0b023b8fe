// Meetings prepared ahead (issue #14, part 0): the "prepare a meeting" form,
// and its link afterwards: copy, open, SMS (the meeting's usual SMS invite),
// and an e-mail (a mailto: with the text filled in, and the text to copy).
// Also the dashboard's upcoming list: its dates in the host's own time zone
// and its copy buttons.

import { api, format } from "/static/live.js";

const $ = (id) => document.getElementById(id);
const block = $("prepared-strings");
const S = block ? JSON.parse(block.textContent) : {};

function localTime(iso, withTime = true) {
  const options = withTime
    ? { year: "numeric", month: "long", day: "numeric", weekday: "short", hour: "2-digit", minute: "2-digit" }
    : { year: "numeric", month: "long", day: "numeric", weekday: "short" };
  return new Date(iso).toLocaleString(document.documentElement.lang || "ja", options);
}

// Every <time data-local> on the page reads in the host's own time zone.
for (const time of document.querySelectorAll("time[data-local]")) {
  time.textContent = localTime(time.dateTime, time.dataset.local !== "date");
}

for (const span of document.querySelectorAll("[data-expires]")) {
  span.textContent = format(S.expires, { date: localTime(span.dataset.expires, false) });
}

async function copy(text, status) {
  try {
    await navigator.clipboard.writeText(text);
    status.textContent = S.copied;
  } catch {
    status.textContent = S.copy_failed;
  }
}

for (const button of document.querySelectorAll("button[data-copy]")) {
  button.addEventListener("click", () => copy(button.dataset.copy, $("upcoming-status")));
}

function emailText(customer, scheduled, url, expires) {
  const when = scheduled ? format(S.email_when, { date: localTime(scheduled) }) : "";
  return format(S.email_body, {
    customer,
    when,
    until: localTime(expires, false),
    url,
    company: S.company,
  });
}

function showResult(made) {
  const { meeting, link } = made;
  $("prepare-card").hidden = true;
  $("prepared-result").hidden = false;
  $("prepared-customer").textContent = meeting.guest_label;
  $("prepared-when").textContent = made.scheduled_at ? format(S.scheduled, { date: localTime(made.scheduled_at) }) : "";
  $("prepared-expires").textContent = format(S.expires, { date: localTime(link.expires_at, false) });
  $("prepared-url").value = link.url;
  $("prepared-open").href = link.url;
  $("prepared-meeting").href = `/meetings/${meeting.id}`;
  const text = emailText(meeting.guest_label, made.scheduled_at, link.url, link.expires_at);
  $("prepared-email").value = text;
  $("prepared-mail").href = `mailto:?subject=${encodeURIComponent(S.email_subject)}&body=${encodeURIComponent(text)}`;
  $("prepared-copy").addEventListener("click", () => copy(link.url, $("prepared-status")));
  $("prepared-sms").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("prepared-sms-error").hidden = true;
    const result = await api(`/api/v1/meetings/${meeting.id}/sms`, {
      method: "POST",
      body: { phone: $("prepared-phone").value },
    }).catch(() => null);
    if (result?.ok) {
      $("prepared-status").textContent = S.sms_sent;
      $("prepared-phone").value = "";
    } else {
      $("prepared-sms-error").textContent = result?.data?.error?.message || S.copy_failed;
      $("prepared-sms-error").hidden = false;
    }
  });
  $("prepared-title").focus?.();
}

const form = $("prepare-form");
if (form) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    $("prepare-error").hidden = true;
    const when = $("prepare-when").value;
    const body = {
      guest_label: $("prepare-customer").value,
      // The browser's local time, sent with its offset (toISOString is UTC).
      scheduled_at: when ? new Date(when).toISOString() : null,
      valid_days: Number($("prepare-days").value),
    };
    for (const name of ["waiting_room", "recording", "it_mode", "browser_audio"]) {
      body[name] = form.elements[name].checked;
    }
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    const result = await api("/api/v1/meetings/prepared", { method: "POST", body }).catch(() => null);
    button.disabled = false;
    if (result?.ok) {
      showResult(result.data);
      return;
    }
    $("prepare-error").textContent = result?.data?.error?.message || S.copy_failed;
    $("prepare-error").hidden = false;
  });
}
