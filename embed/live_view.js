/*! Tsunagu live view: the guest's page, recorded as DOM changes (rrweb) and sent
 *  to the host over the guest's live socket while the guest shares it.
 *  Imported by widget.js only after the guest agreed (never by the loader), on
 *  every page of the site while sharing is on.
 *
 *  Privacy is applied by the recorder's hooks, on the device, before a node is
 *  serialised, with the same rules as captures (embed/privacy.js): typed values
 *  are a fixed "●●●●" unless the site unmasks the field (secrets never), the
 *  inside of [data-tsunagu-mask], frames and media is never read, and our own
 *  bar is left out. URLs to other origins lose their query and fragment, which
 *  often carry tokens. */
import { isMasked, valueHolder } from "./privacy.js";
import { record } from "./vendor/rrweb-record.mjs";

const MASK = "●●●●";
// rrweb's event and node types (its numbering is its wire format).
const FULL_SNAPSHOT = 2;
const INCREMENTAL = 3;
const MUTATION = 0;
const ELEMENT = 2;
/** Attributes holding a URL (srcset: a list of them). */
const URL_ATTRIBUTES = new Set(["src", "href", "srcset", "poster", "action", "data", "xlink:href"]);
const FLUSH_MS = 100;
// The server refuses a message over 4 MiB; a batch over this is split.
const MAX_MESSAGE = 3.5 * 1024 * 1024;

export class LiveView {
  /**
   * @param {object} options
   * @param {(text: string) => boolean} options.send  one message on the live socket; false when it is down
   * @param {Element} options.host  the snippet's shadow host (never recorded)
   * @param {string[]} options.unmask  the site's unmask selectors
   * @param {WeakSet} options.everPassword  inputs that have been password fields
   */
  constructor({ send, host, unmask = [], everPassword }) {
    Object.assign(this, { send, host, unmask, everPassword });
    this.page = Math.random().toString(36).slice(2, 12); // this page load
    this.seq = 0;
    this.queue = [];
    this.first = 0;
    this.timer = null;
    this.stopRecording = null;
    this.on = false;
    this.cost = { batches: 0, ms: 0, worst: 0 }; // main-thread time spent here (tests, benchmark)
  }

  get running() {
    return this.on;
  }

  /** Start recording: a full snapshot at once, then changes. */
  start() {
    if (this.on) return;
    // record() emits its first snapshot before it returns: taken while `on`.
    this.on = true;
    const masked = (element) => isMasked(element, this.unmask, this.everPassword);
    this.stopRecording =
      record({
        emit: (event) => this.take(event),
        maskAllInputs: true,
        // Called for every field (maskAllInputs): the site's unmasked ones keep
        // their text, the rest a fixed mark that does not tell the value's length.
        maskInputFn: (text, element) => (element && !masked(element) ? text : MASK),
        // Typed text of editable elements, and a select's options (which of
        // them is chosen shows in the replay otherwise; a capture masks the
        // whole select too).
        maskTextSelector: "[contenteditable], select",
        maskTextFn: (text, parent) => {
          const holder = parent?.closest("select") || editableRoot(parent);
          return holder && !masked(holder) ? text : MASK;
        },
        blockSelector: "[data-tsunagu-mask],[data-tsunagu],iframe,object,embed,video,audio",
        recordCanvas: false,
        recordCrossOriginIframes: false,
        collectFonts: false,
        inlineImages: false,
        // A phone: scroll at most ten times a second, no finger trail. Fields are
        // followed as typed (a masked one repeats the same mark, which rrweb
        // sends once).
        sampling: { scroll: 100, mousemove: false, mouseInteraction: false, media: 800 },
        slimDOMOptions: "all",
      }) || null;
  }

  /** Stop recording: nothing more is recorded or sent (a pause, or the end). */
  stop() {
    const stop = this.stopRecording;
    this.on = false;
    this.stopRecording = null;
    clearTimeout(this.timer);
    this.timer = null;
    this.queue = [];
    if (stop) stop();
  }

  /** A full snapshot now (the host opened the view, or the socket came back). */
  snapshot() {
    if (!this.on) return;
    try {
      record.takeFullSnapshot(true);
    } catch {
      // not recording after all: nothing to send
    }
  }

  /** The page's element for a node id of the host's replay, or null. */
  node(id) {
    const node = this.on ? record.mirror.getNode(id) : null;
    return node?.nodeType === 1 && node.isConnected ? node : null;
  }

  take(event) {
    if (!this.on) return;
    const started = performance.now();
    const hostId = record.mirror.getId(this.host);
    if (event.type === FULL_SNAPSHOT) {
      this.queue = this.queue.filter((queued) => queued.type === 4); // older changes are moot
      cleanTree(event.data.node, hostId);
    } else if (event.type === INCREMENTAL && event.data.source === MUTATION) {
      if (!cleanMutation(event.data, hostId)) return this.spent(started);
    }
    if (!this.queue.length) this.first = Date.now();
    this.queue.push(event);
    if (event.type === FULL_SNAPSHOT) this.flush();
    else this.timer ||= setTimeout(() => this.flush(), FLUSH_MS);
    this.spent(started);
  }

  flush() {
    const started = performance.now();
    clearTimeout(this.timer);
    this.timer = null;
    if (!this.queue.length) return;
    const events = this.queue;
    this.queue = [];
    this.sendBatch(events);
    this.spent(started, true);
  }

  sendBatch(events) {
    const message = { type: "view.frame", seq: this.seq, page: this.page, events, batch_ms: Math.max(0, Date.now() - this.first) };
    const text = JSON.stringify(message); // once per batch
    if (text.length > MAX_MESSAGE && events.length > 1) {
      const half = Math.ceil(events.length / 2);
      this.sendBatch(events.slice(0, half));
      this.sendBatch(events.slice(half));
      return;
    }
    this.seq++;
    // A batch the socket could not take is gone: the socket's return is
    // answered with a full snapshot (widget.js), so nothing needs replaying.
    this.send(text);
  }

  spent(started, batch = false) {
    const ms = performance.now() - started;
    this.cost.ms += ms;
    if (batch) {
      this.cost.batches++;
      this.cost.worst = Math.max(this.cost.worst, ms);
    }
  }
}

/** The outermost contenteditable element holding `element`. */
function editableRoot(element) {
  for (let node = element; node; node = node.parentElement) {
    if (valueHolder(node) === "editable") return node;
  }
  return null;
}

/** Remove query and fragment from a URL on another origin (tokens live there). */
export function stripUrl(value) {
  const url = value.trim();
  if (!url || /^(data|blob|javascript|about|mailto|tel):/i.test(url) || url.startsWith("#")) return value;
  let parsed;
  try {
    parsed = new URL(url, document.baseURI);
  } catch {
    return value;
  }
  if (parsed.origin === location.origin || (!parsed.search && !parsed.hash)) return value;
  parsed.search = "";
  parsed.hash = "";
  return parsed.href;
}

function cleanAttribute(name, value) {
  if (typeof value !== "string" || !URL_ATTRIBUTES.has(name)) return value;
  if (name !== "srcset") return stripUrl(value);
  return value
    .split(",")
    .map((part) => {
      const [url, ...rest] = part.trim().split(/\s+/);
      return [stripUrl(url), ...rest].join(" ");
    })
    .join(", ");
}

function cleanAttributes(attributes) {
  if (!attributes) return;
  for (const name of Object.keys(attributes)) {
    if (URL_ATTRIBUTES.has(name)) attributes[name] = cleanAttribute(name, attributes[name]);
  }
}

/** A serialised tree: URLs cleaned, our own bar's node left out. */
function cleanTree(root, hostId) {
  const stack = [root];
  while (stack.length) {
    const node = stack.pop();
    if (node.type === ELEMENT) cleanAttributes(node.attributes);
    if (!node.childNodes) continue;
    if (hostId > 0) node.childNodes = node.childNodes.filter((child) => child.id !== hostId);
    for (const child of node.childNodes) stack.push(child);
  }
}

/** A mutation: cleaned like a tree; false when nothing of it is left to send. */
function cleanMutation(data, hostId) {
  if (hostId > 0) {
    data.adds = data.adds.filter((add) => add.node.id !== hostId && add.parentId !== hostId);
    data.removes = data.removes.filter((remove) => remove.id !== hostId);
    data.attributes = data.attributes.filter((change) => change.id !== hostId);
    data.texts = data.texts.filter((change) => change.id !== hostId);
  }
  for (const add of data.adds) cleanTree(add.node, hostId);
  for (const change of data.attributes) cleanAttributes(change.attributes);
  return data.adds.length + data.removes.length + data.attributes.length + data.texts.length > 0 || !!data.isAttachIframe;
}
