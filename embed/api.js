/*! Tsunagu: calls to the server's JSON API, for the console and the guest's widget.
 *  An ES module with no dependencies, served at /embed/api.js: the console imports
 *  it from its own origin, the widget from the Tsunagu server it was loaded from
 *  (cross-origin: CORS mode, and the default credentials mode "same-origin" sends
 *  no cookie there; on the server's own pages, such as the join page, it does). */

/**
 * fetch() for JSON in and out. Resolves with `{ ok, status, data }` whatever the
 * status (`data` is null when the answer is not JSON); rejects only when no answer
 * came (the network, or a CORS refusal), as fetch does.
 * @param {string} url
 * @param {object} [options]
 * @param {string} [options.method]
 * @param {*} [options.body]  sent as JSON (with its content type) unless undefined
 * @param {string|null} [options.token]  a guest token, sent as a Bearer authorization
 * @param {object} [options.headers]  more headers (the console's CSRF token)
 * @param {RequestCredentials} [options.credentials]
 */
export async function request(url, { method = "GET", body, token = null, headers = {}, credentials = "same-origin" } = {}) {
  const response = await fetch(url, {
    method,
    headers: {
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials,
  });
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  return { ok: response.ok, status: response.status, data };
}

/** A guest's file, fetched with their token in a header (never in the URL,
 *  which servers and proxies log); null when it could not be had. */
export async function fetchBlob(url, token) {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } }).catch(() => null);
  if (!response?.ok) return null;
  return response.blob();
}

/** A Blob as a data: URL (the pages' CSP allows images from data:, not blob:). */
export function dataUrl(blob) {
  return new Promise((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => resolve(null);
    reader.readAsDataURL(blob);
  });
}

/** An Error with a machine-readable `code` (the server's error code, "network", ...). */
export function failure(code, message, cause) {
  const error = new Error(message);
  error.code = code;
  if (cause) error.cause = cause;
  return error;
}

/** The server's error code in an answer, or `http_<status>` when it gave none. */
export function errorCode(status, data) {
  return data?.error?.code || `http_${status}`;
}

/**
 * Seconds to wait from a Retry-After header (seconds or an HTTP date), between 1
 * and 60. A 503 without one waits 3 s; any other status without one gets
 * undefined: told, not retried.
 */
export function retryAfter(header, status) {
  const value = header || "";
  let seconds = /^\d+$/.test(value) ? Number(value) : (Date.parse(value) - Date.now()) / 1000;
  if (!(seconds >= 0)) {
    if (status !== 503) return undefined;
    seconds = 3;
  }
  return Math.min(60, Math.max(1, seconds));
}

/** A random Idempotency-Key: 32 hex digits. */
export function idempotencyKey() {
  return [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Send one thing until the server has it, under one idempotency key for every
 * try, so a try whose answer was lost is not stored twice. `send(key)` rejects
 * with an error that has `code`, and `retryAfter` (seconds) when the server was
 * busy (503, or 429 with Retry-After), or `final` when no retry can help. A busy
 * server is tried up to `busyTries` times in all, waiting what it asked; a try
 * that got no answer (code "network") once more after 2 s. `wait(seconds, error)`
 * does the waiting (and may reject to stop). Anything else is thrown at once.
 */
export async function withRetries(send, { busyTries, wait }) {
  const key = idempotencyKey();
  for (let attempt = 1; ; attempt++) {
    try {
      return await send(key);
    } catch (error) {
      const busy = error.retryAfter !== undefined;
      if (attempt >= (busy ? busyTries : 2) || !(busy || (error.code === "network" && !error.final))) throw error;
      await wait(busy ? error.retryAfter : 2, error);
    }
  }
}
