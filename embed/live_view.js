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
import { closest, isMasked, valueHolder } from "./privacy.js";
import { record } from "./vendor/rrweb-record.mjs";

// What a masked value reads as in the host's replay: the mark and a word, as a
// capture's 「●●●● 非表示」 (the widget passes its language's), so the host
// does not take it for four typed characters. One recorder per page.
let MASK = "●●●●";
// rrweb's event and node types (its numbering is its wire format).
const FULL_SNAPSHOT = 2;
const INCREMENTAL = 3;
const MUTATION = 0;
const STYLE_SHEET_RULE = 8;
const STYLE_DECLARATION = 13;
const ADOPTED_STYLE_SHEET = 15;
const ELEMENT = 2;
/** Elements whose inside is never read: masked boxes, our own bar, other
 *  documents and media (rrweb's blockSelector, and checked again on every
 *  change, see LiveView.hidden). */
const BLOCKED = "[data-tsunagu-mask],[data-tsunagu],iframe,object,embed,video,audio";
/** Attributes holding a URL (srcset, imagesrcset: a list of them with sizes;
 *  ping: a list separated by spaces). */
const URL_ATTRIBUTES = new Set([
  "src", "href", "srcset", "imagesrcset", "poster", "action", "formaction", "data", "xlink:href",
  "ping", "background", "cite",
]);
/** A URL in CSS: url(...) in any quoting, or a quoted absolute URL (@import
 *  "...", image-set("...")). */
const CSS_URL = /url\(\s*(?:"([^"]*)"|'([^']*)'|([^)"'\s]*))\s*\)|"((?:https?:)?\/\/[^"]*)"|'((?:https?:)?\/\/[^']*)'/gi;
/** Elements that may hold a typed value (see valueHolder in privacy.js). */
const HOLDER_TAGS = new Set(["input", "textarea", "select"]);
/** Attributes where pages copy a field's value. */
const COPY_ATTRIBUTE = /^(data-.*|title|aria-valuetext)$/;
const FLUSH_MS = 100;
// The server refuses a message over 4 MiB of UTF-8; a batch over it is split,
// a single event over it is not sent (see tooLarge).
const MAX_MESSAGE = 4 * 1024 * 1024;
const encoder = new TextEncoder();
// After the server's too_many: this long without sending, then a full snapshot.
const TOO_MANY_MS = 1000;

export class LiveView {
  /**
   * @param {object} options
   * @param {(text: string) => boolean} options.send  one message on the live socket; false when it is down
   * @param {Element} options.host  the snippet's shadow host (never recorded)
   * @param {string[]} options.unmask  the site's unmask selectors
   * @param {WeakSet} options.everPassword  inputs that have been password fields
   * @param {string} [options.mask]  what a masked value reads as (the widget's language)
   */
  constructor({ send, host, unmask = [], everPassword, mask }) {
    Object.assign(this, { send, host, unmask, everPassword });
    if (mask) MASK = mask;
    this.page = Math.random().toString(36).slice(2, 12); // this page load
    this.seq = 0;
    this.queue = [];
    this.first = 0;
    this.timer = null;
    this.href = ""; // the address of the last full snapshot
    this.holding = null; // after a too_many refusal: the timer of the snapshot to come
    this.resnap = null; // the timer of a full snapshot asked for by a change
    this.stopRecording = null;
    this.on = false;
    this.masked = (element) => isMasked(element, this.unmask, this.everPassword);
    this.hiddenSheets = new Set(); // rrweb style ids of sheets adopted in hidden shadow roots
    this.cost = { batches: 0, ms: 0, worst: 0 }; // main-thread time spent here (tests, benchmark)
  }

  /** Start recording: a full snapshot at once, then changes. */
  start() {
    if (this.on) return;
    // record() emits its first snapshot before it returns: taken while `on`.
    this.on = true;
    const masked = this.masked;
    this.stopRecording =
      record({
        emit: (event) => this.take(event),
        // By tag name, so every input type comes to maskInputFn (maskAllInputs
        // lists types, without "file" and "hidden", whose values then went out).
        maskInputOptions: { input: true, textarea: true, select: true },
        maskInputFn: (text, element) => inputValue(text, element, masked),
        // Typed text of editable elements, and a select's options (which of
        // them is chosen shows in the replay otherwise; a capture masks the
        // whole select too).
        maskTextSelector: "[contenteditable], select",
        maskTextFn: (text, parent) => {
          const holder = parent?.closest("select") || editableRoot(parent);
          return holder && !masked(holder) ? text : MASK;
        },
        blockSelector: BLOCKED,
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
    this.watchMasks();
  }

  /** An element masked after it was sent would stay as last seen in the
   *  host's replay: rrweb ignores every change of an element once its block
   *  selector matches, the one that masks it included. A full snapshot, in
   *  which it is a placeholder, puts that right. */
  watchMasks() {
    this.masks = new MutationObserver(() => this.snapshotSoon());
    this.masks.observe(document.documentElement, { subtree: true, attributeFilter: ["data-tsunagu-mask"] });
  }

  /** Stop recording: nothing more is recorded or sent (a pause, or the end). */
  stop() {
    const stop = this.stopRecording;
    this.on = false;
    this.stopRecording = null;
    clearTimeout(this.holding);
    this.holding = null;
    clearTimeout(this.timer);
    this.timer = null;
    clearTimeout(this.resnap);
    this.resnap = null;
    this.masks?.disconnect();
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

  /** A full snapshot once the current change has been taken (one for many). */
  snapshotSoon() {
    this.resnap ||= setTimeout(() => {
      this.resnap = null;
      this.snapshot();
    }, 0);
  }

  /** The page's element for a node id of the host's replay, or null. */
  node(id) {
    const node = this.on ? record.mirror.getNode(id) : null;
    return node?.nodeType === 1 && node.isConnected ? node : null;
  }

  take(event) {
    if (!this.on || this.holding) return; // holding: a full snapshot follows
    const started = performance.now();
    if (event.type === 4) this.href = event.data.href; // Meta: the address the host was told
    if (event.type === FULL_SNAPSHOT) {
      this.queue = this.queue.filter((queued) => queued.type === 4); // older changes are moot
      this.hiddenSheets.clear(); // rrweb numbers the sheets anew from each full snapshot
      cleanTree(event.data.node, this.context());
    } else if (event.type === INCREMENTAL && !this.clean(event.data)) {
      return this.spent(started);
    }
    if (!this.queue.length) this.first = Date.now();
    this.queue.push(event);
    if (event.type === FULL_SNAPSHOT) this.flush();
    else this.timer ||= setTimeout(() => this.flush(), FLUSH_MS);
    this.spent(started);
  }

  /** An incremental event, cleaned in place; false when nothing of it may go.
   *  rrweb's blockSelector keeps a blocked element's inside out of what it
   *  serialises, but it still follows the shadow root of a blocked element
   *  (a masked web component re-rendering, our own bar and the host's pointer
   *  in it) and the changes under an element masked after it was recorded: so
   *  every change is checked here against where its node is now. */
  clean(data) {
    const hidden = this.hiddenCheck();
    switch (data.source) {
      case MUTATION: {
        // An add or a removal is judged by its parent (the node itself may be
        // the blocked element, whose placeholder comes and goes with it).
        // Our own bar is not there at all, not even as a placeholder.
        const hostId = record.mirror.getId(this.host);
        data.adds = data.adds.filter((add) => add.node.id !== hostId && !hidden(add.parentId));
        data.removes = data.removes.filter((remove) => remove.id !== hostId && !hidden(remove.parentId, false));
        data.texts = data.texts.filter((change) => !hidden(change.id));
        data.attributes = data.attributes.filter((change) => !hidden(change.id));
        const mirror = record.mirror;
        const context = this.context();
        for (const add of data.adds) {
          const parent = mirror.getNode(add.parentId);
          cleanTree(add.node, context, parent?.localName === "style", this.inMaskedEditable(parent));
        }
        for (const change of data.texts) {
          if (mirror.getNode(change.id)?.parentNode?.localName === "style") change.value = stripCssUrls(change.value);
        }
        for (const change of data.attributes) {
          cleanAttributes(change.attributes);
          const element = mirror.getNode(change.id);
          if (element?.nodeType !== 1) continue;
          if (this.maskedHolder(element)) dropCopies(change.attributes);
          else if (this.inMaskedEditable(element.parentElement)) dropUrls(change.attributes);
        }
        data.attributes = data.attributes.filter((change) => Object.keys(change.attributes).length > 0);
        return data.adds.length + data.removes.length + data.attributes.length + data.texts.length > 0 || !!data.isAttachIframe;
      }
      case ADOPTED_STYLE_SHEET:
        // Sheets adopted by a hidden shadow root (our own bar's): left out, and
        // so are later changes to them.
        if (hidden(data.id)) {
          for (const id of data.styleIds || []) this.hiddenSheets.add(id);
          return false;
        }
        cleanSheet(data);
        return true;
      case STYLE_SHEET_RULE:
      case STYLE_DECLARATION:
        if (data.styleId !== undefined && this.hiddenSheets.has(data.styleId)) return false;
        if (data.id !== undefined && hidden(data.id)) return false;
        cleanSheet(data);
        return true;
      default:
        // Scrolls, inputs, media: the node they are about.
        return typeof data.id !== "number" || !hidden(data.id);
    }
  }

  /** A check, for one event, of whether a node (by rrweb id) is inside a
   *  blocked element or our own bar; a node rrweb no longer knows counts as
   *  hidden (unless `unknown` says otherwise: a removal tells nothing). */
  hiddenCheck() {
    const seen = new Map(); // id -> answer: a list's items share their parent
    return (id, unknown = true) => {
      let answer = seen.get(id);
      if (answer === undefined) {
        const node = record.mirror.getNode(id);
        answer = node ? this.hiddenNode(node) : unknown;
        seen.set(id, answer);
      }
      return answer;
    };
  }

  /** What cleanTree needs to know of this page. */
  context() {
    return {
      hostId: record.mirror.getId(this.host),
      // The element of a serialised node that may hold a value (a field, an
      // editable root), if it is masked; the others are not looked up.
      maskedHolder: (node) => {
        const attributes = node.attributes || {};
        if (!HOLDER_TAGS.has(node.tagName) && !("contenteditable" in attributes)) return null;
        const element = record.mirror.getNode(node.id);
        return element && this.maskedHolder(element) ? element : null;
      },
    };
  }

  /** Is this element a value holder whose value is masked? */
  maskedHolder(element) {
    return !!valueHolder(element) && this.masked(element);
  }

  /** Is this node inside (or the root of) a masked contenteditable? */
  inMaskedEditable(node) {
    if (!node?.isContentEditable) return false;
    const root = editableRoot(node);
    return !!root && this.masked(root);
  }

  hiddenNode(node) {
    if (node.nodeType === 9) return false; // the document
    // A text's element, or for a text straight in a shadow root, its host.
    const element = node.nodeType === 1 ? node : node.parentElement || node.parentNode?.host;
    if (!element) return true;
    return element === this.host || closest(element, BLOCKED) !== null;
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
    if (!fits(text)) {
      if (events.length === 1) return this.tooLarge();
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

  /** An event too large to send (a huge page): an empty frame that says so,
   *  and the host shows that until the next full snapshot. */
  tooLarge() {
    this.send(JSON.stringify({ type: "view.frame", seq: this.seq++, page: this.page, batch_ms: 0, events: [], too_large: true }));
  }

  /** The server's view.refused: too_many (sending faster than it relays):
   *  a second without sending, then a full snapshot, since the frames it
   *  refused are missing from the host's replay; too_large: as tooLarge. */
  refused(reason) {
    if (!this.on) return;
    if (reason === "too_large") this.tooLarge();
    else if (reason === "too_many" && !this.holding) {
      this.queue = [];
      clearTimeout(this.timer);
      this.timer = null;
      this.holding = setTimeout(() => {
        this.holding = null;
        this.snapshot();
      }, TOO_MANY_MS);
    }
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

/** What the host sees of a field's value: the site's unmasked fields keep their
 *  text, the rest a fixed mark that does not tell the value's length. A file
 *  input's value is the picked file's name (nothing shown, as on screen before a
 *  pick); a hidden input holds what a script put there (tokens, codes), never
 *  shown whatever the site unmasks. Buttons, checkboxes, ranges and colours
 *  hold no typed text (as in a capture). */
function inputValue(text, element, masked) {
  if (!element) return MASK;
  if (element.localName === "input") {
    const type = element.type;
    if (type === "file") return "";
    if (type === "hidden") return MASK;
  }
  if (!valueHolder(element)) return text;
  return masked(element) ? MASK : text;
}

/** Is the message within the server's limit, counted in UTF-8 bytes? (A
 *  character is at most 3 bytes per UTF-16 unit: most batches need no count.) */
function fits(text) {
  return text.length * 3 <= MAX_MESSAGE || encoder.encode(text).length <= MAX_MESSAGE;
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

/** Other origins' URLs in CSS text without their query and fragment. */
export function stripCssUrls(text) {
  if (typeof text !== "string" || !/url\(|\/\//i.test(text)) return text;
  return text.replace(CSS_URL, (match, double, single, bare, quoted, quoted1) => {
    if (double !== undefined) return `url("${stripUrl(double)}")`;
    if (single !== undefined) return `url('${stripUrl(single)}')`;
    if (bare !== undefined) return bare ? `url(${stripUrl(bare)})` : match;
    if (quoted !== undefined) return `"${stripUrl(quoted)}"`;
    return `'${stripUrl(quoted1)}'`;
  });
}

function cleanAttribute(name, value) {
  if (name === "style" || name === "_cssText") return cleanStyle(value);
  if (typeof value !== "string" || !URL_ATTRIBUTES.has(name)) return value;
  if (name === "ping") return value.split(/\s+/).map(stripUrl).join(" ");
  if (name !== "srcset" && name !== "imagesrcset") return stripUrl(value);
  return value
    .split(",")
    .map((part) => {
      const [url, ...rest] = part.trim().split(/\s+/);
      return [stripUrl(url), ...rest].join(" ");
    })
    .join(", ");
}

/** A style attribute: a string (snapshots, adds), or in an attribute change
 *  rrweb's per-property object (property -> value | [value, priority] | false). */
function cleanStyle(value) {
  if (typeof value === "string") return stripCssUrls(value);
  if (!value || typeof value !== "object") return value;
  for (const [property, set] of Object.entries(value)) {
    if (typeof set === "string") value[property] = stripCssUrls(set);
    else if (Array.isArray(set)) set[0] = stripCssUrls(set[0]);
  }
  return value;
}

function cleanAttributes(attributes) {
  if (!attributes) return;
  for (const name of Object.keys(attributes)) attributes[name] = cleanAttribute(name, attributes[name]);
}

/** A serialised tree: URLs cleaned, our own bar's node left out, masked
 *  fields without copies of their value. `inStyle`: the root is a text of a
 *  <style> element; `inEditable`: the root is inside a masked contenteditable. */
function cleanTree(root, { hostId, maskedHolder }, inStyle = false, inEditable = false) {
  const stack = [[root, inStyle, inEditable]];
  while (stack.length) {
    const [node, styleText, editable] = stack.pop();
    let childEditable = editable;
    if (node.type === ELEMENT) {
      cleanAttributes(node.attributes);
      if (editable) dropUrls(node.attributes);
      const holder = maskedHolder(node);
      if (holder) {
        dropCopies(node.attributes);
        if (valueHolder(holder) === "editable") childEditable = true;
      }
    } else if (styleText && typeof node.textContent === "string") {
      node.textContent = stripCssUrls(node.textContent);
    }
    if (!node.childNodes) continue;
    if (hostId > 0) node.childNodes = node.childNodes.filter((child) => child.id !== hostId);
    const style = node.type === ELEMENT && node.tagName === "style";
    for (const child of node.childNodes) stack.push([child, style, childEditable]);
  }
}

/** A masked field's attributes without the copies of its value that pages
 *  keep there (data-*, title, aria-valuetext, a value attribute): only
 *  rrweb's own masked value is left. */
function dropCopies(attributes) {
  if (!attributes) return;
  for (const name of Object.keys(attributes)) {
    if (name === "value" ? attributes.value !== MASK : COPY_ATTRIBUTE.test(name)) delete attributes[name];
  }
}

/** Inside a masked editable, pasted images and links are its content: their
 *  addresses stay here as a blocked element's would. */
function dropUrls(attributes) {
  if (!attributes) return;
  for (const name of ["src", "srcset", "href", "xlink:href"]) delete attributes[name];
}

/** A style sheet event's CSS text cleaned in place (StyleSheetRule,
 *  StyleDeclaration, AdoptedStyleSheet). */
function cleanSheet(data) {
  for (const add of data.adds || []) add.rule = stripCssUrls(add.rule);
  if (data.replace !== undefined) data.replace = stripCssUrls(data.replace);
  if (data.replaceSync !== undefined) data.replaceSync = stripCssUrls(data.replaceSync);
  if (data.set) data.set.value = stripCssUrls(data.set.value);
  for (const style of data.styles || []) for (const rule of style.rules || []) rule.rule = stripCssUrls(rule.rule);
}
