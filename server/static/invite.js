// Inviting the guest by link, beside a meeting: send it by SMS (again),
// copy it, show it as a QR code, and follow each SMS's delivery live.

import { api, format } from "/static/live.js";

export class InvitePanel {
  constructor({ meetingId, strings }) {
    this.id = meetingId;
    this.T = strings;
    this.$ = (id) => document.getElementById(id);
    this.asked = 0;
    this.link = null;
    this.clock = new Intl.DateTimeFormat(document.documentElement.lang, { timeStyle: "short" });
    this.$("sms-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.send();
    });
    this.$("copy-link").addEventListener("click", () => this.copy());
    this.$("toggle-qr").addEventListener("click", () => this.toggleQr());
    this.refresh();
    if (location.hash === "#invite") this.share();
  }

  /**
   * Arriving from the dashboard's link-only start (/meetings/N#invite): the
   * host wants a link to read out and a QR code to show, not another click.
   * The fragment goes, so a reload does not make yet another link.
   */
  async share() {
    history.replaceState(null, "", location.pathname + location.search);
    try {
      this.$("qr").src = (await this.newLink()).qr_svg_url;
    } catch (error) {
      this.$("sms-state").textContent = error.message;
      return;
    }
    this.showQr(true);
    this.$("qr-box").scrollIntoView({ block: "nearest" });
  }

  /** A live event of the meeting: SMS status changes redraw the list. */
  apply(event) {
    if (event.type === "sms.status") this.refresh();
  }

  ended() {
    this.$("invite-controls").hidden = true;
    this.$("qr-box").hidden = true;
  }

  statusText(status) {
    return this.T[`sms.status.${status}`] || status;
  }

  explain(code) {
    if (!code) return "";
    return this.T[`sms.error.${code}`] || format(this.T["sms.error.other"], { code });
  }

  async refresh() {
    // Events come in bursts (queued, sent, delivered): draw the newest answer only.
    const mine = ++this.asked;
    const result = await api(`/api/v1/meetings/${this.id}/sms`).catch(() => null);
    if (!result?.ok || mine !== this.asked) return;
    const { messages, preview, segments } = result.data;
    this.$("sms-preview").textContent = preview;
    this.$("sms-segments").textContent = `(${format(this.T["sms.segments"], { count: segments })})`;
    const list = this.$("sms-list");
    if (!messages.length) {
      const none = document.createElement("li");
      none.className = "muted";
      none.textContent = this.T["meeting.js.no_sms"];
      list.replaceChildren(none);
      return;
    }
    list.replaceChildren(
      ...messages
        .slice()
        .reverse()
        .map((message) => {
          const item = document.createElement("li");
          item.dataset.sms = message.id;
          item.dataset.status = message.status;
          const to = document.createElement("strong");
          to.textContent = message.to;
          const time = document.createElement("time");
          time.dateTime = message.created_at;
          time.textContent = this.clock.format(new Date(message.created_at));
          const badge = document.createElement("span");
          const bad = ["failed", "undelivered", "canceled"].includes(message.status);
          const good = ["delivered", "read", "outbox"].includes(message.status);
          badge.className = `badge ${bad ? "badge-bad" : good ? "badge-ok" : "badge-off"}`;
          badge.textContent = this.statusText(message.status);
          item.append(to, " ", time, " ", badge);
          if (message.error_code) {
            const why = document.createElement("span");
            why.className = "sms-why";
            why.textContent = this.explain(message.error_code);
            item.append(why);
          }
          return item;
        }),
    );
  }

  async send() {
    const input = this.$("sms-phone");
    const button = this.$("sms-form").querySelector("button");
    const error = this.$("sms-error");
    error.hidden = true;
    button.disabled = true;
    try {
      const result = await api(`/api/v1/meetings/${this.id}/sms`, {
        method: "POST",
        body: { phone: input.value },
      });
      if (!result.ok) {
        error.textContent = result.data?.error?.message || this.T["meeting.js.network"];
        error.hidden = false;
        return;
      }
      input.value = "";
      this.$("sms-state").textContent =
        result.data.provider === "outbox" ? this.T["meeting.js.sms_outbox"] : this.T["meeting.js.sms_sent"];
      this.refresh();
    } catch {
      error.textContent = this.T["meeting.js.network"];
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  }

  /** A new link: each admits one guest's phone, so every copy or QR is fresh. */
  async newLink() {
    const result = await api(`/api/v1/meetings/${this.id}/links`, { method: "POST" });
    if (!result.ok) throw new Error(result.data?.error?.message || this.T["meeting.js.network"]);
    this.link = result.data;
    this.$("link-url").textContent = this.link.url;
    this.$("link-expiry").textContent = format(this.T["meeting.js.link_expires"], {
      time: this.clock.format(new Date(this.link.expires_at)),
    });
    return this.link;
  }

  async copy() {
    const state = this.$("sms-state");
    const pending = this.newLink();
    try {
      if (window.ClipboardItem && navigator.clipboard.write) {
        // Handing the clipboard a promise keeps the click's permission
        // while the link is made (Safari refuses a write after an await).
        const blob = pending.then((link) => new Blob([link.url], { type: "text/plain" }));
        await navigator.clipboard.write([new ClipboardItem({ "text/plain": blob })]);
      } else {
        await navigator.clipboard.writeText((await pending).url);
      }
      state.textContent = this.T["meeting.js.copied"];
    } catch {
      const made = await pending.catch((failure) => failure);
      state.textContent = made instanceof Error ? made.message : this.T["meeting.js.copy_failed"];
    }
  }

  async toggleQr() {
    const box = this.$("qr-box");
    if (box.hidden) {
      try {
        this.$("qr").src = (await this.newLink()).qr_svg_url;
      } catch (error) {
        this.$("sms-state").textContent = error.message;
        return;
      }
    }
    this.showQr(box.hidden);
  }

  showQr(shown) {
    const button = this.$("toggle-qr");
    this.$("qr-box").hidden = !shown;
    button.setAttribute("aria-expanded", String(shown));
    button.textContent = shown ? button.dataset.hide : button.dataset.show;
  }
}
