/*! Tsunagu: the host's business card (名刺) as the guest sees it, for the join
 *  page, the snippet's bar and the console's preview. An ES module served at
 *  /embed/card.js, with no dependencies; the snippet imports it only when the
 *  guest opens the card (or the host shows it).
 *
 *  The card is drawn from its fields (the same look in the page and in the
 *  saved image); the picture of the paper card, when the host added one, is
 *  shown under it and is what "save as image" saves. The image of a card
 *  without a picture is drawn on a canvas here, in the guest's browser, with
 *  the phone's own Japanese fonts: a server would need CJK fonts installed
 *  to draw the same. */

import { dataUrl, fetchBlob, request } from "./api.js";

/** The strings, for the snippet (the join page and the console pass the
 *  server's catalog instead: the same words). */
export const STRINGS = {
  ja: {
    open: "担当者の名刺",
    title: "担当者の名刺",
    close: "閉じる",
    save_contact: "連絡先に保存",
    save_image: "画像で保存",
    shown: "担当者が名刺を表示しました。",
    loading: "読み込み中…",
    failed: "名刺を読み込めませんでした。もう一度お試しください。",
    save_failed: "保存できませんでした。もう一度お試しください。",
    contact_help: "連絡先のファイル（.vcf）を保存します。開くと連絡先に追加できます。",
    image_alt: "{name} の名刺の画像",
    phone: "電話番号",
    email: "メールアドレス",
    url: "ウェブサイト",
    address: "住所",
  },
  en: {
    open: "Your contact's card",
    title: "Your contact's card",
    close: "Close",
    save_contact: "Save to contacts",
    save_image: "Save as image",
    shown: "Your contact is showing you their business card.",
    loading: "Loading…",
    failed: "Could not load the card. Please try again.",
    save_failed: "Could not save. Please try again.",
    contact_help: "Saves a contact file (.vcf); open it to add the contact.",
    image_alt: "Picture of {name}'s business card",
    phone: "Phone",
    email: "Email",
    url: "Website",
    address: "Address",
  },
};

/** The card's look; adopted by the page or the snippet's shadow root. */
export const CARD_CSS = `.tc-card{box-sizing:border-box;width:100%;max-width:420px;aspect-ratio:91/55;background:#fff;color:#1f2933;border:1px solid #d9e2ec;border-radius:10px;box-shadow:0 2px 10px rgba(0,0,0,.12);padding:5% 6%;display:flex;flex-direction:column;justify-content:space-between;gap:4px;font-family:system-ui,-apple-system,"Hiragino Sans","Noto Sans CJK JP","Noto Sans JP","Yu Gothic",sans-serif;line-height:1.35;container-type:inline-size}
.tc-org{font-size:max(11px,3.3cqw);color:#334e68;overflow-wrap:anywhere}.tc-org b{display:block;font-size:max(13px,4.2cqw);color:#0b6e4f}
.tc-who{display:flex;flex-direction:column;gap:1px}.tc-title{font-size:max(11px,3.3cqw);color:#52606d}
.tc-kana{font-size:max(10px,2.8cqw);color:#52606d;letter-spacing:.08em}.tc-name{font-size:max(20px,7.4cqw);font-weight:700;letter-spacing:.06em;overflow-wrap:anywhere}
.tc-contact{margin:0;display:grid;grid-template-columns:auto 1fr;gap:0 8px;font-size:max(11px,3.1cqw)}.tc-contact dt{color:#52606d}.tc-contact dd{margin:0;overflow-wrap:anywhere}
.tc-contact a{color:#0b6e4f}.tc-paper{display:block;width:100%;max-width:420px;height:auto;border-radius:8px;border:1px solid #d9e2ec;margin-top:10px}
.tc-empty{color:#9aa5b1}
.tc-view{display:flex;flex-direction:column;gap:12px}.tc-buttons{display:flex;gap:8px;flex-wrap:wrap}
.tc-buttons button{flex:1 1 140px;min-height:48px;border-radius:12px;font:inherit;font-size:16px;font-weight:700;padding:10px 12px;border:1px solid #0b6e4f;background:#fff;color:#0b6e4f;cursor:pointer}
.tc-buttons .tc-save-contact{background:#0b6e4f;color:#fff}.tc-help{margin:0;font-size:13px;color:#52606d}.tc-message{margin:0}.tc-message:empty{display:none}`;

/** Put CARD_CSS into `root` (a document or a shadow root) once; a constructed
 *  stylesheet is not subject to the page's style-src CSP. */
export function adoptCardStyles(root = document) {
  if (root.tscCardStyles) return;
  root.tscCardStyles = true;
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(CARD_CSS);
  root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
}

function make(tag, attributes = {}, text) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The org line: company, then department (and 役職 beside the name). */
const orgOf = (card) => [card.company, card.department].filter(Boolean);

/** A link only for what is a link: mailto, tel, and http(s) addresses. */
function linkOf(kind, value) {
  if (kind === "email") return `mailto:${value}`;
  if (kind === "phone") return `tel:${value.replace(/[^0-9+]/g, "")}`;
  if (kind === "url" && /^https?:\/\//i.test(value)) return value;
  return null;
}

/**
 * The card as an element, filled from `card` (the API's fields). `S` gives the
 * contact lines' labels (phone, email, url, address); `placeholder`, when set,
 * stands for an empty name (the console's preview).
 */
export function cardElement(card, S, { placeholder = "" } = {}) {
  const root = make("article", { class: "tc-card", "aria-label": card.name || placeholder });
  const org = make("div", { class: "tc-org" });
  const [company, department] = orgOf(card);
  if (company) org.append(make("b", {}, company));
  if (department) org.append(make("span", {}, department));
  const who = make("div", { class: "tc-who" });
  if (card.title) who.append(make("span", { class: "tc-title" }, card.title));
  if (card.kana) who.append(make("span", { class: "tc-kana" }, card.kana));
  who.append(make("span", { class: `tc-name${card.name ? "" : " tc-empty"}` }, card.name || placeholder));
  const contact = make("dl", { class: "tc-contact" });
  for (const kind of ["phone", "email", "url", "address"]) {
    const value = card[kind];
    if (!value) continue;
    const dd = make("dd", { "data-field": kind });
    const href = linkOf(kind, value);
    dd.append(href ? make("a", { href, ...(kind === "url" ? { target: "_blank", rel: "noopener" } : {}) }, value) : value);
    contact.append(make("dt", {}, S[kind]), dd);
  }
  root.append(org, who, contact);
  return root;
}

// -- the card as a picture ------------------------------------------------------

// 91 x 55 mm at 300 dpi: prints as a card and is sharp on any phone.
const WIDTH = 1075;
const HEIGHT = 650;
const FONT = 'system-ui, -apple-system, "Hiragino Sans", "Noto Sans CJK JP", "Noto Sans JP", "Yu Gothic", sans-serif';

/** Draw `text` at x, y in at most `width`: smaller type first, then cut. */
function fitText(context, text, x, y, width, size, weight = 400) {
  let px = size;
  context.font = `${weight} ${px}px ${FONT}`;
  while (px > size * 0.6 && context.measureText(text).width > width) {
    px -= 2;
    context.font = `${weight} ${px}px ${FONT}`;
  }
  let shown = text;
  while (shown.length > 1 && context.measureText(shown).width > width) shown = shown.slice(0, -1);
  context.fillText(shown === text ? text : `${shown.slice(0, -1)}…`, x, y);
}

/** The card drawn on a canvas, as a PNG Blob. `S` labels the contact lines. */
export async function drawCard(card, S) {
  const canvas = document.createElement("canvas");
  canvas.width = WIDTH;
  canvas.height = HEIGHT;
  const context = canvas.getContext("2d");
  // The fonts the page has loaded (a web font in the console) are used too.
  if (document.fonts?.ready) await document.fonts.ready;
  context.fillStyle = "#ffffff";
  context.fillRect(0, 0, WIDTH, HEIGHT);
  context.fillStyle = "#0b6e4f";
  context.fillRect(0, 0, 14, HEIGHT);
  context.textBaseline = "alphabetic";
  const left = 70;
  const inner = WIDTH - left - 60;
  let y = 96;
  const [company, department] = orgOf(card);
  if (company) {
    context.fillStyle = "#0b6e4f";
    fitText(context, company, left, y, inner, 44, 700);
    y += 48;
  }
  if (department) {
    context.fillStyle = "#334e68";
    fitText(context, department, left, y, inner, 32);
  }
  y = 290;
  if (card.title) {
    context.fillStyle = "#52606d";
    fitText(context, card.title, left, y - 86, inner, 32);
  }
  if (card.kana) {
    context.fillStyle = "#52606d";
    fitText(context, card.kana, left, y - 40, inner, 28);
  }
  context.fillStyle = "#1f2933";
  fitText(context, card.name || "", left, y + 40, inner, 84, 700);
  const lines = ["phone", "email", "url", "address"].filter((kind) => card[kind]);
  y = HEIGHT - 56 - (lines.length - 1) * 44;
  for (const kind of lines) {
    context.fillStyle = "#52606d";
    context.font = `400 28px ${FONT}`;
    context.fillText(S[kind], left, y);
    const labelWidth = Math.max(...["phone", "email", "url", "address"].map((k) => context.measureText(S[k]).width));
    context.fillStyle = "#1f2933";
    fitText(context, card[kind], left + labelWidth + 24, y, inner - labelWidth - 24, 30);
    y += 44;
  }
  return new Promise((resolve, reject) => canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("canvas"))), "image/png"));
}

// -- saving --------------------------------------------------------------------

/** Hand `blob` to the browser as a download named `name`. */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = make("a", { href: url, download: name });
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

/**
 * The guest's view of the card: fetched from `server` with the guest's `token`,
 * drawn into `element` with the two save buttons. `load()` (again) reads the
 * card anew; `status` tells what happened, for a live region.
 */
export class GuestCard {
  constructor({ server = "", token, S, onStatus = () => {} }) {
    this.server = server;
    this.token = token;
    this.S = S;
    this.onStatus = onStatus;
    this.card = null;
    this.paper = null; // the paper card's picture, as a Blob
    this.element = make("div", { class: "tc-view" });
    this.message = make("p", { class: "tc-message", role: "status" });
    this.body = make("div", { class: "tc-body" });
    const contact = make("button", { type: "button", class: "tc-save-contact" }, S.save_contact);
    const image = make("button", { type: "button", class: "tc-save-image" }, S.save_image);
    contact.addEventListener("click", () => this.saveContact());
    image.addEventListener("click", () => this.saveImage());
    this.buttons = make("div", { class: "tc-buttons" });
    this.buttons.append(contact, image);
    this.buttons.hidden = true;
    this.element.append(this.body, this.buttons, make("p", { class: "tc-help" }, S.contact_help), this.message);
  }

  say(text) {
    this.message.textContent = text;
    this.onStatus(text);
  }

  /** Read the card; false when there is none to show (or it failed). */
  async load() {
    this.message.textContent = this.card ? "" : this.S.loading;
    const result = await request(`${this.server}/api/v1/guest/card`, { token: this.token() }).catch(() => null);
    if (!result?.ok) {
      this.card = null;
      this.buttons.hidden = true;
      this.body.replaceChildren();
      this.message.textContent = result?.data?.error?.message || this.S.failed;
      return false;
    }
    this.card = result.data;
    this.paper = null;
    const parts = [cardElement(this.card, this.S)];
    if (this.card.image_url) {
      this.paper = await fetchBlob(this.server + this.card.image_url, this.token());
      const src = this.paper ? await dataUrl(this.paper) : null;
      if (src) {
        const img = make("img", { class: "tc-paper", src, alt: this.S.image_alt.replace("{name}", this.card.name) });
        if (this.card.image_width) {
          img.width = this.card.image_width;
          img.height = this.card.image_height;
        }
        parts.push(img);
      }
    }
    this.body.replaceChildren(...parts);
    this.buttons.hidden = false;
    this.message.textContent = "";
    return true;
  }

  async saveContact() {
    const blob = this.card ? await fetchBlob(this.server + this.card.vcard_url, this.token()) : null;
    if (!blob) return this.say(this.S.save_failed);
    // Typed as a contact, so a phone offers to add it rather than show text.
    saveBlob(new Blob([blob], { type: "text/vcard" }), this.card.vcard_name);
  }

  async saveImage() {
    if (!this.card) return;
    try {
      // The server named it for what it is: .jpg for the picture, .png drawn.
      saveBlob(this.paper || (await drawCard(this.card, this.S)), this.card.image_name);
    } catch {
      this.say(this.S.save_failed);
    }
  }
}
