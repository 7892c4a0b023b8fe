// The files tool in the meeting room (templates/console/tools/files.html):
// send files to the guests from the picker or by dropping them on the panel
// (not the stage: nothing goes to the guest by a stray drop), with progress and resume (embed/files.js), and the list of
// the meeting's files both ways. A file from a guest is announced, and
// marks the rail's button while the panel is closed.

import { formatSize, sendFile } from "/embed/files.js";
import { api, format } from "/static/live.js";

const $ = (id) => document.getElementById(id);
const T = JSON.parse($("files-strings").textContent);
const tool = $("files-tool");
const meetingId = tool.dataset.meeting;
const base = `/api/v1/meetings/${meetingId}/files`;
const lang = document.documentElement.lang || "ja";
const rail = $("tool-files");
const queue = [];
let sending = false;
let canSend = true;

function csrf() {
  return document.querySelector('meta[name="csrf-token"]')?.content || "";
}

function sender(file) {
  return file.sender === "host" ? format(T.from_host, { by: file.sent_by || "" }) : format(T.from_guest, { n: numbers.get(file.guest_id) ?? "" });
}

// お客様 N, as the timeline names them: from the file.sent events.
const numbers = new Map();

function render(files) {
  const list = $("files-list");
  list.replaceChildren();
  if (!files.length) {
    const none = document.createElement("li");
    none.className = "muted small";
    none.textContent = T.none;
    list.append(none);
  }
  for (const file of [...files].reverse()) {
    const item = document.createElement("li");
    item.className = `files-item files-${file.sender}`;
    item.dataset.file = file.id;
    const name = document.createElement("strong");
    name.className = "files-name";
    name.textContent = file.name;
    const meta = document.createElement("span");
    meta.className = "muted small";
    const time = new Date(file.created_at).toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
    meta.textContent = `${sender(file)} · ${formatSize(file.size, lang)} · ${time}`;
    const link = document.createElement("a");
    link.href = file.download_url;
    link.className = "files-download";
    link.download = file.name;
    link.textContent = T.download;
    link.setAttribute("aria-label", `${T.download}: ${file.name}`);
    item.append(name, meta, link);
    list.append(item);
  }
}

async function refresh() {
  const result = await api(base).catch(() => null);
  if (!result?.ok) return;
  canSend = result.data.can_send;
  $("files-lead").textContent = canSend ? format(T.lead, { max_mb: result.data.max_mb }) : T.cannot_send;
  $("files-drop").hidden = !canSend;
  render(result.data.files);
}

function setError(text) {
  $("files-error").textContent = text;
  $("files-error").hidden = !text;
}

async function sendNext() {
  if (sending || !queue.length) return;
  sending = true;
  const file = queue.shift();
  const progress = $("files-progress");
  const status = $("files-status");
  setError("");
  progress.hidden = false;
  progress.value = 0;
  progress.setAttribute("aria-label", format(T.progress, { name: file.name }));
  try {
    await sendFile({
      file,
      base,
      headers: { "x-csrf-token": csrf() },
      onProgress: (sent, total) => {
        const percent = total ? Math.floor((sent / total) * 100) : 100;
        progress.value = percent;
        status.textContent = format(T.sending, { name: file.name, percent });
      },
      onRetry: (seconds) => {
        status.textContent = format(T.retrying, { seconds });
      },
    });
    status.textContent = format(T.sent, { name: file.name });
    await refresh();
  } catch (error) {
    status.textContent = "";
    setError(format(T.failed, { name: file.name, message: error.code === "network" ? T.network : error.message }));
  } finally {
    progress.hidden = true;
    sending = false;
    sendNext();
  }
}

function take(files) {
  if (!canSend) {
    setError(T.cannot_send);
    return;
  }
  queue.push(...files);
  sendNext();
}

$("files-input").addEventListener("change", (event) => {
  take([...event.target.files]);
  event.target.value = "";
});

// Dropped on the panel: sent like a picked file. Only there: a file dropped
// on the stage (a PDF meant for 資料, say) must not go to the guest unasked.
const dropZone = $("files-drop");
dropZone.addEventListener("dragover", (event) => {
  if (!event.dataTransfer?.types.includes("Files")) return;
  event.preventDefault();
  dropZone.classList.add("files-dragging");
});
dropZone.addEventListener("dragleave", () => dropZone.classList.remove("files-dragging"));
dropZone.addEventListener("drop", (event) => {
  if (!event.dataTransfer?.files.length) return;
  event.preventDefault();
  dropZone.classList.remove("files-dragging");
  take([...event.dataTransfer.files]);
});

// A file dropped anywhere else in the room is refused, rather than opened
// by the browser in place of the meeting (unless another zone took it).
document.addEventListener("dragover", (event) => {
  if (event.defaultPrevented || !event.dataTransfer?.types.includes("Files")) return;
  event.preventDefault();
  event.dataTransfer.dropEffect = "none";
});
document.addEventListener("drop", (event) => {
  if (!event.defaultPrevented && event.dataTransfer?.types.includes("Files")) event.preventDefault();
});

function markRail(on) {
  if (!rail) return;
  let badge = rail.querySelector(".rail-badge");
  if (on && !badge) {
    badge = document.createElement("span");
    badge.className = "rail-badge";
    badge.textContent = "●";
    badge.title = T.new_badge;
    badge.setAttribute("aria-label", T.new_badge);
    rail.append(badge);
  } else if (!on && badge) badge.remove();
}

document.addEventListener("tsunagu:panel", (event) => {
  if (event.detail.tool === "files" && event.detail.open) markRail(false);
});

document.addEventListener("tsunagu:event", (event) => {
  const { type, payload } = event.detail;
  if (type !== "file.sent") return;
  if (payload.sender === "guest") {
    numbers.set(payload.guest_id, payload.n);
    $("announcer").textContent = format(T.arrived, payload);
    if (rail?.getAttribute("aria-expanded") !== "true") markRail(true);
  }
  refresh();
});

// お客様 N of files already there, from the events the page came with.
for (const event of JSON.parse($("meeting-data").textContent).events) {
  if (event.type === "file.sent" && event.payload.guest_id) numbers.set(event.payload.guest_id, event.payload.n);
}
refresh();
