/*! Tsunagu pointer: where the host points on the guest's page (an arrow with the
 *  host's name, or a short stroke that fades). Imported by widget.js on the first
 *  view.pointer. Drawn in the snippet's shadow root, over the page, and never in
 *  the way: nothing of it takes a tap (pointer-events: none); a tap on the arrow
 *  is only noticed (to put it away) and goes on to the page as always.
 *
 *  It is placed on an element and a spot inside its box (fractions of its width
 *  and height), recomputed while shown, so it stays on the right thing when the
 *  guest scrolls or the page reflows. */

const SHOWN_MS = 5000;
const STROKE_MS = 2500;
const EDGE = 28; // px from the viewport's edge for an arrow pointing off screen
const SVG = "http://www.w3.org/2000/svg";

const CSS = `.pointers{position:fixed;inset:0;pointer-events:none;z-index:2147483647;overflow:hidden}
.pointer{position:absolute;left:0;top:0;pointer-events:none;transition:opacity .3s}
.pointer.gone{opacity:0}
.pointer .arrow{position:absolute;left:0;top:0;width:34px;height:34px;transform-origin:0 0;filter:drop-shadow(0 2px 3px rgba(0,0,0,.45))}
.pointer .pulse{position:absolute;left:-22px;top:-22px;width:44px;height:44px;border-radius:50%;border:3px solid #f97316;box-sizing:border-box;animation:tsunagu-pulse 1.4s ease-out infinite}
@keyframes tsunagu-pulse{from{transform:scale(.4);opacity:1}to{transform:scale(1.3);opacity:0}}
.pointer .name{position:absolute;left:26px;top:28px;padding:3px 9px;border-radius:12px;background:#f97316;color:#fff;font-size:13px;font-weight:700;white-space:nowrap;box-shadow:0 2px 6px rgba(0,0,0,.3);max-width:60vw;overflow:hidden;text-overflow:ellipsis}
.pointer.left .name{left:auto;right:26px}.pointer.up .name{top:auto;bottom:28px}
.pointer.edge .pulse{display:none}
.stroke{position:absolute;left:0;top:0;overflow:visible;pointer-events:none;animation:tsunagu-fade ${STROKE_MS}ms ease-in forwards}
@keyframes tsunagu-fade{0%,40%{opacity:1}to{opacity:0}}
@media (prefers-reduced-motion:reduce){.pointer .pulse{animation:none;opacity:.6}.stroke{animation:none}.pointer{transition:none}}`;

/** The element of a capture's hit map under (x, y), in the capture's CSS px,
 *  and the spot inside its box, or null. Elements inside a masked element are
 *  not candidates (the host saw only the masked box).
 *
 *  Which element was on top is not known without painting: a rule that is
 *  right on the common pages is enough. Boxes in a fixed or sticky element
 *  (a header, a bottom bar, a banner: drawn over the flow where they overlap)
 *  come first, then the smallest box, which is the innermost element there. */
export function hitTest(hits, x, y) {
  let best = null;
  for (const hit of hits.boxes) {
    const { element, left, top, width, height } = hit;
    if (x < left || x > left + width || y < top || y > top + height || width * height === 0) continue;
    if (element.parentElement?.closest("[data-tsunagu-mask]")) continue;
    if (best?.onTop && !hit.onTop) continue;
    // On a tie the later one, which is the descendant (the walk puts children
    // after their parents).
    if (!best || (hit.onTop && !best.onTop) || width * height <= best.width * best.height) best = hit;
  }
  if (!best) return null;
  return {
    element: best.element,
    fx: best.width ? (x - best.left) / best.width : 0.5,
    fy: best.height ? (y - best.top) / best.height : 0.5,
  };
}

export class Pointers {
  /** @param {{root: ShadowRoot}} options */
  constructor({ root }) {
    this.root = root;
    if ("adoptedStyleSheets" in root) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
    } else {
      const style = document.createElement("style");
      style.textContent = CSS;
      root.append(style);
    }
    this.layer = document.createElement("div");
    this.layer.className = "pointers";
    this.layer.setAttribute("aria-hidden", "true");
    // Over everything, our own bar included (it takes no tap, so the bar's
    // buttons still work under it): the spot may be behind the bar.
    root.append(this.layer);
    this.current = null;
    this.frame = 0;
    const replace = () => {
      if (this.current && !this.frame) this.frame = requestAnimationFrame(() => this.place());
    };
    addEventListener("scroll", replace, { passive: true, capture: true });
    addEventListener("resize", replace, { passive: true });
    // A tap on the arrow puts it away; the tap itself goes on to the page
    // (this listener neither stops nor prevents it).
    document.addEventListener(
      "pointerdown",
      (event) => {
        const arrow = this.current?.view;
        if (!arrow || this.current.points) return;
        const box = arrow.querySelector(".arrow").getBoundingClientRect();
        const slack = 16;
        if (
          event.clientX >= box.left - slack && event.clientX <= box.right + slack &&
          event.clientY >= box.top - slack && event.clientY <= box.bottom + slack
        ) {
          this.hide();
        }
      },
      { capture: true, passive: true },
    );
  }

  /**
   * Point at `element`, at (fx, fy) of its box, for a few seconds; with `points`
   * ([[dx, dy], ...] CSS px from that spot) a stroke that fades instead.
   * Returns whether the spot is on screen.
   */
  show({ element, fx = 0.5, fy = 0.5, name = "", points = null }) {
    this.hide(true);
    const view = document.createElement("div");
    view.className = "pointer";
    view.setAttribute("data-tsunagu-pointer", "");
    view.setAttribute("data-target-found", element ? "true" : "false");
    const current = { element, fx, fy, points, view };
    this.current = current;
    if (!element) {
      view.hidden = true;
      this.layer.append(view);
      return false;
    }
    const clamp = (value) => Math.min(1, Math.max(0, Number(value) || 0));
    current.fx = clamp(fx);
    current.fy = clamp(fy);
    if (points?.length) {
      current.stroke = stroke(points);
      this.layer.append(current.stroke);
    } else {
      view.append(arrowShape(), Object.assign(document.createElement("div"), { className: "pulse" }));
    }
    if (name) view.append(Object.assign(document.createElement("div"), { className: "name", textContent: name }));
    this.layer.append(view);
    const onScreen = this.place();
    current.timer = setTimeout(() => this.current === current && this.hide(), points?.length ? STROKE_MS : SHOWN_MS);
    return onScreen;
  }

  /** Put the pointer where its element is now. */
  place() {
    this.frame = 0;
    const current = this.current;
    if (!current?.element) return false;
    const { element, fx, fy, view } = current;
    const box = element.getBoundingClientRect();
    const x = box.left + fx * box.width;
    const y = box.top + fy * box.height;
    const width = innerWidth;
    const height = innerHeight;
    const onScreen = element.isConnected && x >= 0 && y >= 0 && x <= width && y <= height;
    let tipX = x;
    let tipY = y;
    let angle = 0; // the arrow's default: pointing up and to the left, tip at (0, 0)
    if (!onScreen && !current.points) {
      // An arrow at the edge, pointing the way to the spot.
      tipX = Math.min(width - EDGE, Math.max(EDGE, x));
      tipY = Math.min(height - EDGE, Math.max(EDGE, y));
      angle = (Math.atan2(y - tipY, x - tipX) * 180) / Math.PI + 135;
    }
    view.classList.toggle("edge", !onScreen);
    view.classList.toggle("left", tipX > width - 140);
    view.classList.toggle("up", tipY > height - 80);
    view.style.transform = `translate(${tipX}px, ${tipY}px)`;
    view.querySelector(".arrow")?.style.setProperty("transform", `rotate(${angle}deg)`);
    if (current.stroke) current.stroke.style.transform = `translate(${x}px, ${y}px)`;
    view.setAttribute("data-x", String(Math.round(tipX)));
    view.setAttribute("data-y", String(Math.round(tipY)));
    view.setAttribute("data-on-screen", String(onScreen));
    return onScreen;
  }

  hide(now = false) {
    const current = this.current;
    if (!current) return;
    this.current = null;
    clearTimeout(current.timer);
    current.stroke?.remove();
    if (now) return current.view.remove();
    current.view.classList.add("gone");
    setTimeout(() => current.view.remove(), 300);
  }
}

/** An SVG element with its attributes (the arrow's and the stroke's parts). */
function svgNode(tag, attributes) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

/** An arrow whose tip is at (0, 0), pointing up and to the left, like a mouse
 *  pointer: the pointer's colour with a white edge, seen on any button. */
function arrowShape() {
  const svg = svgNode("svg", { class: "arrow", viewBox: "0 0 34 34" });
  const edge = { stroke: "#fff", "stroke-width": "2.5", "stroke-linejoin": "round" };
  svg.append(svgNode("path", { d: "M1 1 L31 13 L18 18 L13 31 Z", fill: "#f97316", ...edge }));
  return svg;
}

function stroke(points) {
  const svg = svgNode("svg", { class: "stroke", width: "1", height: "1" });
  const list = points.slice(0, 200).filter((point) => Array.isArray(point) && point.length >= 2);
  svg.append(
    svgNode("polyline", {
      points: list.map(([dx, dy]) => `${Number(dx) || 0},${Number(dy) || 0}`).join(" "),
      fill: "none",
      stroke: "#f97316",
      "stroke-width": "5",
      "stroke-linecap": "round",
      "stroke-linejoin": "round",
    }),
  );
  return svg;
}
