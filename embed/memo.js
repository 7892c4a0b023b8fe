/*! Tsunagu: the shared memo in the browser, for the console, the join page and
 *  the snippet's bar. An ES module served at /embed/memo.js; it imports the
 *  vendored Yjs (one file, embed/vendor/yjs.mjs), so it is loaded only where a
 *  memo is shown, never by the snippet's loader.
 *
 *  A Y.Text named "memo" is bound to a <textarea>: what the person types goes
 *  into the Y.Text as the smallest change (a common prefix and suffix kept),
 *  and what arrives from the other side goes into the textarea with the caret
 *  and selection moved past it, never under an IME composition (applied at
 *  its compositionend). Messages are the server's memo.* protocol (docs/API.md):
 *  our state vector out, the server's difference in, then updates both ways. */

import * as Y from "./vendor/yjs.mjs";

const REMOTE = "remote";
const LOCAL = "local";
// Keystrokes within this many ms go out as one update (a fast typist's
// keystrokes, merged; the server allows about 60 messages a second).
const BATCH_MS = 40;
// After a refusal that a fresh sync mends (too many messages, the server
// unavailable, an update it could not read), sync again after this long.
const RESYNC_MS = 1500;

export function toBase64(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function fromBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The smallest edit from `before` to `after`: a common prefix and suffix
 *  kept (in UTF-16 units, as Yjs counts), never splitting a surrogate pair. */
export function diff(before, after) {
  let start = 0;
  const shortest = Math.min(before.length, after.length);
  while (start < shortest && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  if (start > 0 && isHighSurrogate(before.charCodeAt(start - 1))) start--;
  let end = 0;
  while (end < shortest - start && before.charCodeAt(before.length - 1 - end) === after.charCodeAt(after.length - 1 - end)) end++;
  if (end > 0 && isLowSurrogate(before.charCodeAt(before.length - end))) end--;
  return { index: start, remove: before.length - start - end, insert: after.slice(start, after.length - end) };
}

const isHighSurrogate = (code) => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code) => code >= 0xdc00 && code <= 0xdfff;

/** Where a position ends up after a Yjs delta (retain/insert/delete). Text
 *  inserted exactly at the position goes after it (the other side's typing
 *  does not push this side's caret). */
export function transform(position, delta) {
  let at = 0;
  for (const op of delta) {
    if (at > position) break;
    if (op.retain !== undefined) at += op.retain;
    else if (op.insert !== undefined) {
      const length = typeof op.insert === "string" ? op.insert.length : 1;
      if (at < position) position += length;
      at += length;
    } else if (op.delete !== undefined) {
      position -= Math.max(0, Math.min(op.delete, position - at));
    }
  }
  return position;
}

export class Memo {
  /**
   * @param {object} options
   * @param {HTMLTextAreaElement} options.textarea
   * @param {(message: object) => boolean} options.send  false when the socket is down
   * @param {(status: string, detail?: object) => void} [options.onStatus]
   *   "connecting" | "saving" | "saved" | "read_only" | "hidden" | "refused" (detail.code)
   * @param {(state: object) => void} [options.onState]  each memo.state (templates, shared, empty)
   * @param {(shared: boolean) => void} [options.onAccess]  the host showed or hid the memo
   * @param {(text: string) => void} [options.onChange]  the text changed, on either side
   */
  constructor({ textarea, send, onStatus = () => {}, onState = () => {}, onAccess = () => {}, onChange = () => {} }) {
    Object.assign(this, { textarea, send, onStatus, onState, onAccess, onChange });
    this.doc = new Y.Doc();
    this.text = this.doc.getText("memo");
    this.shown = textarea.value = "";
    this.composing = false;
    this.missed = []; // remote deltas while composing, in order
    this.outbox = [];
    this.timer = null;
    this.lastSent = 0;
    this.synced = false;
    this.unsaved = false;
    this.readOnly = true; // until the server says otherwise
    this.status = "";
    textarea.readOnly = true;
    this.doc.on("update", (update, origin) => {
      if (origin !== REMOTE) this.queue(update);
    });
    this.text.observe((event) => {
      if (event.transaction.origin !== LOCAL) {
        if (this.composing) this.missed.push(event.delta);
        else this.show(event.delta);
      }
      this.onChange(this.text.toString());
    });
    this.listeners = [
      ["input", (event) => !event.isComposing && !this.composing && this.takeLocal()],
      ["compositionstart", () => (this.composing = true)],
      ["compositionend", () => this.compositionEnded()],
    ];
    for (const [name, listener] of this.listeners) textarea.addEventListener(name, listener);
  }

  /** The socket is open (again): sync. Call at each open. */
  connected() {
    this.synced = false;
    this.setStatus("connecting");
    this.send({ type: "memo.sync", sv: toBase64(Y.encodeStateVector(this.doc)) });
  }

  /** The socket closed: edits go on locally and are sent at the next sync. */
  disconnected() {
    this.synced = false;
    this.outbox = [];
    clearTimeout(this.timer);
    this.timer = null;
    if (!this.readOnly) this.setStatus("connecting");
  }

  /** A message from the socket; true when it was the memo's. */
  receive(message) {
    switch (message.type) {
      case "memo.state":
        this.applyRemote(message.update);
        this.synced = true;
        this.setReadOnly(!message.writable);
        {
          // What we have and the server lacks (typed offline, or refused).
          // (An update with nothing in it is two zero bytes.)
          const missing = Y.encodeStateAsUpdate(this.doc, fromBase64(message.sv));
          if (missing.length > 2) this.queue(missing);
        }
        this.savedUpTo(message.saved_sv);
        this.onState(message);
        return true;
      case "memo.update":
        this.applyRemote(message.update);
        return true;
      case "memo.saved":
        this.savedUpTo(message.sv);
        return true;
      case "memo.access":
        this.onAccess(message.shared);
        if (!message.shared) this.setStatus("hidden");
        return true;
      case "memo.refused":
        this.refused(message);
        return true;
      default:
        return false;
    }
  }

  setReadOnly(value) {
    this.readOnly = value;
    this.textarea.readOnly = value;
    if (value) {
      clearTimeout(this.timer);
      this.outbox = [];
      this.setStatus("read_only");
    } else if (this.status === "read_only" || this.status === "connecting") {
      this.setStatus(this.pending() ? "saving" : "saved");
    }
  }

  /** The current text (what the textarea shows once nothing is composing). */
  value() {
    return this.text.toString();
  }

  destroy() {
    clearTimeout(this.timer);
    clearTimeout(this.resync);
    for (const [name, listener] of this.listeners) this.textarea.removeEventListener(name, listener);
    this.doc.destroy();
  }

  // -- inside ------------------------------------------------------------------

  setStatus(status, detail) {
    this.status = status;
    this.onStatus(status, detail);
  }

  applyRemote(base64) {
    if (!base64) return;
    try {
      Y.applyUpdate(this.doc, fromBase64(base64), REMOTE);
    } catch (error) {
      console.warn("memo: an update could not be read", error);
    }
  }

  /** The textarea's change since it last matched the Y.Text, into the Y.Text. */
  takeLocal() {
    const now = this.textarea.value;
    if (now === this.shown) return;
    if (this.readOnly) {
      this.textarea.value = this.shown;
      return;
    }
    const change = diff(this.shown, now);
    this.doc.transact(() => {
      if (change.remove) this.text.delete(change.index, change.remove);
      if (change.insert) this.text.insert(change.index, change.insert);
    }, LOCAL);
    this.shown = now;
  }

  compositionEnded() {
    this.composing = false;
    const missed = this.missed;
    this.missed = [];
    if (!missed.length) {
      this.takeLocal();
      return;
    }
    // The composed text was made against what the textarea showed; the
    // other side's changes meanwhile are already in the Y.Text: put the
    // composed change where those changes moved it, then show the result.
    const textarea = this.textarea;
    const change = diff(this.shown, textarea.value);
    let index = change.index;
    let caret = textarea.selectionEnd;
    for (const delta of missed) {
      index = transform(index, delta);
      caret = transform(caret, delta);
    }
    if (!this.readOnly && (change.remove || change.insert)) {
      this.doc.transact(() => {
        if (change.remove) this.text.delete(index, Math.min(change.remove, this.text.length - index));
        if (change.insert) this.text.insert(index, change.insert);
      }, LOCAL);
    }
    this.shown = textarea.value = this.text.toString();
    textarea.setSelectionRange(caret, caret);
  }

  /** Show a remote change, the caret and selection moved past it. */
  show(delta) {
    const textarea = this.textarea;
    // Kept also when the field is not focused: focus() puts the caret back
    // where the selection was.
    const start = transform(textarea.selectionStart, delta);
    const end = transform(textarea.selectionEnd, delta);
    const direction = textarea.selectionDirection;
    const scroll = textarea.scrollTop;
    this.shown = textarea.value = this.text.toString();
    textarea.setSelectionRange(start, end, direction);
    textarea.scrollTop = scroll;
  }

  queue(update) {
    if (this.readOnly) return;
    this.outbox.push(update);
    this.setStatus("saving");
    if (this.timer) return;
    const wait = Math.max(0, this.lastSent + BATCH_MS - Date.now());
    this.timer = setTimeout(() => this.flush(), wait);
  }

  flush() {
    this.timer = null;
    if (!this.outbox.length || !this.synced) return;
    const update = this.outbox.length === 1 ? this.outbox[0] : Y.mergeUpdates(this.outbox);
    this.outbox = [];
    this.lastSent = Date.now();
    // Not sent (the socket just closed): the next sync sends it.
    this.send({ type: "memo.update", update: toBase64(update) });
  }

  pending() {
    return this.outbox.length > 0 || this.unsaved;
  }

  /** The server stored everything up to state vector `sv`: saved, if that
   *  covers every change made here. */
  savedUpTo(sv) {
    if (!sv) return;
    let stored = 0;
    try {
      stored = Y.decodeStateVector(fromBase64(sv)).get(this.doc.clientID) || 0;
    } catch {
      return;
    }
    const mine = Y.encodeStateVector(this.doc);
    const made = Y.decodeStateVector(mine).get(this.doc.clientID) || 0;
    this.unsaved = stored < made;
    if (this.readOnly) return;
    if (!this.unsaved && !this.outbox.length) this.setStatus("saved");
    else if (this.status !== "saving") this.setStatus("saving");
  }

  refused(message) {
    const code = message.code;
    if (code === "memo_read_only") {
      this.setReadOnly(true);
      return;
    }
    if (code === "memo_host_only") {
      this.onAccess(false);
      this.setStatus("hidden");
      return;
    }
    this.setStatus("refused", message);
    if (["memo_too_many", "memo_unavailable", "memo_invalid_update", "memo_not_synced"].includes(code)) {
      // A fresh sync sends again whatever the server does not have.
      clearTimeout(this.resync);
      this.resync = setTimeout(() => this.connected(), RESYNC_MS);
    }
  }
}
