// The captures on the meeting's stage: the newest large, older ones in the
// strip below it, and (in the captures tool's panel) the pages the guests
// opened. A capture arriving is shown at once and brought into view.
// Every guest string is set as text, never as HTML; a URL becomes a link
// only when it is http or https.
//
// The host's pointer (issue #16): a click on the newest capture, while the
// guest is still on that capture's page, points at that place on the
// guest's screen (through the live view's `pointOnCapture`, set by
// meeting.js as `pointer`); otherwise the line under the picture says why not.

import { api } from "/static/live.js";
import { captureSpot, mark } from "/static/live_view.js";

const SHORT_URL = 60;
// Why a capture cannot be pointed on (live_view.js's strings).
const POINTER_PROBLEMS = {
  not_newest: "live_view.capture.not_newest",
  moved: "live_view.capture.moved",
  no_guest: "live_view.capture.no_guest",
  no_size: "live_view.capture.no_size",
};

export function safeHref(url) {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}

function shortUrl(url) {
  return url.length > SHORT_URL ? `${url.slice(0, SHORT_URL - 1)}…` : url;
}

export class CaptureWindow {
  /**
   * @param {object} o
   * @param {(capture: object) => void} [o.onArrived]  a capture came in live
   * @param {() => void} [o.onFirst]  the first capture is on the stage
   */
  constructor({ meetingId, strings, onArrived = () => {}, onFirst = () => {} }) {
    this.T = strings;
    this.meetingId = meetingId;
    this.onArrived = onArrived;
    this.onFirst = onFirst;
    this.captures = [];
    this.$ = (id) => document.getElementById(id);
    this.clock = new Intl.DateTimeFormat(document.documentElement.lang, { timeStyle: "medium" });
    this.pointer = null; // the live view, on the meeting's own host's page
    this.lastPage = null; // the URL of the newest page a guest opened
    this.lastPages = new Map(); // guest id -> the newest page that guest opened
    this.$("zoom").addEventListener("click", () => this.toggleZoom());
    this.$("capture-image").addEventListener("click", (event) => this.pointAt(event));
    this.$("url-toggle").addEventListener("click", () => this.toggleUrl());
    // Asking and attaching exist only while the meeting runs.
    this.$("ask-capture")?.addEventListener("click", () => this.ask());
    this.$("attach")?.addEventListener("submit", (event) => {
      event.preventDefault();
      this.attach();
    });
  }

  add(capture, { show = true, live = false } = {}) {
    if (this.captures.some((c) => c.capture_id === capture.capture_id)) return;
    this.captures.push(capture);
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.capture = capture.capture_id;
    button.title = capture.title || capture.url;
    const thumb = document.createElement("img");
    thumb.src = capture.thumbnail_url;
    thumb.alt = capture.title || this.T["meeting.js.no_title"];
    thumb.loading = "lazy";
    button.append(thumb);
    button.addEventListener("click", () => this.show(capture));
    item.append(button);
    this.$("capture-strip").prepend(item); // newest first
    if (this.captures.length === 1) this.onFirst();
    if (show) this.show(capture);
    if (live) {
      this.bringIntoView(button);
      this.onArrived(capture);
    }
  }

  /** The new capture where the host's eyes are: its picture from the top,
   * its thumbnail at the strip's start, the stage on screen (where the page
   * scrolls, on a narrow window). */
  bringIntoView(thumbnail) {
    this.$("capture-frame").scrollTo({ top: 0, left: 0 });
    this.$("capture-strip").scrollTo({ left: 0 });
    thumbnail.scrollIntoView({ block: "nearest", inline: "nearest" });
    this.$("capture-main").scrollIntoView({ block: "nearest" });
  }

  show(capture) {
    const image = this.$("capture-image");
    image.src = capture.image_url;
    image.alt = capture.title || this.T["meeting.js.no_title"];
    this.$("capture-title").textContent = capture.title || this.T["meeting.js.no_title"];
    this.current = capture;
    this.urlExpanded = false;
    this.renderUrl();
    const time = this.$("capture-time");
    time.dateTime = capture.time;
    time.textContent = this.clock.format(new Date(capture.time));
    this.$("capture-size").textContent = `${capture.width} × ${capture.height}`;
    this.$("capture-open").href = capture.image_url;
    this.$("capture-download").href = capture.image_url;
    this.$("capture-download").download = `capture-${capture.capture_id}`;
    for (const button of this.$("capture-strip").querySelectorAll("button")) {
      button.setAttribute("aria-current", String(button.dataset.capture === String(capture.capture_id)));
    }
    this.renderPointer();
  }

  /** Why the shown capture cannot be pointed on, or null when it can. */
  pointerProblem(capture) {
    if (capture !== this.captures.at(-1)) return "not_newest";
    // The capture's own guest's newest page (events before #16 name no guest).
    const guest = capture.guest_id;
    const last = this.lastPages.has(guest) ? this.lastPages.get(guest) : this.lastPage;
    if (last !== capture.url) return "moved";
    if (this.pointer.captureGuest(capture) == null) return "no_guest";
    if (!capture.viewport_width || !capture.viewport_height) return "no_size";
    return null;
  }

  renderPointer() {
    const line = this.$("capture-pointer");
    const capture = this.current;
    const live = document.getElementById("room")?.dataset.state !== "ended";
    if (!line || !this.pointer || !capture || !live) {
      if (line) line.hidden = true;
      this.$("capture-image").classList.remove("pointable");
      return;
    }
    const problem = this.pointerProblem(capture);
    line.hidden = false;
    line.dataset.problem = problem || "";
    line.textContent = this.pointer.T[problem ? POINTER_PROBLEMS[problem] : "live_view.capture.hint"];
    this.$("capture-image").classList.toggle("pointable", !problem);
  }

  pointAt(event) {
    const capture = this.current;
    if (!this.pointer || !capture || this.pointerProblem(capture)) return;
    const image = this.$("capture-image");
    const spot = captureSpot(capture, image.getBoundingClientRect(), event.clientX, event.clientY);
    const line = this.$("capture-pointer");
    if (!this.pointer.pointOnCapture(capture, spot, (text) => (line.textContent = text))) return;
    image.dataset.pointed = JSON.stringify(spot);
    const frame = this.$("capture-frame");
    const box = frame.getBoundingClientRect();
    mark(frame, event.clientX - box.left + frame.scrollLeft, event.clientY - box.top + frame.scrollTop, "capture-mark");
    // What happened on the guest's screen is said when their page answers.
    line.textContent = this.pointer.T["live_view.pointing"];
  }

  renderUrl() {
    const url = this.current?.url || "";
    const text = this.urlExpanded ? url : shortUrl(url);
    const holder = this.$("capture-url");
    const href = safeHref(url);
    let node;
    if (href) {
      node = document.createElement("a");
      node.href = href;
      node.target = "_blank";
      node.rel = "noopener noreferrer";
    } else {
      node = document.createElement("span");
    }
    node.textContent = text;
    holder.replaceChildren(node);
    const toggle = this.$("url-toggle");
    toggle.hidden = url.length <= SHORT_URL;
    toggle.textContent = this.urlExpanded ? this.T["meeting.js.hide_url"] : this.T["meeting.js.show_url"];
  }

  toggleUrl() {
    this.urlExpanded = !this.urlExpanded;
    this.renderUrl();
  }

  toggleZoom() {
    const frame = this.$("capture-frame");
    const zoomed = frame.classList.toggle("zoomed");
    this.$("zoom").setAttribute("aria-pressed", String(zoomed));
    this.$("zoom").textContent = zoomed ? this.T["meeting.js.zoom_out"] : this.T["meeting.js.zoom"];
  }

  visited(event) {
    this.lastPage = event.payload.url;
    if (event.payload.guest_id != null) this.lastPages.set(event.payload.guest_id, event.payload.url);
    if (this.current) this.renderPointer();
    this.$("no-visits")?.remove();
    const item = document.createElement("li");
    const time = document.createElement("time");
    time.dateTime = event.time;
    time.textContent = this.clock.format(new Date(event.time));
    const href = safeHref(event.payload.url);
    const link = document.createElement(href ? "a" : "span");
    if (href) {
      link.href = href;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
    }
    link.textContent = event.payload.title || shortUrl(event.payload.url);
    link.title = event.payload.url;
    item.append(time, " ", link);
    this.$("visited").prepend(item);
  }

  async ask() {
    const result = await api(`/api/v1/meetings/${this.meetingId}/capture-request`, { method: "POST" }).catch(() => null);
    this.$("ask-state").textContent = result?.ok ? this.T["meeting.js.asked"] : this.T["meeting.js.ask_failed"];
  }

  async attach() {
    // Flow 2: a guest on the snippet joins this running meeting.
    const input = this.$("attach-number");
    const error = this.$("attach-error");
    const result = await api(`/api/v1/meetings/${this.meetingId}/guests`, {
      method: "POST",
      body: { number: input.value },
    }).catch(() => null);
    error.hidden = Boolean(result?.ok);
    if (result?.ok) {
      input.value = "";
      this.$("ask-state").textContent = this.T["meeting.js.attached"];
    } else {
      error.textContent = result?.data?.error?.message || this.T["meeting.js.ask_failed"];
    }
  }

  apply(event) {
    if (event.type === "capture.created") this.add({ ...event.payload, time: event.time }, { live: true });
    if (event.type === "page.visited") this.visited(event);
  }
}
