/*! Tsunagu: files sent in a meeting, for the console, the join page and the
 *  snippet's bar. An ES module served at /embed/files.js, loaded only where
 *  files are shown (never by the snippet's loader).
 *
 *  sendFile() is the resumable upload of the server's files API
 *  (docs/API.md): begin with the name and size, then send the bytes in
 *  pieces at the offset the server has reached. A dropped connection or a
 *  busy server is retried with a backoff, from where the server got to (or,
 *  when the last piece made the file though its answer was lost, that file
 *  is the result: it is never sent twice); a refusal (too large, a blocked type) is thrown with the server's message.
 *  GuestFiles is the guest's panel: send, progress, the files received with
 *  a one-tap 「保存」. */

// Waits between tries after a dropped connection, in seconds.
const BACKOFF = [1, 2, 4, 8, 15, 30];

/** An Error with the server's code and message (or "network"). */
function refusal(code, message) {
  const error = new Error(message);
  error.code = code;
  return error;
}

/** One request with upload progress (fetch has none): resolves with
 *  { status, data, retryAfter }, rejects with code "network" when no answer came. */
function send({ method, url, body, headers, onProgress, withCredentials }) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    xhr.withCredentials = Boolean(withCredentials);
    for (const [name, value] of Object.entries(headers || {})) xhr.setRequestHeader(name, value);
    if (onProgress) xhr.upload.onprogress = (event) => onProgress(event.loaded);
    xhr.onload = () => {
      let data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        data = null;
      }
      const retryAfter = Number(xhr.getResponseHeader("retry-after")) || undefined;
      resolve({ status: xhr.status, data, retryAfter });
    };
    xhr.onerror = () => reject(refusal("network", "network"));
    xhr.ontimeout = xhr.onerror;
    xhr.send(body);
  });
}

const sleep = (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

/**
 * Send `file` to `base` (…/files for the host, /api/v1/guest/files for a guest).
 * `headers`: the CSRF header or the guest's authorization. `onProgress(sent, total)`
 * as bytes go; `onRetry(seconds)` before a wait. Resolves with the stored file.
 */
export async function sendFile({ file, base, headers = {}, onProgress = () => {}, onRetry = () => {}, cancelled = () => false, withCredentials = false }) {
  const json = { ...headers, "content-type": "application/json" };
  const begun = await send({ method: "POST", url: `${base}/uploads`, headers: json, withCredentials, body: JSON.stringify({ name: file.name, size: file.size, type: file.type || "" }) });
  if (begun.status !== 201) throw refusal(begun.data?.error?.code || `http_${begun.status}`, begun.data?.error?.message || "");
  const upload = begun.data;
  const at = `${base}/uploads/${upload.id}`;
  let received = upload.received;
  let failures = 0;
  onProgress(received, file.size);
  for (;;) {
    if (cancelled()) {
      await send({ method: "POST", url: `${at}/cancel`, headers: json, body: "{}", withCredentials }).catch(() => {});
      throw refusal("cancelled", "");
    }
    const piece = file.slice(received, Math.min(file.size, received + upload.chunk_bytes));
    let answer;
    try {
      answer = await send({
        method: "POST",
        url: `${at}?offset=${received}`,
        headers: { ...headers, "content-type": "application/octet-stream" },
        body: piece,
        withCredentials,
        onProgress: (loaded) => onProgress(received + loaded, file.size),
      });
    } catch (error) {
      answer = { status: 0, error };
    }
    if ((answer.status === 200 || answer.status === 201) && answer.data?.file) {
      onProgress(file.size, file.size);
      return answer.data.file;
    }
    if (answer.status === 200) {
      received = answer.data.received;
      failures = 0;
      continue;
    }
    const code = answer.data?.error?.code;
    if (code === "file_offset_mismatch") {
      received = answer.data.error.details?.[0]?.received ?? received;
      continue;
    }
    // No answer, a busy server, or a piece still being taken: wait, ask how
    // far the server got, and go on from there.
    const transient = answer.status === 0 || answer.status >= 500 || answer.status === 429 || code === "file_upload_busy";
    if (!transient || failures >= BACKOFF.length) {
      if (answer.status === 0) throw refusal("network", "");
      throw refusal(code || `http_${answer.status}`, answer.data?.error?.message || "");
    }
    const wait = answer.retryAfter || BACKOFF[failures];
    failures += 1;
    onRetry(wait);
    await sleep(wait);
    const state = await send({ method: "GET", url: at, headers, withCredentials }).catch(() => null);
    if (state?.status === 200 && state.data?.file) {
      // The last piece made the file; only its answer was lost.
      onProgress(file.size, file.size);
      return state.data.file;
    }
    if (state?.status === 200) received = state.data.received;
    else if (state && state.status >= 400 && state.status < 500) {
      throw refusal(state.data?.error?.code || `http_${state.status}`, state.data?.error?.message || "");
    }
  }
}

/** 12 KB, 3.4 MB: how big a file is, in the page's language. */
export function formatSize(bytes, lang = "ja") {
  const units = [
    [1024 * 1024 * 1024, "GB"],
    [1024 * 1024, "MB"],
    [1024, "KB"],
  ];
  // A no-break space: "103.6 KB" never breaks between number and unit.
  for (const [size, unit] of units) {
    if (bytes >= size) return `${new Intl.NumberFormat(lang, { maximumFractionDigits: 1 }).format(bytes / size)}\u00a0${unit}`;
  }
  return `${bytes}\u00a0B`;
}

const fill = (text, values) => (text || "").replace(/\{(\w+)\}/g, (_, key) => (key in values ? values[key] : `{${key}}`));

function el(doc, tag, attrs = {}, text = "") {
  const node = doc.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

/**
 * The guest's files: a 「ファイルを送る」 picker, the progress of a send, and the
 * files of the meeting (the host's, with 「保存」, and the guest's own). For the
 * join page (its own origin) and the snippet's panel (`server`: the Tsunagu
 * server's origin). `strings`: the files.guest.* texts; `token()`: the guest's.
 */
export class GuestFiles {
  constructor({ root, strings, token, server = "", lang = "ja", onArrived = () => {} }) {
    Object.assign(this, { root, S: strings, token, server, lang, onArrived });
    const doc = root.ownerDocument;
    this.doc = doc;
    this.lead = el(doc, "p", { class: "files-lead" });
    // The input inside its label: tapping 「ファイルを送る」 opens the phone's
    // file chooser (camera roll, files, other apps), with no id to clash.
    this.input = el(doc, "input", { type: "file", class: "files-input", "data-key": "files-input" });
    Object.assign(this.input.style, { position: "absolute", opacity: "0", width: "1px", height: "1px", overflow: "hidden" });
    const label = el(doc, "label", { class: "files-pick" }, strings.send);
    label.append(this.input);
    this.pick = label;
    this.input.addEventListener("change", () => {
      const [file] = this.input.files;
      this.input.value = "";
      if (file) this.send(file);
    });
    this.progress = el(doc, "progress", { class: "files-progress", max: "100", value: "0", hidden: "" });
    this.status = el(doc, "p", { class: "files-status", role: "status" });
    this.error = el(doc, "p", { class: "files-error", role: "alert", hidden: "" });
    this.list = el(doc, "ul", { class: "files-list" });
    root.append(this.lead, label, this.progress, this.status, this.error, this.list);
    this.files = [];
    this.busy = false;
  }

  headers() {
    return { authorization: `Bearer ${this.token()}` };
  }

  async refresh() {
    const response = await fetch(`${this.server}/api/v1/guest/files`, { headers: this.headers() }).catch(() => null);
    if (!response?.ok) return;
    const data = await response.json();
    this.lead.textContent = fill(this.S.lead, { max_mb: data.max_mb });
    this.input.disabled = !data.can_send;
    this.pick.hidden = !data.can_send;
    if (!data.can_send) this.lead.textContent = this.S.cannot_send;
    this.maxBytes = data.max_mb * 1024 * 1024;
    this.files = data.files;
    this.render();
  }

  render() {
    this.list.replaceChildren();
    if (!this.files.length) this.list.append(el(this.doc, "li", { class: "files-none" }, this.S.none));
    for (const file of [...this.files].reverse()) {
      const item = el(this.doc, "li", { class: "files-item", "data-file": String(file.id) });
      const name = el(this.doc, "strong", { class: "files-name" }, file.name);
      const time = new Date(file.created_at).toLocaleTimeString(this.lang, { hour: "2-digit", minute: "2-digit" });
      const meta = el(this.doc, "span", { class: "files-meta" }, `${file.sender === "host" ? this.S.from_host : this.S.from_you} · ${formatSize(file.size, this.lang)} · ${time}`);
      item.append(name, meta);
      if (file.sender === "host") {
        const save = el(this.doc, "button", { type: "button", class: "files-save", "data-key": "files-save" }, this.S.save);
        save.setAttribute("aria-label", `${this.S.save}: ${file.name}`);
        save.addEventListener("click", () => this.save(file, save));
        item.append(save);
      }
      this.list.append(item);
    }
  }

  /** A live event: a file sent by the host is announced and listed. */
  apply(event) {
    if (event.type !== "file.sent") return;
    const { payload } = event;
    if (payload.sender === "host") {
      this.status.textContent = fill(this.S.arrived, payload);
      this.onArrived(payload);
    }
    this.refresh();
  }

  async send(file) {
    if (this.busy) return;
    this.busy = true;
    this.error.hidden = true;
    this.progress.hidden = false;
    this.progress.value = 0;
    this.progress.setAttribute("aria-label", fill(this.S.progress, { name: file.name }));
    try {
      await sendFile({
        file,
        base: `${this.server}/api/v1/guest/files`,
        headers: this.headers(),
        onProgress: (sent, total) => {
          const percent = total ? Math.floor((sent / total) * 100) : 100;
          this.progress.value = percent;
          this.status.textContent = fill(this.S.sending, { name: file.name, percent });
        },
        onRetry: (seconds) => {
          this.status.textContent = fill(this.S.retrying, { seconds });
        },
      });
      this.status.textContent = fill(this.S.sent, { name: file.name });
      await this.refresh();
    } catch (error) {
      this.status.textContent = "";
      this.error.textContent = fill(this.S.failed, { name: file.name, message: error.code === "network" ? this.S.network : error.message });
      this.error.hidden = false;
    } finally {
      this.busy = false;
      this.progress.hidden = true;
    }
  }

  /** One tap: a short-lived link (the token never goes in a URL), then the
   *  browser downloads from it (an attachment: the page stays). */
  async save(file, button) {
    button.disabled = true;
    this.error.hidden = true;
    try {
      const response = await fetch(`${this.server}/api/v1/guest/files/${file.id}/link`, { method: "POST", headers: this.headers() });
      const data = await response.json().catch(() => null);
      if (!response.ok) throw refusal(data?.error?.code, data?.error?.message || this.S.network);
      const link = el(this.doc, "a", { href: `${this.server}${data.url}`, download: file.name, hidden: "" });
      this.root.append(link);
      link.click();
      link.remove();
      // The download started: say so on the row, or people tap again.
      let mark = button.parentElement?.querySelector(".files-saved");
      if (!mark) {
        mark = el(this.doc, "span", { class: "files-saved" });
        button.after(mark);
      }
      mark.textContent = `✓ ${this.S.saved}`;
    } catch (error) {
      this.error.textContent = error.message || this.S.network;
      this.error.hidden = false;
    } finally {
      button.disabled = false;
    }
  }
}
