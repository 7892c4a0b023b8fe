// What every console page shares: the live channel and fetch() for the
// console's own API (both from /embed/, where the guest's widget gets them
// too), and the strings the server put in the page.

import { request } from "/embed/api.js";
import { Channel } from "/embed/channel.js";

/** The console's live channel: reconnects with the console's backoff. */
export { Channel as LiveChannel };

/** The strings a page's server put in its JSON data block. */
export function pageStrings() {
  const block = document.getElementById("strings");
  return block ? JSON.parse(block.textContent) : {};
}

/** Fill "{name}" placeholders. A plural entry ({plural, one, other}, as the
 *  server's catalog sends it) first takes the form for the count in
 *  values[entry.plural] under the page language's rules, as translate() does. */
export function format(text, values = {}) {
  const rules = new Intl.PluralRules(document.documentElement.lang || "ja");
  while (text && typeof text === "object") {
    const count = values[text.plural];
    text = text[typeof count === "number" ? rules.select(count) : "other"] ?? text.other;
  }
  return (text || "").replace(/\{(\w+)\}/g, (_, key) => (key in values ? values[key] : `{${key}}`));
}

/** fetch() for the console's own API: JSON in and out, CSRF header added. */
export function api(path, { method = "GET", body, headers = {} } = {}) {
  const csrf = document.querySelector('meta[name="csrf-token"]');
  return request(path, {
    method,
    body,
    headers: { ...(csrf && method !== "GET" ? { "x-csrf-token": csrf.content } : {}), ...headers },
    credentials: "same-origin",
  });
}
