/*! Tsunagu capture module: draws the visible part of the page, masked, as an image.
 *  Loaded by snippet.js on the first capture with import(), so it never sees the
 *  page's module loader (AMD, SystemJS) and adds no global.
 *
 *  The picture is made from a copy of the page (modern-screenshot clones every node
 *  with its computed style into an SVG foreignObject and draws that). The copy is
 *  where everything private is removed: the page itself is never changed, and a
 *  masked value is never put into the copy, so it cannot be in the picture.
 *
 *  A copy drawn that way is not what the screen shows by itself: it is not scrolled,
 *  fixed and sticky bars are laid out as if at the top, scrolled boxes are at 0, the
 *  canvas background is missing. A pass over the page first notes where each of those
 *  really is on screen, and the copy is corrected node by node as it is made. */
import { isMasked, meansSecret, neverShown, VALUE_TYPES, valueHolder } from "./privacy.js";
import { createContext, domToCanvas } from "./vendor/modern-screenshot.mjs";

const WHOLE = new Set(["select", "datalist", "svg", "picture", "math"]);
/** Elements whose copy would load or hold something of its own. */
const MEDIA = new Set(["img", "video", "audio", "iframe", "object", "embed", "canvas"]);
/** Displays whose box keeps its size when its children are left out of the copy. */
const BOX_DISPLAYS = new Set(["block", "flow-root", "flex", "grid", "list-item", "inline-block", "inline-flex", "inline-grid"]);
const TRANSPARENT_GIF = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7";
const LABELS = {
  ja: { masked: "●●●● 非表示", frame: "埋め込みコンテンツ", canvas: "表示できない内容", video: "動画" },
  en: { masked: "●●●● hidden", frame: "Embedded content", canvas: "Not captured", video: "Video" },
};

/**
 * Draw what the guest sees now. Returns {blob, type, width, height, hits, timings}.
 *
 * options.exclude: the snippet's own host element (never in the picture)
 * options.unmask: the site's unmask selectors; options.everPassword: a WeakSet of
 *   inputs that have been type=password on this page (kept by the loader)
 * options.budget: ms for everything the picture waits on (images, fonts); what is
 *   not there by then is drawn as a placeholder
 * options.maxEdge: the long edge in pixels; options.lang: "ja" | "en"
 */
export async function capture(options = {}) {
  const started = performance.now();
  const budget = options.budget ?? 1200;
  const deadline = started + budget;
  const labels = LABELS[options.lang] || LABELS.ja;
  const width = innerWidth;
  const height = innerHeight;
  // iOS refuses canvases over about 16 M pixels; 2048 px keeps text sharp enough.
  const scale = Math.min(devicePixelRatio || 1, (options.maxEdge ?? 2048) / Math.max(width, height));
  const plan = await survey({ ...options, labels, width, height, deadline, scale });
  const surveyed = performance.now();

  const fonts = await fontFaces(plan, deadline);
  const context = await createContext(document.createElement("div"), {
    width,
    height,
    scale,
    backgroundColor: plan.canvasColour,
    font: false, // embedded below from the page's loaded faces: see fontFaces()
    // The final image load and the rare fetches we do not route (SVG <use> files).
    timeout: Math.max(3000, budget * 2),
    features: { restoreScrollPosition: false, removeControlCharacter: true, copyScrollbar: true },
    fetch: { placeholderImage: () => labelImage("", 4, 4) },
    fetchFn: (url) => fetchDataUrl(url, deadline),
    filter: plan.filter,
    onCloneEachNode: plan.onClone,
    onCloneNode: plan.onRoot,
    onCreateForeignObjectSvg: (svg) => {
      // Safari and Firefox redraw once per image to work around a decoding bug,
      // 100 ms apart: three times is enough, forty would be four seconds.
      context.drawImageCount = Math.min(context.drawImageCount, 3);
      options.inspect?.(svg); // tests read the copy that is drawn
      if (!fonts) return;
      const style = document.createElementNS("http://www.w3.org/2000/svg", "style");
      style.textContent = fonts;
      svg.prepend(style);
    },
  });
  // The library computes default styles in an iframe it would add to the
  // page's <body>; ours lives in the snippet's shadow root instead, where the
  // page's scripts, selectors and window.frames never see it.
  context.sandbox = await sandbox(options.exclude?.shadowRoot);
  // createContext waits for every <img> of the node it is given (30 s for a lazy
  // image that never loads); it is given an empty element, and the real root is
  // set here. Images in view are waited for in survey(), within the budget.
  context.node = document.documentElement;
  let canvas;
  try {
    canvas = await domToCanvas(context);
  } finally {
    plan.release();
  }
  const drawn = performance.now();
  const { blob, type } = await encode(canvas, options);
  return {
    blob,
    type,
    width: canvas.width,
    height: canvas.height,
    // Where each element on screen was (CSS px of this viewport), for the host's
    // pointer on this capture; kept in memory only, not part of the upload.
    hits: { ...plan.hits, width, height },
    timings: { survey: surveyed - started, draw: drawn - surveyed, encode: performance.now() - drawn },
  };
}

let frame = null;
async function sandbox(root) {
  if (!root) return undefined;
  if (frame?.isConnected && frame.contentDocument?.readyState === "complete") return frame;
  frame = document.createElement("iframe");
  frame.setAttribute("aria-hidden", "true");
  frame.tabIndex = -1;
  for (const [name, value] of [["position", "fixed"], ["width", "0"], ["height", "0"], ["border", "0"], ["visibility", "hidden"]]) {
    frame.style.setProperty(name, value);
  }
  const loaded = new Promise((resolve) => {
    frame.onload = resolve;
    setTimeout(resolve, 500);
  });
  root.append(frame);
  frame.srcdoc = '<!DOCTYPE html><meta charset="UTF-8"><title></title><body>';
  await loaded;
  return frame;
}

/** WebP where the browser can encode it (smaller at the same sharpness), else JPEG. */
async function encode(canvas, options) {
  const toBlob = (type, quality) => new Promise((resolve) => canvas.toBlob(resolve, type, quality));
  let blob = await toBlob("image/webp", options.quality ?? 0.8);
  if (blob?.type !== "image/webp") blob = await toBlob("image/jpeg", options.jpegQuality ?? 0.85);
  if (!blob) throw new Error("encode");
  return { blob, type: blob.type };
}

// -- privacy ---------------------------------------------------------------------

// The rules live in embed/privacy.js (shared with the live view); exported here too,
// as before, for callers that import them from the capture module.
export { isMasked, meansSecret, neverShown, valueHolder };

function hasValue(element, kind) {
  if (kind === "editable") return element.textContent.trim() !== "" || !!element.querySelector("img");
  if (kind === "select") return element.selectedIndex >= 0 && element.value !== "";
  if (element.type === "file") return element.files?.length > 0;
  return element.value !== "";
}

// -- the survey of the page as it is on screen -------------------------------------

/** Walk the page once, note what the copy must change, and return the hooks that
 *  change it while it is made. */
async function survey(options) {
  const { width, height, labels, exclude, unmask = [], everPassword, deadline, scale } = options;
  // Offsets on the picture's pixel grid, as the browser puts scrolled content on
  // the screen's: a content shifted by a third of a pixel is redrawn blurred.
  const snap = (value) => Math.round(value * scale) / scale;
  const inView = (rect) =>
    rect.bottom > 0 && rect.top < height && rect.right > 0 && rect.left < width &&
    (rect.width > 0 || rect.height > 0);
  const parentOf = (node) => {
    const parent = node.parentNode;
    return parent instanceof ShadowRoot ? parent.host : parent;
  };

  // 1. Which elements can be seen: those in the viewport and their ancestors.
  const visible = new Set();
  const all = [];
  // The boxes on screen, kept with the capture on the device (never sent): a
  // host's pointer on this picture is put on the element under it (embed/pointer.js).
  const hits = [];
  const walk = [document.documentElement];
  while (walk.length) {
    const element = walk.pop();
    if (element === exclude) continue;
    all.push(element);
    const box = element.getBoundingClientRect();
    if (inView(box)) {
      hits.push({ element, left: box.left, top: box.top, width: box.width, height: box.height });
      for (let node = element; node && node.nodeType === 1 && !visible.has(node); node = parentOf(node)) {
        visible.add(node);
      }
    }
    for (const child of element.children) walk.push(child);
    if (element.shadowRoot) for (const child of element.shadowRoot.children) walk.push(child);
  }

  // Inside these, children have no box of their own (options, SVG gradients and
  // symbols) yet are part of what is drawn: kept whole when the element is.
  for (const element of [...visible]) {
    if (WHOLE.has(element.localName)) for (const child of element.querySelectorAll("*")) visible.add(child);
  }

  // 2. What each visible element needs in the copy.
  const changes = new Map(); // original element -> list of (clone) => void
  const change = (element, fn) => {
    const list = changes.get(element);
    list ? list.push(fn) : changes.set(element, [fn]);
  };
  const bare = new Set(); // elements copied without their children
  const replaced = new Map(); // original -> (parent clone) => replacement node
  const sticky = [];
  const canvases = [];
  const scrollX = snap(window.scrollX);
  const scrollY = snap(window.scrollY);
  const root = document.documentElement;
  const scroller = document.scrollingElement || root;

  const skipped = new Set(); // inside an element copied bare: never copied
  const scrolled = new Set(); // boxes (not the page) scrolled away from 0
  for (const element of all) {
    const parent = parentOf(element);
    if (parent && (bare.has(parent) || skipped.has(parent))) {
      skipped.add(element);
      continue;
    }
    if (!visible.has(element)) {
      // Off screen: nothing inside it can be seen, so none of it is copied (the
      // long-page case), and nothing it shows is fetched (lazy images).
      const style = getComputedStyle(element);
      if (MEDIA.has(element.localName)) {
        // Not even handed to the library: it would load a video copy (with no
        // time limit), start a lazy image, or copy a frame's document.
        replaced.set(element, () => emptyBox(element, style));
        continue;
      }
      if (BOX_DISPLAYS.has(style.display)) bare.add(element);
      change(element, offscreen);
      continue;
    }
    const style = getComputedStyle(element);
    const kind = valueHolder(element);
    if (kind) {
      planField(element, kind, change, bare, { unmask, everPassword, labels });
    } else if (element.hasAttribute("data-tsunagu-mask")) {
      bare.add(element);
      change(element, (clone) => maskBox(clone, element, labels.masked));
    }
    if (element !== root && element !== scroller && (element.scrollLeft || element.scrollTop)) {
      scrolled.add(element);
    }
    if (style.position === "fixed" && !hasContainingAncestor(element, parentOf)) {
      // Fixed to the screen: the copy is shifted by the scroll, so it is placed
      // further down by as much. Insets are used values (px) for positioned boxes.
      let top = parseFloat(style.top) + scrollY;
      let left = parseFloat(style.left) + scrollX;
      const holder = movedAncestor(element, parentOf, scrolled);
      if (holder) {
        // Inside a scrolled box, whose children the copy moves by a translate:
        // that child holds it, so it is placed relative to that child instead.
        const box = holder.getBoundingClientRect();
        top = parseFloat(style.top) - box.top - holder.clientTop;
        left = parseFloat(style.left) - box.left - holder.clientLeft;
      }
      change(element, (clone) => {
        clone.style.setProperty("top", `${top}px`, "important");
        clone.style.setProperty("left", `${left}px`, "important");
        clone.style.setProperty("bottom", "auto", "important");
        clone.style.setProperty("right", "auto", "important");
      });
    } else if (style.position === "sticky") {
      sticky.push(element);
    }
    if (/auto|scroll/.test(style.overflow) && element !== root && element !== scroller) {
      // Phones draw scrollbars over the content, taking no room; a picture
      // would draw classic ones that take 15 px. Same room as on screen.
      const borders = parseFloat(style.borderLeftWidth) + parseFloat(style.borderRightWidth);
      const topBottom = parseFloat(style.borderTopWidth) + parseFloat(style.borderBottomWidth);
      if (element.offsetWidth - element.clientWidth - borders < 1 && element.offsetHeight - element.clientHeight - topBottom < 1) {
        change(element, (clone) => clone.style.setProperty("scrollbar-width", "none", "important"));
      }
    }
    if (element !== root && element !== scroller && (element.scrollLeft || element.scrollTop)) {
      const dx = -snap(element.scrollLeft);
      const dy = -snap(element.scrollTop);
      change(element, (clone) => scrollChildren(clone, dx, dy));
    }
    const tag = element.localName;
    if (tag === "canvas") canvases.push(element);
    else if (tag === "iframe" || tag === "object" || tag === "embed") {
      // Another document: never copied, even from our own origin (its fields were
      // not surveyed), but kept as a box of the same size so nothing moves up.
      replaced.set(element, () => frameBox(element, style, labels.frame));
    } else if (tag === "video") replaced.set(element, () => videoFrame(element, style, labels.video));
    else if (tag === "input" && (element.type === "checkbox" || element.type === "radio")) {
      const checked = element.checked;
      change(element, (clone) => (checked ? clone.setAttribute("checked", "") : clone.removeAttribute("checked")));
    }
  }

  // Sticky bars: the copy lays them out where they would be unscrolled; moved by
  // the difference to where they are now. Measured in one batch (two layouts).
  if (sticky.length && (scrollX || scrollY || sticky.some((el) => scrolledAncestor(el, parentOf)))) {
    const now = sticky.map((element) => element.getBoundingClientRect());
    const saved = sticky.map((element) => [
      element.style.getPropertyValue("position"),
      element.style.getPropertyPriority("position"),
      element.hasAttribute("style"),
    ]);
    let unstuck;
    try {
      for (const element of sticky) element.style.setProperty("position", "static", "important");
      unstuck = sticky.map((element) => element.getBoundingClientRect());
    } finally {
      // Put back within the same task: never painted, never laid out for the page.
      sticky.forEach((element, index) => {
        const [value, priority, hadStyle] = saved[index];
        if (value) element.style.setProperty("position", value, priority);
        else element.style.removeProperty("position");
        if (!hadStyle && !element.style.length) element.removeAttribute("style");
      });
    }
    sticky.forEach((element, index) => {
      const dx = now[index].left - unstuck[index].left;
      const dy = now[index].top - unstuck[index].top;
      change(element, (clone) => {
        clone.style.setProperty("position", "relative", "important");
        clone.style.setProperty("top", `${dy}px`, "important");
        clone.style.setProperty("left", `${dx}px`, "important");
        clone.style.setProperty("bottom", "auto", "important");
        clone.style.setProperty("right", "auto", "important");
      });
    });
  }

  // Images still loading are not waited for here: the copy fetches every image
  // itself, all at once, within the one deadline (a slow one costs its share
  // of the budget, not everyone's).
  await readCanvases(canvases, change, labels, deadline);

  // The canvas colour: the root's background, or body's that the root would take.
  const colour = (element) => element && getComputedStyle(element).backgroundColor;
  const clear = (value) => !value || value === "transparent" || value === "rgba(0, 0, 0, 0)";
  let canvasColour = colour(root);
  if (clear(canvasColour)) canvasColour = colour(document.body);
  if (clear(canvasColour)) canvasColour = "#ffffff";
  const rootStyle = getComputedStyle(root);

  // The copy is made in document order, depth first: filter() is called for a
  // node just before it is copied and onClone() just after its children, so a
  // stack pairs each copy with its original.
  const stack = [];
  const clones = new Map();
  return {
    canvasColour,
    hits: { boxes: hits, scrollX: window.scrollX, scrollY: window.scrollY },
    families: familiesInView(visible),
    filter(node) {
      if (node === exclude) return false;
      const parent = parentOf(node);
      if (bare.has(parent)) return false;
      if (node.nodeType === 1) {
        if (replaced.has(node)) return false;
        stack.push(node);
      }
      return true;
    },
    onClone(clone) {
      if (clone.nodeType !== 1) return;
      // Pop to the matching original (a canvas is copied as an <img> of its
      // pixels). No other document is ever copied: frames are replaced.
      const name = clone.nodeName;
      const at = stack.findLastIndex((node) => node.nodeName === name || (name === "IMG" && node.nodeName === "CANVAS"));
      if (at < 0) return maskUnknown(clone, labels);
      const original = stack[at];
      stack.length = at;
      clones.set(original, clone);
      for (const fn of changes.get(original) || []) fn(clone);
      insertReplaced(original, clone, replaced, clones);
    },
    onRoot(clone) {
      const style = clone.style;
      // The root is a block formatting context on screen; the copy must be one too,
      // or a first child's margin collapses through it and everything moves up.
      if (rootStyle.display === "block") style.setProperty("display", "flow-root", "important");
      style.setProperty("width", rootStyle.width, "important");
      style.setProperty("height", rootStyle.height, "important");
      style.setProperty("transform", `translate(${-scrollX}px, ${-scrollY}px)`, "important");
      style.setProperty("overflow", "visible", "important");
      // Text in an SVG image is laid out at 1x; with font metrics rounded at that
      // size it sits up to a pixel lower in its line than on the screen, which
      // lays it out at the device's scale. Unrounded metrics put it where it is.
      style.setProperty("text-rendering", "geometricPrecision", "important");
    },
    release() {
      clones.clear();
      stack.length = 0;
    },
  };
}

/** What the copy of a form field shows: its value, or the mask. */
function planField(element, kind, change, bare, { unmask, everPassword, labels }) {
  const masked = isMasked(element, unmask, everPassword);
  const filled = hasValue(element, kind);
  if (kind === "editable") {
    if (masked && filled) {
      bare.add(element);
      change(element, (clone) => maskBox(clone, element, labels.masked));
    }
    return;
  }
  if (masked && filled) {
    // Nothing of the value is read: not its text, not its length.
    change(element, (clone) => maskField(clone, kind, labels.masked));
    if (kind !== "input") bare.add(element);
    return;
  }
  if (!filled && element.placeholder) {
    // ::placeholder styles are not copied; the placeholder is drawn as text
    // in its own colour and style instead.
    const ph = getComputedStyle(element, "::placeholder");
    const look = { color: ph.color, "font-style": ph.fontStyle, "font-weight": ph.fontWeight, opacity: ph.opacity };
    const text = element.placeholder;
    change(element, (clone) => {
      for (const [name, value] of Object.entries(look)) clone.style.setProperty(name, value, "important");
      clone.style.setProperty("-webkit-text-fill-color", look.color, "important");
      clone.removeAttribute("placeholder");
      if (kind === "textarea") clone.textContent = text;
      else clone.setAttribute("value", text);
    });
    return;
  }
  // Shown: the copy carries what is typed now, not what the HTML said at load.
  if (kind === "textarea") {
    const value = element.value;
    change(element, (clone) => (clone.textContent = value));
  } else if (kind === "select") {
    const index = element.selectedIndex;
    change(element, (clone) => {
      clone.querySelectorAll("option").forEach((option, at) => {
        at === index ? option.setAttribute("selected", "") : option.removeAttribute("selected");
      });
    });
  }
}

const HATCH = "repeating-linear-gradient(135deg, rgba(100,116,139,.16) 0 4px, transparent 4px 8px)";

function maskField(clone, kind, label) {
  const style = clone.style;
  style.setProperty("color", "#475569", "important");
  style.setProperty("-webkit-text-fill-color", "#475569", "important");
  style.setProperty("font-style", "normal", "important");
  style.setProperty("letter-spacing", "normal", "important");
  style.setProperty("-webkit-text-security", "none", "important"); // a password field's discs
  style.setProperty("background-image", HATCH, "important");
  if (kind === "select") {
    const option = document.createElement("option");
    option.setAttribute("selected", "");
    option.textContent = label;
    clone.replaceChildren(option);
  } else if (kind === "textarea") {
    clone.textContent = label;
  } else {
    if (clone.getAttribute("type") !== "file") clone.setAttribute("type", "text");
    clone.setAttribute("value", label);
  }
  for (const name of ["placeholder", "data-value", "aria-valuetext", "title", "class"]) clone.removeAttribute(name);
  if (kind !== "input") clone.removeAttribute("value"); // the library puts the typed value there
}

/** A box whose content is private: same size, the mask label instead. */
function maskBox(clone, element, label) {
  const rect = element.getBoundingClientRect();
  const style = clone.style;
  if (getComputedStyle(element).display === "inline") {
    style.setProperty("display", "inline-block", "important");
    style.setProperty("vertical-align", "bottom", "important");
  }
  style.setProperty("box-sizing", "border-box", "important");
  style.setProperty("width", `${rect.width}px`, "important");
  style.setProperty("height", `${rect.height}px`, "important");
  style.setProperty("overflow", "hidden", "important");
  style.setProperty("background-image", HATCH, "important");
  style.setProperty("color", "#475569", "important");
  style.setProperty("-webkit-text-fill-color", "#475569", "important");
  clone.removeAttribute("class"); // no ::before/::after content of the original
  clone.removeAttribute("value");
  if (clone.localName === "img") {
    clone.setAttribute("src", TRANSPARENT_GIF);
    clone.removeAttribute("srcset");
    return;
  }
  const text = document.createElement("span");
  text.textContent = label;
  clone.replaceChildren(text);
}

/** A form field whose original could not be paired: masked, to be safe. */
function maskUnknown(clone, labels) {
  const tag = clone.localName;
  if (tag === "input" && VALUE_TYPES.has((clone.getAttribute("type") || "text").toLowerCase())) {
    if (clone.getAttribute("value")) maskField(clone, "input", labels.masked);
  } else if (tag === "textarea" || tag === "select") {
    maskField(clone, tag, labels.masked);
  } else if (clone.hasAttribute("contenteditable")) {
    clone.replaceChildren(labels.masked);
  }
}

/** Off screen: copied as an empty box of the same size, with nothing fetched,
 *  and no value in it even though it would not be drawn. */
function offscreen(clone) {
  clone.style.setProperty("background-image", "none", "important");
  const tag = clone.localName;
  if (tag === "input" || tag === "textarea" || tag === "select") clone.removeAttribute("value");
  if (tag === "textarea" || clone.hasAttribute("contenteditable")) clone.replaceChildren();
  if (clone.localName === "img") {
    clone.setAttribute("src", TRANSPARENT_GIF);
    clone.removeAttribute("srcset");
  }
}

/** A box scrolled sideways or down: its content is moved by as much in the copy. */
function scrollChildren(clone, dx, dy) {
  for (const child of clone.children) {
    if (child.style.getPropertyValue("position") === "fixed") continue; // fixed to the screen
    const own = child.style.getPropertyValue("translate");
    const [x, y = "0px"] = own && own !== "none" ? own.split(" ") : ["0px"];
    child.style.setProperty("translate", `calc(${x} + ${dx}px) calc(${y} + ${dy}px)`, "important");
  }
}

function hasContainingAncestor(element, parentOf) {
  // A transformed (or filtered, contained) ancestor holds its fixed children: they
  // scroll with it, and the copy already places them right.
  for (let node = parentOf(element); node && node.nodeType === 1; node = parentOf(node)) {
    if (node === document.documentElement) return false;
    const style = getComputedStyle(node);
    if (style.transform !== "none" || style.translate !== "none" || style.rotate !== "none" ||
        style.scale !== "none" || style.filter !== "none" || style.backdropFilter !== "none" ||
        style.perspective !== "none" || (style.containerType && style.containerType !== "normal") ||
        /paint|layout|strict|content/.test(style.contain) || /transform|filter|perspective/.test(style.willChange)) {
      return true;
    }
  }
  return false;
}

/** The child of a scrolled box that holds this element, if any (see scrollChildren). */
function movedAncestor(element, parentOf, scrolled) {
  for (let node = element; node && node.nodeType === 1; node = parentOf(node)) {
    const parent = parentOf(node);
    if (parent && scrolled.has(parent)) return node === element ? null : node;
  }
  return null;
}

function scrolledAncestor(element, parentOf) {
  for (let node = parentOf(element); node && node.nodeType === 1; node = parentOf(node)) {
    if (node.scrollTop || node.scrollLeft) return true;
  }
  return false;
}

/** A cross-origin frame (or a canvas we cannot read): a labelled box of its size. */
function placeholder(clone, label) {
  const rect = clone.style;
  for (const name of ["src", "srcdoc", "srcset"]) clone.removeAttribute(name);
  rect.setProperty("background-color", "#eef1f5", "important");
  rect.setProperty("background-image", `url("${labelImage(label, 240, 40)}")`, "important");
  rect.setProperty("background-repeat", "no-repeat", "important");
  rect.setProperty("background-position", "center", "important");
  rect.setProperty("background-size", "auto", "important");
  if (clone.localName === "img") clone.setAttribute("src", TRANSPARENT_GIF);
  else clone.replaceChildren();
}

/** An SVG of a label (drawn inside the picture, where no font can be loaded). */
function labelImage(text, width, height) {
  const escapeXml = (value) => value.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    (text
      ? `<text x="50%" y="55%" text-anchor="middle" dominant-baseline="middle" font-family="system-ui,sans-serif" font-size="14" fill="#64748b">${escapeXml(text)}</text>`
      : `<rect width="100%" height="100%" fill="#e2e8f0"/>`) +
    "</svg>";
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

function emptyBox(element, style) {
  const box = document.createElement("div");
  copyBox(box, element, style);
  box.style.setProperty("background-color", "transparent");
  return box;
}

function frameBox(element, style, label) {
  const box = document.createElement("div");
  copyBox(box, element, style);
  placeholder(box, label);
  return box;
}

function copyBox(target, element, style) {
  for (const name of BOX_PROPERTIES) target.style.setProperty(name, style.getPropertyValue(name));
  if (style.display === "inline") target.style.setProperty("display", "inline-block");
  target.style.setProperty("box-sizing", "border-box");
  target.style.setProperty("width", `${element.offsetWidth}px`);
  target.style.setProperty("height", `${element.offsetHeight}px`);
}

function videoFrame(video, style, label) {
  const image = document.createElement("img");
  let source = "";
  try {
    if (video.readyState >= 2 && video.videoWidth) {
      const canvas = document.createElement("canvas");
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      canvas.getContext("2d").drawImage(video, 0, 0);
      source = canvas.toDataURL("image/jpeg", 0.8); // throws for a cross-origin video
    }
  } catch {
    source = "";
  }
  source = source || video.poster || "";
  copyBox(image, video, style);
  image.style.setProperty("object-fit", style.objectFit === "fill" ? "contain" : style.objectFit);
  image.setAttribute("src", source || TRANSPARENT_GIF);
  if (!source) placeholder(image, label);
  return image;
}

/** Layout properties a replacement element takes from the element it replaces. */
const BOX_PROPERTIES = [
  "display", "position", "top", "right", "bottom", "left", "z-index", "float", "clear",
  "margin-top", "margin-right", "margin-bottom", "margin-left",
  "border-top-width", "border-right-width", "border-bottom-width", "border-left-width",
  "border-top-style", "border-right-style", "border-bottom-style", "border-left-style",
  "border-top-color", "border-right-color", "border-bottom-color", "border-left-color",
  "border-radius", "vertical-align", "transform", "transform-origin", "opacity", "visibility",
  "flex-grow", "flex-shrink", "flex-basis", "align-self", "order", "grid-area", "background-color",
];

/** The children an element is copied with, in the library's order: a shadow
 *  root's instead of its own, and a slot's assigned nodes in place of the slot. */
function flatChildren(original) {
  return [...(original.shadowRoot || original).childNodes].flatMap((node) =>
    node.localName === "slot" ? node.assignedNodes() : [node],
  );
}

/** Put each replacement where its original was among the copied children. */
function insertReplaced(original, parentClone, replaced, clones) {
  if (!replaced.size) return;
  const children = flatChildren(original);
  children.forEach((child, index) => {
    if (!replaced.has(child)) return;
    const node = replaced.get(child)();
    const next = children.slice(index + 1).map((sibling) => clones.get(sibling)).find((clone) => clone?.parentNode === parentClone);
    next ? parentClone.insertBefore(node, next) : parentClone.append(node);
  });
}

/** Canvases are read in an animation frame, right after the page drew: a WebGL
 *  canvas that does not keep its drawing buffer is empty at any other time. One
 *  that still cannot be read (a tainted one, or WebGL drawn once long ago) is a
 *  labelled placeholder, never an empty hole. */
async function readCanvases(canvases, change, labels, deadline) {
  if (!canvases.length) return;
  const frame = new Promise((resolve) => requestAnimationFrame(resolve));
  const late = new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(200, deadline - performance.now()))));
  await Promise.race([frame, late]);
  const probe = document.createElement("canvas");
  probe.width = probe.height = 32;
  const pen = probe.getContext("2d", { willReadFrequently: true });
  for (const canvas of canvases) {
    if (!canvas.width || !canvas.height) continue;
    let blank = false;
    try {
      pen.clearRect(0, 0, 32, 32);
      pen.drawImage(canvas, 0, 0, 32, 32);
      blank = !pen.getImageData(0, 0, 32, 32).data.some((value, index) => index % 4 === 3 && value);
    } catch {
      change(canvas, (clone) => placeholder(clone, labels.canvas)); // tainted
      continue;
    }
    // getContext("2d") answers null for a WebGL canvas and returns the page's own
    // 2D context otherwise; only a canvas with no context at all gets a new one,
    // and then it is a 2D canvas the page can still use.
    const twoD = canvas.getContext("2d") !== null;
    if (twoD) continue; // copied as it is (an empty 2D canvas is transparent on screen too)
    if (blank) {
      change(canvas, (clone) => placeholder(clone, labels.canvas));
    } else {
      const source = canvas.toDataURL();
      change(canvas, (clone) => clone.setAttribute("src", source));
    }
  }
}

// -- resources ---------------------------------------------------------------------

/** An image as a data URL, or an error once the budget is spent. */
async function fetchDataUrl(url, deadline) {
  const left = deadline - performance.now();
  if (left <= 0) throw new Error("budget");
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), left);
  try {
    const response = await fetch(url, { signal: controller.signal, credentials: "same-origin" });
    if (!response.ok) throw new Error(String(response.status));
    const blob = await response.blob();
    return await new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result);
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(blob);
    });
  } finally {
    clearTimeout(timer);
  }
}

function familiesInView(visible) {
  const families = new Set();
  for (const element of visible) {
    const first = getComputedStyle(element).fontFamily.split(",")[0];
    if (first) families.add(first.trim().replace(/^["']|["']$/g, "").toLowerCase());
  }
  return families;
}

/** @font-face rules for the web fonts the visible text uses and the page has
 *  loaded, with their files inlined (a picture cannot load anything itself).
 *  Read from the page's style sheets, or fetched where a sheet from another
 *  origin cannot be read; never through a <style> element, which a page CSP
 *  without 'unsafe-inline' would refuse. */
async function fontFaces(plan, deadline) {
  if (!document.fonts || !plan.families.size) return "";
  const loaded = [];
  document.fonts.forEach((face) => {
    const family = face.family.replace(/^["']|["']$/g, "").toLowerCase();
    if (face.status === "loaded" && plan.families.has(family)) loaded.push(face);
  });
  if (!loaded.length) return "";
  const rules = [];
  const sheets = [...document.styleSheets, ...(document.adoptedStyleSheets || [])];
  await Promise.all(
    sheets.map(async (sheet) => {
      try {
        collectFontRules(sheet.cssRules, sheet.href || location.href, rules);
      } catch {
        if (!sheet.href) return;
        const left = deadline - performance.now();
        if (left <= 0) return;
        try {
          const text = await (await fetch(sheet.href, { signal: AbortSignal.timeout(left) })).text();
          for (const block of text.match(/@font-face\s*{[^}]*}/g) || []) {
            rules.push({ text: block, base: sheet.href });
          }
        } catch {
          // a sheet we cannot read: its fonts fall back to the system's
        }
      }
    }),
  );
  const wanted = rules.filter((rule) => loaded.some((face) => sameFace(face, rule.text)));
  const inlined = await Promise.all(wanted.map((rule) => inlineUrls(rule, deadline)));
  return inlined.filter(Boolean).join("\n");
}

function collectFontRules(list, base, out) {
  for (const rule of list) {
    if (rule.type === CSSRule.FONT_FACE_RULE) out.push({ text: rule.cssText, base: rule.parentStyleSheet?.href || base });
    else if (rule.cssRules) collectFontRules(rule.cssRules, base, out);
    else if (rule.type === CSSRule.IMPORT_RULE && rule.styleSheet) {
      try {
        collectFontRules(rule.styleSheet.cssRules, rule.styleSheet.href || base, out);
      } catch {
        // cross-origin import: skipped
      }
    }
  }
}

function sameFace(face, text) {
  const field = (name) => (text.match(new RegExp(`${name}\\s*:\\s*([^;}]+)`, "i")) || [])[1]?.trim() || "";
  const family = field("font-family").replace(/^["']|["']$/g, "").toLowerCase();
  if (family !== face.family.replace(/^["']|["']$/g, "").toLowerCase()) return false;
  const style = field("font-style") || "normal";
  const weight = field("font-weight") || "normal";
  // "U+0000-00FF" in a fetched sheet is "U+0-FF" in the browser's own serialisation.
  const canonical = (value) => value.toUpperCase().replace(/\s+/g, "").replace(/(U\+|-)0+(?=[0-9A-F])/g, "$1");
  const range = canonical(field("unicode-range"));
  const faceRange = canonical(face.unicodeRange);
  const weightOf = (value) => ({ normal: "400", bold: "700" })[value] || value;
  return (
    style.split(/\s+/)[0] === face.style.split(/\s+/)[0] &&
    weightOf(weight) === weightOf(face.weight) &&
    (!range || range === faceRange || faceRange === "U+0-10FFFF")
  );
}

async function inlineUrls(rule, deadline) {
  let text = rule.text;
  const urls = [...text.matchAll(/url\(\s*(["']?)([^"')]+)\1\s*\)/g)];
  // The first URL of a src list is the preferred format; the others are fallbacks.
  const first = urls.find((match) => !match[2].startsWith("data:"));
  if (!first) return text;
  try {
    const data = await fetchDataUrl(new URL(first[2], rule.base).href, deadline);
    text = text.replace(/src\s*:[^;}]+/i, `src: url("${data}")`);
    return text;
  } catch {
    return "";
  }
}
