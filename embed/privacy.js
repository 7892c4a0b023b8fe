/*! Tsunagu privacy rules: which fields' values are never shown, which are private
 *  unless the site unmasks them. Shared by the capture (embed/capture.js) and the
 *  live view (embed/live_view.js), so a picture and a live view hide the same things;
 *  a module of its own so the live view does not pull in the capture's rasteriser. */

/** Input types whose value a person types or picks; others (checkbox, radio, range,
 *  colour, buttons) show no private text. */
export const VALUE_TYPES = new Set([
  "text", "search", "email", "tel", "url", "password", "number",
  "date", "datetime-local", "month", "week", "time", "file",
]);
/** autocomplete tokens of fields that are never shown, in any position of the list. */
const SECRET_AUTOCOMPLETE = /^(cc-.+|current-password|new-password|one-time-code)$/;
/** Words in a field's name, id or label that mean a secret, matched on the words run
 *  together (so "newPassword", "card_number", "cc-num" all match)... */
const SECRET_JOINED = /password|passwd|passcode|passphrase|cardnumber|cardnum|cardno|creditcard|ccnumber|ccnum|securitycode|securitynumber|cardcode|cardverification|cardcvc|cardcvv|cvvcode|cvccode|onetimecode|onetimepass|otpcode|verificationcode|verifycode|authcode|smscode|pincode|pinnumber/;
/** ...and short words only as whole words ("pin" but not "shipping"), with any
 *  number after them ("otp1", "pwd2"). */
const SECRET_WORDS = new Set(["pw", "pwd", "pass", "pin", "otp", "totp", "cvc", "cvv", "ccv", "csc", "cvn", "cid", "pan"]);
const SECRET_JA = /パスワード|パスコード|暗証|カード番号|セキュリティ(ー)?(コード|番号)|認証(コード|番号)|確認(コード|番号)|ワンタイム/;

/** The element the value of a field lives in, or null for everything else. */
export function valueHolder(element) {
  const tag = element.localName;
  if (tag === "input") return VALUE_TYPES.has(element.type) ? "input" : null;
  if (tag === "textarea" || tag === "select") return tag;
  if (element.isContentEditable && !element.parentElement?.isContentEditable) return "editable";
  return null;
}

/** Fields and elements that are never shown, whatever the site unmasks. */
export function neverShown(element, everPassword) {
  if (closest(element, "[data-tsunagu-mask]")) return true;
  if (element.localName === "input" && (element.type === "password" || everPassword?.has(element))) {
    return true;
  }
  const tokens = (element.getAttribute("autocomplete") || "").toLowerCase().split(/\s+/);
  if (tokens.some((token) => SECRET_AUTOCOMPLETE.test(token))) return true;
  return hints(element).some(meansSecret);
}

/** Is this field's typed value hidden in the picture? Private unless unmasked. */
export function isMasked(element, unmask = [], everPassword) {
  if (neverShown(element, everPassword)) return true;
  if (closest(element, "[data-tsunagu-unmask]")) return false;
  return !unmask.some((selector) => closestMatching(element, selector));
}

/** Does a name, id or label say "secret"? */
export function meansSecret(text) {
  const normal = String(text).normalize("NFKC");
  if (SECRET_JA.test(normal)) return true;
  const words = normal
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .map((word) => word.replace(/\d+$/, ""))
    .filter(Boolean);
  return SECRET_JOINED.test(words.join("")) || words.some((word) => SECRET_WORDS.has(word));
}

function hints(element) {
  const found = [element.getAttribute("name"), element.id, element.getAttribute("aria-label"),
    element.getAttribute("placeholder"), element.getAttribute("title")];
  for (const label of element.labels || []) found.push(label.textContent.slice(0, 200));
  for (const id of (element.getAttribute("aria-labelledby") || "").split(/\s+/)) {
    const label = id && element.getRootNode().getElementById?.(id);
    if (label) found.push(label.textContent.slice(0, 200));
  }
  return found.filter(Boolean);
}

function closestMatching(element, selector) {
  try {
    return closest(element, selector) !== null;
  } catch {
    return false; // an owner's selector the browser cannot parse matches nothing
  }
}

/** Element.closest() that also looks past shadow roots to their hosts. */
function closest(element, selector) {
  for (let node = element; node; ) {
    const found = node.closest(selector);
    if (found) return found;
    node = node.getRootNode().host;
  }
  return null;
}
