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
// rrweb is fetched when a view is first shown, never before.

import { api, format } from "/static/live.js";

const REPLAY = "/embed/vendor/rrweb-replay.mjs";
const REPLAY_CSS = "/embed/vendor/rrweb-replay.css";
const FRAME = "/live-view/frame";
const SANDBOX = "allow-same-origin";
const PING_MS = 2000;
// A want of a full snapshot at most this often (frames of a page whose
// snapshot we missed keep coming until it is there).
const WANT_EVERY_MS = 3000;
const MAX_POINTS = 200;
const MARK_MS = 1600;
const STROKE_MS = 2500;
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
};
const HOLDER_KEYS = {
  embed: "live_view.holder.embed",
  unavailable: "live_view.holder.unavailable",
  video: "live_view.holder.video",
  hidden: "live_view.holder.hidden",
  image: "live_view.holder.image",
};

// -- pieces without the page, for the tests -------------------------------------

/** A guest's live view after one stored event: {state, by}; state is one of
 *  off, asked, on, paused, declined, stopped. */
export function stateAfter(before, event) {
  const type = event.type;
  if (type === "live_view.asked") return { state: "asked" };
  if (type === "live_view.started" || type === "live_view.resumed") return { state: "on" };
  if (type === "live_view.paused") return { state: "paused" };
  if (type === "live_view.declined") return { state: "declined" };
  if (type === "live_view.stopped") return { state: "stopped", by: event.payload?.by };
  return before;
}

/** Each guest's live view after a meeting's events (oldest first). */
export function statesFrom(events) {
  const states = new Map();
  for (const event of events) {
    const id = event.payload?.guest_id;
    if (!event.type?.startsWith("live_view.") || id == null) continue;
    states.set(id, stateAfter(states.get(id) || { state: "off" }, event));
  }
  return states;
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

/** The delay the host sees: the batch's wait on the phone plus half the round trip. */
export function latencyMs(batchMs, roundTripMs) {
  return Math.max(0, Math.round((batchMs || 0) + roundTripMs / 2));
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
   */
  constructor({ meetingId, send, onStage, events = [] }) {
    Object.assign(this, { meetingId, send, onStage });
    this.$ = (id) => document.getElementById(id);
    this.T = JSON.parse(this.$("live-view-strings").textContent);
    this.main = this.$("live-main");
    this.guests = new Map(); // id -> {id, n, label, source, state, connected}
    this.views = statesFrom(events); // guest id -> {state, by}
    this.current = null; // the guest whose view is on the stage
    this.replay = null; // {replayer, outer, page, facts, ...} while one is shown
    this.zoom = null; // null: fit to the stage
    this.mode = "point";
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
    });
  }

  // -- state ---------------------------------------------------------------------

  /** A stored event of the meeting (meeting.js passes every one). */
  apply(event) {
    const id = event.payload?.guest_id;
    if (event.type.startsWith("live_view.") && id != null) {
      const view = stateAfter(this.views.get(id) || { state: "off" }, event);
      this.views.set(id, view);
      if (view.state === "on" || view.state === "paused") {
        if (this.current == null || !this.isOn(this.current)) this.current = id;
      }
    } else if (event.type === "capture.created" && this.saving) {
      this.saving = false;
      this.note(this.T["live_view.saved"]);
    } else if (event.type === "meeting.ended") {
      for (const view of this.views.values()) if (view.state !== "declined") view.state = "stopped";
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
    else if (message.type === "view.refused") this.note(format(this.T["live_view.refused"], { reason: message.reason }));
  }

  render() {
    const on = this.current != null && this.isOn(this.current);
    const state = on ? this.views.get(this.current).state : "off";
    this.main.dataset.state = state;
    this.$("live-veil").hidden = state !== "paused";
    this.onStage(on);
    if (on && !this.replay) this.open();
    if (!on && this.replay) this.close();
    if (on) this.renderWho();
    this.renderTool();
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
    if (view.state === "stopped") {
      const by = view.by === "guest" ? "stopped_guest" : view.by === "left" ? "stopped_left" : "stopped";
      return this.T[STATE_KEYS[by]];
    }
    if (guest.state === "disconnected" && view.state !== "off") return this.T["live_view.state.disconnected"];
    return this.T[STATE_KEYS[view.state]] || view.state;
  }

  guestItem(guest) {
    const view = this.views.get(guest.id) || { state: "off" };
    const li = document.createElement("li");
    li.dataset.guest = guest.id;
    li.dataset.state = view.state;
    const name = document.createElement("strong");
    name.textContent = guest.name ? `${format(this.T["live_view.guest"], guest)} ${guest.name}` : format(this.T["live_view.guest"], guest);
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
    if (view.state === "off" || view.state === "declined" || view.state === "stopped") {
      const again = view.state === "off" ? this.T["live_view.ask"] : this.T["live_view.ask_again"];
      button(again, () => this.ask(guest.id), "primary");
    }
    if (this.isOn(guest.id) && this.current !== guest.id) button(this.T["live_view.show"], () => this.showGuest(guest.id));
    if (view.state === "asked" || this.isOn(guest.id)) button(this.T["live_view.stop"], () => this.stop(guest.id), "danger");
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
      this.views.set(guestId, { state: "stopped", by: "host" });
      this.render();
    }
  }

  showGuest(guestId) {
    if (this.current === guestId) return;
    if (this.replay) this.close();
    this.current = guestId;
    this.render();
  }

  renderWho() {
    const guest = this.guests.get(this.current);
    this.$("live-who").textContent = guest ? format(this.T["live_view.guest"], guest) : "";
  }

  note(text) {
    this.$("live-note").textContent = text || "";
  }

  // -- the replay ----------------------------------------------------------------

  /** Show the current guest's view: the frames, the library, the pings. */
  open() {
    const replay = {
      guest: this.current,
      page: null, // the page load (the snippet's random id) being shown
      facts: {}, // {href, width, height}
      queue: [], // frames that came before the library
      batchMs: 0,
      candidates: new Set(), // replayed elements that may need a placeholder
    };
    this.replay = replay;
    this.zoom = null;
    this.$("live-wait").hidden = false;
    this.$("live-page").textContent = "";
    this.$("live-latency").textContent = "";
    this.note("");
    this.mount(replay).catch((error) => {
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
    clearInterval(this.pinger);
    this.pinger = null;
    if (!replay) return;
    replay.closed = true;
    try {
      replay.replayer?.destroy();
    } catch (error) {
      console.warn("live view", error);
    }
    replay.outer?.remove();
    this.$("live-holders").replaceChildren();
    this.$("live-ink").replaceChildren();
  }

  /** The outer frame, loaded, and rrweb's replayer in it. */
  async mount(replay) {
    const surface = this.$("live-surface");
    const outer = document.createElement("iframe");
    outer.className = "live-outer";
    outer.title = this.T["live_view.frame_title"];
    outer.setAttribute("sandbox", SANDBOX);
    outer.setAttribute("tabindex", "-1");
    replay.outer = outer;
    const loaded = new Promise((resolve) => outer.addEventListener("load", resolve, { once: true }));
    outer.src = FRAME;
    surface.prepend(outer);
    const [{ Replayer }] = await Promise.all([import(REPLAY), loaded]);
    if (replay.closed) return;
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
      plugins: [{ onBuild: (node) => this.built(replay, node) }],
    });
    replayer.disableInteract();
    const sandbox = replayer.iframe.getAttribute("sandbox");
    if (sandbox !== SANDBOX) {
      replayer.destroy();
      throw new Error(`the replay frame's sandbox is "${sandbox}"`);
    }
    replayer.iframe.title = this.T["live_view.frame_title"];
    replayer.on("resize", ({ width, height }) => {
      replay.facts = { ...replay.facts, width, height };
      this.layout();
      this.renderPage();
    });
    // The placeholders follow the replay's scrolling (rrweb scrolls
    // smoothly, after the change that said so). The same function is added
    // once; again after a full snapshot, whose document.open() drops it.
    const scrolled = () => this.soon();
    replayer.on("event-cast", () => {
      replayer.iframe.contentDocument?.addEventListener("scroll", scrolled, { capture: true, passive: true });
      this.soon();
    });
    replayer.startLive(Date.now());
    replay.replayer = replayer;
    this.main.dataset.replay = "ready";
    for (const message of replay.queue.splice(0)) this.play(message);
  }

  frame(message) {
    const replay = this.replay;
    if (!replay || message.guest_id !== replay.guest || !Array.isArray(message.events)) return;
    if (!replay.replayer) {
      replay.queue.push(message);
      return;
    }
    this.play(message);
  }

  /** One batch into the replay: a new page starts at its full snapshot
   *  (with the Meta before it); a page's changes without one are dropped
   *  and a whole picture asked for. */
  play(message) {
    const replay = this.replay;
    let events = message.events;
    if (message.page !== replay.page) {
      const full = events.findIndex((event) => event.type === FULL_SNAPSHOT);
      if (full < 0) {
        this.want();
        return;
      }
      const meta = events.slice(0, full).findLastIndex((event) => event.type === META);
      events = events.slice(meta >= 0 ? meta : full);
      replay.page = message.page;
    }
    replay.facts = pageFacts(replay.facts, events);
    replay.batchMs = message.batch_ms || 0;
    for (const event of retimed(events, Date.now())) replay.replayer.addEvent(event);
    if (events.some((event) => event.type === FULL_SNAPSHOT)) {
      this.$("live-wait").hidden = true;
      this.main.dataset.page = message.page;
    }
    this.renderPage();
    this.layout();
  }

  pong(message) {
    if (!this.replay || message.guest_id !== this.replay.guest || typeof message.t !== "number") return;
    const ms = latencyMs(this.replay.batchMs, performance.now() - message.t);
    this.$("live-latency").textContent = format(this.T["live_view.latency"], { ms });
    this.main.dataset.latency = String(ms);
  }

  /** The replayed document (rrweb's own frame's), once built. */
  replayDocument() {
    return this.replay?.replayer?.iframe?.contentDocument || null;
  }

  renderPage() {
    const { href, width, height } = this.replay?.facts || {};
    if (!href) return;
    const title = this.replayDocument()?.title?.trim() || this.T["live_view.no_title"];
    this.$("live-page").textContent = format(this.T["live_view.page"], {
      title,
      url: href,
      width: width ?? "?",
      height: height ?? "?",
    });
    this.$("live-page").title = href;
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
    const outer = this.replay?.outer;
    if (outer) {
      outer.width = String(width);
      outer.height = String(height);
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
    if (!doc?.body || !this.replay) {
      layer.replaceChildren();
      return;
    }
    const mirror = this.replay.replayer.getMirror();
    const view = doc.defaultView;
    const boxes = [];
    for (const element of this.replay.candidates) {
      if (!element.isConnected) {
        this.replay.candidates.delete(element);
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
  built(replay, node) {
    if (node.nodeType !== Node.ELEMENT_NODE) return;
    const meta = replay.replayer?.getMirror().getMeta(node);
    const candidate =
      /^(iframe|object|embed|video|audio|canvas|img)$/.test(node.localName) ||
      node.classList.contains("rr-block") ||
      "rr_width" in (meta?.attributes || {});
    if (!candidate) return;
    replay.candidates.add(node);
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
    const mirror = this.replay.replayer.getMirror();
    let element = doc.elementFromPoint(x, y);
    while (element && mirror.getId(element) < 0) element = element.parentElement;
    if (!element) return null;
    return { node: mirror.getId(element), ...fractionIn(element.getBoundingClientRect(), x, y) };
  }

  bindPointer() {
    const layer = this.$("live-catch");
    let press = null; // {points, id}
    layer.addEventListener("pointerdown", (event) => {
      if (!event.isPrimary || event.button !== 0 || !this.replayDocument()) return;
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
    this.send({ type: "view.pointer", guest_id: this.replay.guest, target, points: offsets });
    this.main.dataset.pointed = JSON.stringify({ target, points: offsets });
    if (stroke) this.fadeStroke(points);
    mark(this.$("live-surface"), x, y, "live-mark");
    this.note(stroke ? this.T["live_view.drawn"] : this.T["live_view.pointed"]);
  }

  drawLive(points) {
    const ink = this.$("live-ink");
    let line = ink.querySelector(".live-drawing");
    if (!line) {
      line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
      line.setAttribute("class", "live-drawing");
      ink.append(line);
    }
    line.setAttribute("points", points.map(([x, y]) => `${x},${y}`).join(" "));
  }

  fadeStroke(points) {
    const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
    line.setAttribute("class", "live-stroke");
    line.setAttribute("points", points.map(([x, y]) => `${x},${y}`).join(" "));
    this.$("live-ink").append(line);
    setTimeout(() => line.remove(), STROKE_MS);
  }

  save() {
    if (!this.replay || !this.isOn(this.replay.guest)) return;
    if (this.send({ type: "view.save", guest_id: this.replay.guest })) {
      this.saving = true;
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

  /** Point at (x, y) of a capture's viewport on the guest's screen. */
  pointOnCapture(capture, spot) {
    const guestId = this.captureGuest(capture);
    if (guestId == null) return false;
    return this.send({
      type: "view.pointer",
      guest_id: guestId,
      target: { capture_id: capture.capture_id, x: spot.x, y: spot.y },
      points: null,
    });
  }
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
