// The live view of a snippet guest's page, and the host's pointer on it
// (issue #16), on the host's meeting page:
//
// - the 「ライブ表示」 tool (templates/console/tools/live_view.html): the
//   meeting's snippet guests, each with the state of their live view (from
//   the live_view.* events), 「画面の共有を依頼」 and 「共有を停止」;
// - the stage's tile (templates/console/live_view_stage.html): the guest's
//   page replayed by rrweb from the view.frame messages of the meeting's
//   socket, its page and viewport, the delay, zoom, placeholders over what
//   cannot be shown, 「この瞬間を保存」, and the pointer: a click points at
//   the element under it, a drag draws a stroke (view.pointer).
//
// The replay runs in two frames. The outer one is /live-view/frame, a page
// of our origin whose CSP forbids any script but allows the guest's styles
// and images; rrweb makes its own frame inside that one (sandbox
// "allow-same-origin", never "allow-scripts"), which takes the outer page's
// CSP as an about:blank frame does. The console's own CSP (no inline
// styles, no other origin's images) is left as it is. rrweb builds only
// into a frame it made itself (its guard against unprotected documents), so
// its frame cannot be pointed at /live-view/frame after the fact.
//
// Each full snapshot (a new page, or one we asked for) is played by a new
// replayer in a new outer frame, built under the one shown and put in its
// place once built: a live replayer keeps every event it was given, so a
// long share would otherwise hold all of them.
//
// rrweb is fetched when a view is first shown, never before.

import { api, format } from "/static/live.js";

const REPLAY = "/embed/vendor/rrweb-replay.mjs";
const SVG = "http://www.w3.org/2000/svg";
const REPLAY_CSS = "/embed/vendor/rrweb-replay.css";
const FRAME = "/live-view/frame";
const SANDBOX = "allow-same-origin";
const PING_MS = 2000;
// A want of a full snapshot at most this often (frames of a page whose
// snapshot we missed keep coming until it is there).
const WANT_EVERY_MS = 3000;
const MAX_POINTS = 200;
const MARK_MS = 1600;
// A batch older than this says nothing of the delay now: the figure is then
// half the round trip alone.
const BATCH_FRESH_MS = 5000;
const STROKE_MS = 2500;
// A save asked for and no capture of the live view after this long: the
// guest's page did not make one (paused, gone, failed); say so.
const SAVE_WAIT_MS = 15000;
// The URL's end kept whole when the line must shorten it (in the middle).
const URL_TAIL = 12;
const ZOOM_STEP = 1.25;
const ZOOM_MIN = 0.2;
const ZOOM_MAX = 4;
// A press that moves less than this (CSS px of ours) is a click, not a stroke.
const DRAG_PX = 6;

// rrweb's event and incremental source numbers (rrweb's EventType and
// IncrementalSource).
const FULL_SNAPSHOT = 2;
const INCREMENTAL = 3;
const META = 4;
const VIEWPORT_RESIZE = 4;

// The strings of a state and of a placeholder (templates/console/live_view_stage.html).
const STATE_KEYS = {
  off: "live_view.state.off",
  asked: "live_view.state.asked",
  on: "live_view.state.on",
  paused: "live_view.state.paused",
  declined: "live_view.state.declined",
  stopped: "live_view.state.stopped",
  stopped_guest: "live_view.state.stopped_guest",
  stopped_left: "live_view.state.stopped_left",
  withdrawn: "live_view.state.withdrawn",
  withdrawn_left: "live_view.state.withdrawn_left",
};
// What the guest's page said of the host's pointer (view.result's reason).
const RESULT_KEYS = {
  other_page: "live_view.result.other_page",
  not_found: "live_view.result.not_found",
};
const HOLDER_KEYS = {
  embed: "live_view.holder.embed",
  unavailable: "live_view.holder.unavailable",
  video: "live_view.holder.video",
  hidden: "live_view.holder.hidden",
  image: "live_view.holder.image",
};

// -- pieces without the page, for the tests -------------------------------------

/** A guest's live view after one stored event: {state, how}; state is one
 *  of off, asked, on, paused, declined, stopped, withdrawn (a question taken
 *  back before it was answered); `how` says who or what ended it: "guest" or
 *  "host" (the payload's `by`), "left" or "ended" (its `ended`). */
export function stateAfter(before, event) {
  const type = event.type;
  const how = event.payload?.ended || event.payload?.by;
  if (type === "live_view.asked") return { state: "asked" };
  if (type === "live_view.started" || type === "live_view.resumed") return { state: "on" };
  if (type === "live_view.paused") return { state: "paused" };
  if (type === "live_view.declined") return { state: "declined" };
  if (type === "live_view.stopped") return { state: "stopped", how };
  if (type === "live_view.withdrawn") return { state: "withdrawn", how };
  return before;
}

/** The string key that tells a view's state. */
export function stateKey(view) {
  if (view.state === "stopped") {
    if (view.how === "guest") return STATE_KEYS.stopped_guest;
    return view.how === "left" ? STATE_KEYS.stopped_left : STATE_KEYS.stopped;
  }
  if (view.state === "withdrawn") return view.how === "left" ? STATE_KEYS.withdrawn_left : STATE_KEYS.withdrawn;
  return STATE_KEYS[view.state] || STATE_KEYS.off;
}

/** Each guest's live view after a meeting's events (oldest first); each
 *  keeps the guest's number in the meeting (the payload's `n`), so the view
 *  can name its guest before the guest list is read. */
export function statesFrom(events) {
  const states = new Map();
  for (const event of events) {
    const id = event.payload?.guest_id;
    if (!event.type?.startsWith("live_view.") || id == null) continue;
    states.set(id, withNumber(stateAfter(states.get(id) || { state: "off" }, event), states.get(id), event));
  }
  return states;
}

function withNumber(view, before, event) {
  const n = event.payload?.n ?? before?.n;
  return n == null ? view : { ...view, n };
}

/** A URL cut in two for a line that shortens it in the middle: the head
 *  (ellipsised by the styles when short of room) and its end, kept whole. */
export function urlParts(url, tail = URL_TAIL) {
  return url.length <= tail ? ["", url] : [url.slice(0, -tail), url.slice(-tail)];
}

/** The page and viewport a batch of rrweb events tells of, on top of
 *  `known` ({href, width, height}): Meta events and viewport resizes. */
export function pageFacts(known, events) {
  const facts = { ...known };
  for (const event of events) {
    if (event.type === META) {
      Object.assign(facts, { href: event.data.href, width: event.data.width, height: event.data.height });
    } else if (event.type === INCREMENTAL && event.data?.source === VIEWPORT_RESIZE) {
      Object.assign(facts, { width: event.data.width, height: event.data.height });
    }
  }
  return facts;
}

/** An estimate of the delay the host sees: the last batch's wait on the
 *  phone plus half the round trip; half the round trip alone when that
 *  batch is older than a few seconds (its wait says nothing of now). */
export function latencyMs(batchMs, roundTripMs, batchAgeMs = 0) {
  const wait = batchAgeMs <= BATCH_FRESH_MS ? batchMs || 0 : 0;
  return Math.max(0, Math.round(wait + roundTripMs / 2));
}

/** What to do with a frame of the guest's page, given what the replay has
 *  shown (`replay`: {page, seq, stale, large}):
 *  "large"  the page is too large to send (an empty frame with the flag);
 *  "start"  it carries a full snapshot: a new replayer from there;
 *  "add"    the next changes of the page shown;
 *  "want"   changes of a page we have no snapshot of, or after a gap in
 *           the sequence (a batch lost or refused): ask for a whole picture
 *           and drop changes until it comes;
 *  "drop"   changes of the page too large to show, or while waiting. */
export function frameStep(replay, message) {
  const events = message.events;
  if (message.too_large === true && !events.length) return "large";
  if (events.some((event) => event.type === FULL_SNAPSHOT)) return "start";
  if (message.page !== replay.page) return "want";
  if (replay.large) return "drop";
  const gap = Number.isInteger(message.seq) && Number.isInteger(replay.seq) && message.seq !== replay.seq + 1;
  if (replay.stale || gap) return "want";
  return "add";
}

/** A stroke as offsets from its first point, at most `max` points (evenly
 *  thinned, the last kept), rounded to CSS px. */
export function strokeOffsets(points, max = MAX_POINTS) {
  if (!points.length) return [];
  const [x0, y0] = points[0];
  let kept = points;
  if (points.length > max) {
    kept = Array.from({ length: max }, (_, i) => points[Math.round((i * (points.length - 1)) / (max - 1))]);
  }
  return kept.map(([x, y]) => [Math.round(x - x0), Math.round(y - y0)]);
}

const clamp01 = (value) => Math.min(1, Math.max(0, value));

/** Where (x, y) is inside a box, as fractions of its width and height. */
export function fractionIn(rect, x, y) {
  const fx = rect.width > 0 ? clamp01((x - rect.left) / rect.width) : 0.5;
  const fy = rect.height > 0 ? clamp01((y - rect.top) / rect.height) : 0.5;
  return { fx: Math.round(fx * 1000) / 1000, fy: Math.round(fy * 1000) / 1000 };
}

/** A click on a capture's picture shown in `rect`, in the capture's
 *  viewport CSS px (its viewport_width x viewport_height grid). */
export function captureSpot(capture, rect, clientX, clientY) {
  const x = ((clientX - rect.left) / rect.width) * capture.viewport_width;
  const y = ((clientY - rect.top) / rect.height) * capture.viewport_height;
  return {
    x: Math.round(Math.min(capture.viewport_width, Math.max(0, x))),
    y: Math.round(Math.min(capture.viewport_height, Math.max(0, y))),
  };
}

/** Which placeholder an element of the replay needs, or null: what rrweb
 *  could not bring over (another document, a canvas, media, what the
 *  site or the snippet blocked). `meta` is rrweb's record of the node. */
export function holderKind(element, meta) {
  const tag = element.localName;
  if (tag === "iframe" || tag === "object" || tag === "embed") return "embed";
  if (tag === "video") return "video";
  if (tag === "canvas" || tag === "audio") return "unavailable";
  const attributes = meta?.attributes || {};
  if (element.classList?.contains("rr-block") || "rr_width" in attributes) return "hidden";
  if (tag === "img" && element.complete && element.naturalWidth === 0) return "image";
  return null;
}

/** Events made to play at once, in order, on our clock: a live replay
 *  waits for each event's time, and the phone's clock is not ours. */
export function retimed(events, now) {
  const last = events.at(-1)?.timestamp ?? now;
  return events.map((event) => ({ ...event, timestamp: now - Math.max(0, last - event.timestamp) }));
}

// -- the page ----------------------------------------------------------------------

export class LiveView {
  /**
   * @param {object} o
   * @param {number} o.meetingId
   * @param {(message: object) => boolean} o.send  on the meeting's socket
   * @param {(on: boolean) => void} o.onStage  show or hide the tile on the stage
   * @param {object[]} o.events  the meeting's stored events so far
   * @param {() => void} [o.showCapture]  put the newest capture on the stage
   */
  constructor({ meetingId, send, onStage, events = [], showCapture = () => {} }) {
    Object.assign(this, { meetingId, send, onStage, showCapture });
    this.$ = (id) => document.getElementById(id);
    this.T = JSON.parse(this.$("live-view-strings").textContent);
    this.main = this.$("live-main");
    this.guests = new Map(); // id -> {id, n, label, source, state, connected}
    this.views = statesFrom(events); // guest id -> {state, how}
    this.current = null; // the guest whose view is on the stage
    this.replay = null; // {guest, page, seq, player, next, facts, ...} while one is shown
    this.library = null; // rrweb's replay module, once asked for
    this.pointing = null; // {guest, stroke, told}: the last pointer sent, until its answer
    this.zoom = null; // null: fit to the stage
    this.mode = "point";
    this.aside = false; // the view is on but the host looks at the captures
    this.saving = null; // the timer of a save asked for, until its capture comes
    this.pinger = null;
    this.lastWant = 0;
    this.bind();
    for (const [id, view] of this.views) if (view.state === "on" || view.state === "paused") this.current ??= id;
    this.render();
  }

  bind() {
    const $ = this.$;
    $("live-zoom-in").addEventListener("click", () => this.setZoom(this.scale() * ZOOM_STEP));
    $("live-zoom-out").addEventListener("click", () => this.setZoom(this.scale() / ZOOM_STEP));
    $("live-zoom-fit").addEventListener("click", () => this.setZoom(null));
    $("live-save").addEventListener("click", () => this.save());
    $("live-see-capture").addEventListener("click", () => this.toCaptures());
    // The way back from the capture stage while a view is on, in the
    // capture's own caption (that tile is the capture window's).
    this.back = document.createElement("button");
    this.back.type = "button";
    this.back.id = "live-back";
    this.back.className = "small primary live-back";
    this.back.textContent = this.T["live_view.back"];
    this.back.hidden = true;
    this.back.addEventListener("click", () => this.showGuest(this.current));
    document.querySelector("#capture-main figcaption")?.prepend(this.back);
    $("live-stop").addEventListener("click", () => this.stop(this.current));
    for (const radio of this.main.querySelectorAll('input[name="live-mode"]')) {
      radio.addEventListener("change", () => {
        if (radio.checked) this.mode = radio.value;
        this.main.dataset.mode = this.mode;
      });
    }
    this.main.dataset.mode = this.mode;
    this.bindPointer();
    new ResizeObserver(() => this.layout()).observe($("live-frame"));
    document.addEventListener("tsunagu:guests", ({ detail }) => {
      this.guests = new Map(detail.guests.filter((g) => g.source === "snippet").map((g) => [g.id, g]));
      this.renderTool();
      if (this.replay) this.renderWho();
    });
  }

  // -- state ---------------------------------------------------------------------

  /** A stored event of the meeting (meeting.js passes every one). */
  apply(event) {
    const id = event.payload?.guest_id;
    if (event.type.startsWith("live_view.") && id != null) {
      const before = this.views.get(id);
      const view = withNumber(stateAfter(before || { state: "off" }, event), before, event);
      this.views.set(id, view);
      if (view.state === "on" || view.state === "paused") {
        if (this.current == null || !this.isOn(this.current)) {
          this.current = id;
          this.aside = false;
        }
      }
    } else if (event.type === "capture.created" && event.payload?.origin === "live_view" && this.saving) {
      clearTimeout(this.saving);
      this.saving = null;
      this.note(this.T["live_view.saved"], { capture: true });
    } else if (event.type === "meeting.ended") {
      // The events that say so may come later (or not to this page).
      for (const [id, view] of this.views) {
        if (view.state === "asked") this.views.set(id, { state: "withdrawn", how: "ended" });
        if (this.isOn(id)) this.views.set(id, { state: "stopped", how: "ended" });
      }
    }
    this.render();
  }

  isOn(id) {
    const state = this.views.get(id)?.state;
    return state === "on" || state === "paused";
  }

  /** The socket is open again (or for the first time): the picture may
   *  have missed changes, so ask for a whole one. */
  reconnected() {
    if (this.current != null && this.isOn(this.current)) this.want(true);
  }

  want(force = false) {
    const now = performance.now();
    if (!force && now - this.lastWant < WANT_EVERY_MS) return;
    this.lastWant = now;
    this.send({ type: "view.want", guest_id: this.current });
  }

  /** A view.* message of the meeting's socket. */
  receive(message) {
    if (message.type === "view.frame") this.frame(message);
    else if (message.type === "view.pong") this.pong(message);
    else if (message.type === "view.result") this.result(message);
    else if (message.type === "view.refused") this.note(format(this.T["live_view.refused"], { reason: message.reason }));
  }

  render() {
    const on = this.current != null && this.isOn(this.current);
    const state = on ? this.views.get(this.current).state : "off";
    this.main.dataset.state = state;
    // While the guest has paused their page takes nothing: no save, no
    // pointer (the veil says why and until when).
    this.$("live-veil").hidden = state !== "paused";
    this.$("live-save").disabled = state !== "on";
    for (const radio of this.main.querySelectorAll('input[name="live-mode"]')) radio.disabled = state !== "on";
    if (!on) this.aside = false;
    this.onStage(on && !this.aside);
    this.back.hidden = !(on && this.aside);
    if (on && !this.replay) this.open();
    if (!on && this.replay) this.close();
    if (on) this.renderWho();
    this.renderTool();
  }

  /** The newest capture on the stage in the live view's place (the view
   *  goes on underneath; 「ライブ表示に戻る」 or the tool brings it back). */
  toCaptures() {
    this.aside = true;
    this.showCapture();
    this.render();
  }

  // -- the tool ------------------------------------------------------------------

  renderTool() {
    const list = this.$("live-guests");
    if (!list) return;
    const items = [...this.guests.values()]
      .filter((guest) => guest.state !== "removed" && guest.state !== "left")
      .map((guest) => this.guestItem(guest));
    list.replaceChildren(...items);
    this.$("live-no-guests").hidden = items.length > 0;
  }

  stateText(guest, view) {
    const waiting = view.state === "asked" || this.isOn(guest.id);
    if (guest.state === "disconnected" && waiting) return this.T["live_view.state.disconnected"];
    return this.T[stateKey(view)];
  }

  guestItem(guest) {
    const view = this.views.get(guest.id) || { state: "off" };
    const li = document.createElement("li");
    li.dataset.guest = guest.id;
    li.dataset.state = view.state;
    const name = document.createElement("strong");
    name.textContent = this.guestLabel(guest);
    const state = document.createElement("span");
    state.className = "live-guest-state";
    state.textContent = this.stateText(guest, view);
    const actions = document.createElement("div");
    actions.className = "live-guest-actions";
    const button = (text, onClick, className = "") => {
      const element = document.createElement("button");
      element.type = "button";
      element.className = `small ${className}`.trim();
      element.textContent = text;
      element.addEventListener("click", onClick);
      actions.append(element);
    };
    if (["off", "declined", "stopped", "withdrawn"].includes(view.state)) {
      const again = view.state === "off" ? this.T["live_view.ask"] : this.T["live_view.ask_again"];
      button(again, () => this.ask(guest.id), "primary");
    }
    if (this.isOn(guest.id) && (this.current !== guest.id || this.aside)) {
      button(this.T["live_view.show"], () => this.showGuest(guest.id));
    }
    // A question not answered yet is taken back, not "stopped".
    if (view.state === "asked") button(this.T["live_view.withdraw"], () => this.stop(guest.id), "danger");
    if (this.isOn(guest.id)) button(this.T["live_view.stop"], () => this.stop(guest.id), "danger");
    li.append(name, " ", state, actions);
    return li;
  }

  error(result) {
    const box = this.$("live-error");
    if (!box) return;
    box.hidden = Boolean(result?.ok);
    if (result?.ok) return;
    const message = result?.data?.error?.message;
    box.textContent = message ? format(this.T["live_view.failed"], { message }) : this.T["live_view.network"];
  }

  async ask(guestId) {
    const result = await api(`/api/v1/meetings/${this.meetingId}/live-view`, {
      method: "POST",
      body: { guest_id: guestId },
    }).catch(() => null);
    this.error(result);
    // The event says so too; the answer is here first.
    if (result?.ok && result.data.state && !this.isOn(guestId)) {
      this.views.set(guestId, { state: result.data.state });
      if (result.data.state !== "asked") this.current = guestId;
      this.render();
    }
  }

  async stop(guestId) {
    if (guestId == null) return;
    const result = await api(`/api/v1/meetings/${this.meetingId}/live-view/stop`, {
      method: "POST",
      body: { guest_id: guestId },
    }).catch(() => null);
    this.error(result);
    if (result?.ok) {
      // The event says so too (live_view.withdrawn or .stopped); the answer is here first.
      // (It may have come first: a view already ended stays as it said.)
      const state = this.views.get(guestId)?.state;
      if (state === "asked") this.views.set(guestId, { state: "withdrawn", how: "host" });
      if (this.isOn(guestId)) this.views.set(guestId, { state: "stopped", how: "host" });
      this.render();
    }
  }

  showGuest(guestId) {
    this.aside = false;
    if (this.current !== guestId) {
      if (this.replay) this.close();
      this.current = guestId;
    }
    this.render();
  }

  /** A guest as the guest list names them (「お客様 1」, with the name they gave). */
  guestLabel(guest) {
    return guest.name
      ? format(this.T["meeting.js.guests.label_named"], guest)
      : format(this.T["meeting.js.guests.label"], guest);
  }

  /** The guest on the stage: from the guest list, or (until it is read,
   *  as after a reload) their number in the live view's events. */
  renderWho() {
    const guest = this.guests.get(this.current) || this.views.get(this.current);
    this.$("live-who").textContent = guest?.n != null ? this.guestLabel(guest) : "";
  }

  /** The line under the view; `capture` adds 「キャプチャを見る」. */
  note(text, { capture = false } = {}) {
    this.$("live-note").textContent = text || "";
    this.$("live-see-capture").hidden = !capture;
  }

  // -- the replay ----------------------------------------------------------------

  /** Show the current guest's view: the frames, the library, the pings.
   *  Nothing is built until a full snapshot comes (asked for here). */
  open() {
    const replay = {
      guest: this.current,
      page: null, // the page load (the snippet's random id) being shown
      seq: null, // the last frame's seq of that page
      stale: false, // a frame was missed: changes are dropped until a full snapshot
      large: false, // the page is too large to be shown
      player: null, // {outer, replayer, candidates, queue}: the one shown
      next: null, // the one being built from a newer full snapshot
      facts: {}, // {href, width, height}
      batchMs: 0,
      batchAt: 0, // performance.now() of the last batch
    };
    this.replay = replay;
    this.zoom = null;
    this.$("live-wait").hidden = false;
    this.$("live-large").hidden = true;
    delete this.main.dataset.large;
    delete this.main.dataset.page;
    delete this.main.dataset.replay;
    this.clearPage();
    this.$("live-latency").textContent = "";
    this.note("");
    this.library ??= import(REPLAY);
    this.library.catch((error) => {
      console.warn("live view", error);
      this.note(String(error.message || error));
    });
    this.want(true);
    this.pinger = setInterval(() => {
      if (this.isOn(replay.guest)) this.send({ type: "view.ping", guest_id: replay.guest, t: performance.now() });
    }, PING_MS);
  }

  close() {
    const replay = this.replay;
    this.replay = null;
    this.pointing = null;
    clearTimeout(this.saving);
    this.saving = null;
    clearInterval(this.pinger);
    this.pinger = null;
    if (!replay) return;
    this.drop(replay.next);
    this.drop(replay.player);
    this.$("live-holders").replaceChildren();
    this.$("live-ink").replaceChildren();
  }

  /** A replayer and its outer frame, gone with every event it held. */
  drop(player) {
    if (!player) return;
    player.closed = true;
    try {
      player.replayer?.destroy();
    } catch (error) {
      console.warn("live view", error);
    }
    player.outer?.remove();
  }

  /** A new replayer for a full snapshot (with the Meta before it) and the
   *  changes after it. It is built hidden under the one shown, which it
   *  replaces once its page is built (no blank frame in between). */
  start(replay, events) {
    this.drop(replay.next); // a newer snapshot makes one still being built moot
    const player = { outer: null, replayer: null, candidates: new Set(), queue: [events], closed: false };
    replay.next = player;
    this.mount(replay, player).catch((error) => {
      console.warn("live view", error);
      this.note(String(error.message || error));
    });
  }

  /** Changes after a full snapshot go to the replayer built from it. */
  feed(replay, events) {
    const player = replay.next || replay.player;
    if (!player) return;
    if (player.replayer) this.addTo(player, events);
    else player.queue.push(events);
  }

  addTo(player, events) {
    for (const event of retimed(events, Date.now())) player.replayer.addEvent(event);
  }

  /** The outer frame, loaded, and rrweb's replayer in it. */
  async mount(replay, player) {
    const surface = this.$("live-surface");
    const outer = document.createElement("iframe");
    outer.className = "live-outer live-next";
    outer.title = this.T["live_view.frame_title"];
    outer.setAttribute("sandbox", SANDBOX);
    outer.setAttribute("tabindex", "-1");
    const { width, height } = this.viewport();
    outer.width = String(width);
    outer.height = String(height);
    player.outer = outer;
    const loaded = new Promise((resolve) => outer.addEventListener("load", resolve, { once: true }));
    outer.src = FRAME;
    surface.prepend(outer);
    const [{ Replayer }] = await Promise.all([this.library, loaded]);
    if (player.closed) return;
    const doc = outer.contentDocument;
    if (!doc?.URL.endsWith(FRAME)) throw new Error("the replay page did not load");
    const css = doc.createElement("link");
    css.rel = "stylesheet";
    css.href = REPLAY_CSS;
    // The outer page's own look: no margin, and rrweb's mouse (the guest's
    // finger) not drawn; the host's pointer is ours.
    const own = doc.createElement("style");
    own.textContent =
      "html,body{margin:0;padding:0;overflow:hidden;background:#fff}" +
      ".replayer-mouse,.replayer-mouse-tail{display:none}.replayer-wrapper iframe{border:0;display:block}";
    doc.head.append(css, own);
    const replayer = new Replayer([], {
      root: doc.body,
      liveMode: true,
      mouseTail: false,
      triggerFocus: false,
      pauseAnimation: false,
      showWarning: false,
      UNSAFE_replayCanvas: false,
      plugins: [{ onBuild: (node) => this.built(player, node) }],
    });
    replayer.disableInteract();
    const sandbox = replayer.iframe.getAttribute("sandbox");
    if (sandbox !== SANDBOX) {
      replayer.destroy();
      throw new Error(`the replay frame's sandbox is "${sandbox}"`);
    }
    replayer.iframe.title = this.T["live_view.frame_title"];
    replayer.on("resize", ({ width, height }) => {
      if (player !== replay.player && player !== replay.next) return;
      replay.facts = { ...replay.facts, width, height };
      this.layout();
      this.renderPage();
    });
    replayer.on("fullsnapshot-rebuilded", () => this.shown(replay, player));
    // The placeholders follow the replay's scrolling (rrweb scrolls
    // smoothly, after the change that said so). The same function is added
    // once; again after a full snapshot, whose document.open() drops it.
    const scrolled = () => this.soon();
    replayer.on("event-cast", () => {
      replayer.iframe.contentDocument?.addEventListener("scroll", scrolled, { capture: true, passive: true });
      this.soon();
    });
    replayer.startLive(Date.now());
    player.replayer = replayer;
    for (const events of player.queue.splice(0)) this.addTo(player, events);
  }

  /** A replayer built its page: it takes the place of the one shown. */
  shown(replay, player) {
    if (player !== replay.next || this.replay !== replay) return;
    const old = replay.player;
    replay.player = player;
    replay.next = null;
    player.outer.classList.remove("live-next");
    this.drop(old);
    this.main.dataset.replay = "ready";
    this.$("live-wait").hidden = true;
    this.soon();
  }

  frame(message) {
    const replay = this.replay;
    if (!replay || message.guest_id !== replay.guest || !Array.isArray(message.events)) return;
    this.play(message);
  }

  /** One batch into the replay (see frameStep). */
  play(message) {
    const replay = this.replay;
    let events = message.events;
    const step = frameStep(replay, message);
    if (step === "want") {
      // The first want after a gap at once; then at most every few seconds.
      const gap = message.page === replay.page && !replay.stale;
      if (message.page === replay.page) replay.stale = true;
      this.want(gap);
      return;
    }
    replay.seq = Number.isInteger(message.seq) ? message.seq : null;
    if (step === "drop") return;
    if (step === "large") {
      // Nothing of this page will come: say so instead of an old picture.
      Object.assign(replay, { page: message.page, large: true, stale: false, facts: {} });
      this.drop(replay.next);
      replay.next = null;
      this.main.dataset.large = "";
      this.$("live-large").hidden = false;
      this.$("live-wait").hidden = true;
      this.clearPage();
      this.$("live-holders").replaceChildren();
      return;
    }
    if (step === "start") {
      const full = events.findIndex((event) => event.type === FULL_SNAPSHOT);
      const meta = events.slice(0, full).findLastIndex((event) => event.type === META);
      events = events.slice(meta >= 0 ? meta : full);
      Object.assign(replay, { page: message.page, large: false, stale: false });
      delete this.main.dataset.large;
      this.$("live-large").hidden = true;
      this.main.dataset.page = message.page;
      this.start(replay, events);
    } else {
      this.feed(replay, events);
    }
    replay.facts = pageFacts(replay.facts, events);
    replay.batchMs = message.batch_ms || 0;
    replay.batchAt = performance.now();
    this.renderPage();
    this.layout();
  }

  pong(message) {
    const replay = this.replay;
    if (!replay || message.guest_id !== replay.guest || typeof message.t !== "number") return;
    const now = performance.now();
    const ms = latencyMs(replay.batchMs, now - message.t, replay.batchAt ? now - replay.batchAt : Number.POSITIVE_INFINITY);
    this.$("live-latency").textContent = format(this.T["live_view.latency"], { ms });
    this.main.dataset.latency = String(ms);
  }

  /** The replayed document (rrweb's own frame's), once built. */
  replayDocument() {
    return this.replay?.player?.replayer?.iframe?.contentDocument || null;
  }

  /** Title on the first line; URL · viewport (· the delay) on the second. */
  renderPage() {
    const { href, width, height } = this.replay?.facts || {};
    if (!href) return;
    this.$("live-title").textContent = this.replayDocument()?.title?.trim() || this.T["live_view.no_title"];
    const [head, tail] = urlParts(href);
    this.$("live-url-head").textContent = head;
    this.$("live-url-tail").textContent = tail;
    this.$("live-url").title = href;
    this.$("live-size").textContent = format(this.T["live_view.viewport"], { width: width ?? "?", height: height ?? "?" });
  }

  clearPage() {
    for (const id of ["live-title", "live-url-head", "live-url-tail", "live-size"]) this.$(id).textContent = "";
    this.$("live-url").title = "";
  }

  // -- zoom --------------------------------------------------------------------------

  viewport() {
    const { width = 390, height = 844 } = this.replay?.facts || {};
    return { width, height };
  }

  fitScale() {
    const frame = this.$("live-frame");
    const { width, height } = this.viewport();
    return Math.min(frame.clientWidth / width, frame.clientHeight / height) || 1;
  }

  scale() {
    return this.zoom ?? this.fitScale();
  }

  setZoom(zoom) {
    this.zoom = zoom === null ? null : Math.min(ZOOM_MAX, Math.max(ZOOM_MIN, zoom));
    this.layout();
  }

  /** The surface (the guest's CSS px) scaled into the frame; the sizer
   *  gives the frame its scroll range when zoomed past the fit. */
  layout() {
    const { width, height } = this.viewport();
    const scale = this.scale();
    const surface = this.$("live-surface");
    surface.style.width = `${width}px`;
    surface.style.height = `${height}px`;
    surface.style.transform = `scale(${scale})`;
    const sizer = this.$("live-sizer");
    sizer.style.width = `${Math.round(width * scale)}px`;
    sizer.style.height = `${Math.round(height * scale)}px`;
    this.main.dataset.zoom = this.zoom === null ? "fit" : String(Math.round(scale * 100));
    // Fitted or chosen, the level as it is (a frame not laid out, as while
    // the capture is shown in its place, has none to tell).
    if (this.$("live-frame").clientWidth) this.$("live-zoom-level").textContent = `${Math.round(scale * 100)}%`;
    for (const player of [this.replay?.player, this.replay?.next]) {
      if (!player?.outer) continue;
      player.outer.width = String(width);
      player.outer.height = String(height);
    }
    this.soon();
  }

  // -- placeholders ------------------------------------------------------------------

  /** Placeholders again at the next frame (after rrweb applied a change). */
  soon() {
    if (this.holding) return;
    this.holding = requestAnimationFrame(() => {
      this.holding = null;
      this.placeHolders();
      this.renderPage();
    });
  }

  placeHolders() {
    const doc = this.replayDocument();
    const layer = this.$("live-holders");
    if (!doc?.body || !this.replay || this.replay.large) {
      layer.replaceChildren();
      return;
    }
    const { replayer, candidates } = this.replay.player;
    const mirror = replayer.getMirror();
    const view = doc.defaultView;
    const boxes = [];
    for (const element of candidates) {
      if (!element.isConnected) {
        candidates.delete(element);
        continue;
      }
      const kind = holderKind(element, mirror.getMeta(element));
      if (!kind) continue;
      const rect = element.getBoundingClientRect();
      if (rect.width < 2 || rect.height < 2) continue;
      if (rect.bottom < 0 || rect.right < 0 || rect.top > view.innerHeight || rect.left > view.innerWidth) continue;
      const box = document.createElement("div");
      box.className = `live-holder live-holder-${kind}`;
      box.dataset.kind = kind;
      box.style.left = `${rect.left}px`;
      box.style.top = `${rect.top}px`;
      box.style.width = `${rect.width}px`;
      box.style.height = `${rect.height}px`;
      const label = document.createElement("span");
      label.textContent = this.T[HOLDER_KEYS[kind]];
      box.append(label);
      boxes.push(box);
    }
    layer.replaceChildren(...boxes);
  }

  /** rrweb built a node of the replay: keep those that may need a
   *  placeholder, so a change looks at them rather than at every node. */
  built(player, node) {
    if (node.nodeType !== Node.ELEMENT_NODE) return;
    const meta = player.replayer?.getMirror().getMeta(node);
    const candidate =
      /^(iframe|object|embed|video|audio|canvas|img)$/.test(node.localName) ||
      node.classList.contains("rr-block") ||
      "rr_width" in (meta?.attributes || {});
    if (!candidate) return;
    player.candidates.add(node);
    // An image that fails later gets its placeholder then.
    if (node.localName === "img") node.addEventListener("error", () => this.soon());
  }

  // -- the pointer -------------------------------------------------------------------

  /** A point of the catch layer in the guest's CSS px. */
  guestPoint(event) {
    const rect = this.$("live-surface").getBoundingClientRect();
    const scale = this.scale();
    return [(event.clientX - rect.left) / scale, (event.clientY - rect.top) / scale];
  }

  /** The replayed element under a point, its rrweb id, and the point inside it. */
  targetAt(x, y) {
    const doc = this.replayDocument();
    if (!doc) return null;
    const mirror = this.replay.player.replayer.getMirror();
    let element = doc.elementFromPoint(x, y);
    while (element && mirror.getId(element) < 0) element = element.parentElement;
    if (!element) return null;
    // The page load it was on: the guest's page answers "other_page" when
    // it has moved on since (node ids are that load's).
    return { node: mirror.getId(element), ...fractionIn(element.getBoundingClientRect(), x, y), page: this.replay.page };
  }

  bindPointer() {
    const layer = this.$("live-catch");
    let press = null; // {points, id}
    layer.addEventListener("pointerdown", (event) => {
      if (!event.isPrimary || event.button !== 0 || !this.replayDocument() || this.replay.large) return;
      if (!this.isOn(this.replay.guest) || this.views.get(this.replay.guest).state !== "on") return;
      layer.setPointerCapture(event.pointerId);
      press = { points: [this.guestPoint(event)], start: [event.clientX, event.clientY], moved: false };
      event.preventDefault();
    });
    layer.addEventListener("pointermove", (event) => {
      if (!press || this.mode !== "draw") return;
      press.moved ||= Math.hypot(event.clientX - press.start[0], event.clientY - press.start[1]) >= DRAG_PX;
      press.points.push(this.guestPoint(event));
      this.drawLive(press.points);
    });
    const end = () => {
      if (!press) return;
      const done = press;
      press = null;
      this.point(done.points, this.mode === "draw" && done.moved);
    };
    layer.addEventListener("pointerup", end);
    layer.addEventListener("pointercancel", () => {
      press = null;
      this.$("live-ink").querySelector(".live-drawing")?.remove();
    });
  }

  /** Send the pointer (or the stroke) and show the host where it went. */
  point(points, stroke) {
    this.$("live-ink").querySelector(".live-drawing")?.remove();
    const [x, y] = points[0];
    const target = this.targetAt(x, y);
    if (!target || !this.replay) {
      this.note(this.T["live_view.missed"]);
      return;
    }
    const offsets = stroke ? strokeOffsets(points) : null;
    if (!this.send({ type: "view.pointer", guest_id: this.replay.guest, target, points: offsets })) {
      this.note(this.T["live_view.network"]);
      return;
    }
    this.main.dataset.pointed = JSON.stringify({ target, points: offsets });
    if (stroke) this.fadeStroke(points);
    mark(this.$("live-surface"), x, y, "live-mark");
    // What happened on the guest's screen is said when their page answers.
    this.pointing = { guest: this.replay.guest, stroke, told: (text) => this.note(text) };
    this.note(this.T["live_view.pointing"]);
  }

  /** The guest's page says where the last pointer went (view.result). */
  result(message) {
    const pointing = this.pointing;
    if (!pointing || message.guest_id !== pointing.guest) return;
    this.pointing = null;
    let text;
    if (message.ok) text = pointing.stroke ? this.T["live_view.drawn"] : this.T["live_view.pointed"];
    else if (message.reason === "other_page") text = this.T[RESULT_KEYS.other_page];
    else if (message.reason === "not_found") text = this.T[RESULT_KEYS.not_found];
    else text = this.T["live_view.result.failed"];
    pointing.told(text);
  }

  drawLive(points) {
    const ink = this.$("live-ink");
    const line = ink.querySelector(".live-drawing") || ink.appendChild(inkLine("live-drawing"));
    setPoints(line, points);
  }

  fadeStroke(points) {
    const line = inkLine("live-stroke");
    setPoints(line, points);
    this.$("live-ink").append(line);
    setTimeout(() => line.remove(), STROKE_MS);
  }

  save() {
    if (!this.replay || this.views.get(this.replay.guest)?.state !== "on") return;
    if (this.send({ type: "view.save", guest_id: this.replay.guest })) {
      clearTimeout(this.saving);
      this.saving = setTimeout(() => {
        this.saving = null;
        this.note(this.T["live_view.save_failed"]);
      }, SAVE_WAIT_MS);
      this.note(this.T["live_view.saving"]);
    } else {
      this.note(this.T["live_view.network"]);
    }
  }

  // -- the pointer on a capture (captures.js asks) ------------------------------------

  /** The guest a capture's pointer goes to: the capture's own, or the one
   *  snippet guest of the meeting. */
  captureGuest(capture) {
    if (capture.guest_id != null) return capture.guest_id;
    const there = [...this.guests.values()].filter((guest) => guest.state === "connected");
    return there.length === 1 ? there[0].id : null;
  }

  /** Point at (x, y) of a capture's viewport on the guest's screen;
   *  `told(text)` gets what the guest's page answered. */
  pointOnCapture(capture, spot, told) {
    const guestId = this.captureGuest(capture);
    if (guestId == null) return false;
    const sent = this.send({
      type: "view.pointer",
      guest_id: guestId,
      target: { capture_id: capture.capture_id, x: spot.x, y: spot.y },
      points: null,
    });
    if (sent) this.pointing = { guest: guestId, stroke: false, told };
    return sent;
  }
}

/** A stroke of the host's: the phone's colour on a white casing (so it
 *  shows on any page, a red button too), as embed/pointer.js draws it. */
function inkLine(className) {
  const group = document.createElementNS(SVG, "g");
  group.setAttribute("class", className);
  for (const part of ["live-casing", "live-line"]) {
    const line = document.createElementNS(SVG, "polyline");
    line.setAttribute("class", part);
    group.append(line);
  }
  return group;
}

function setPoints(group, points) {
  const text = points.map(([x, y]) => `${x},${y}`).join(" ");
  for (const line of group.children) line.setAttribute("points", text);
}

/** A small marker where the host's pointer went, fading. */
export function mark(layer, x, y, className) {
  const marker = document.createElement("span");
  marker.className = className;
  marker.style.left = `${x}px`;
  marker.style.top = `${y}px`;
  marker.setAttribute("aria-hidden", "true");
  layer.append(marker);
  setTimeout(() => marker.remove(), MARK_MS);
  return marker;
}
