// Telling the host that a capture arrived, wherever they are looking: the
// tab's title counts the captures not seen yet ("(2) ミーティング #12"),
// until the host comes back to the tab; a screen reader hears each one;
// and, if the host turned it on, a short chime plays (made with WebAudio,
// no sound file). The chime's setting is kept in this browser.

import { format } from "/static/live.js";

const CHIME_KEY = "tsunagu.chime";

export class Arrivals {
  constructor({ strings, announcer, chimeButton }) {
    this.T = strings;
    this.announcer = announcer;
    this.title = document.title;
    this.unseen = 0;
    // The host looks at this page while it is shown and has the focus.
    this.looking = document.visibilityState === "visible" && document.hasFocus();
    const update = () => {
      this.looking = document.visibilityState === "visible" && document.hasFocus();
      if (this.looking) this.seen();
    };
    window.addEventListener("focus", update);
    window.addEventListener("blur", update);
    document.addEventListener("visibilitychange", update);
    this.chimeButton = chimeButton;
    if (chimeButton) {
      this.renderChime();
      chimeButton.addEventListener("click", () => {
        this.setChime(!this.chimeOn());
        if (this.chimeOn()) this.chime(); // so the host hears what it will sound like
      });
    }
  }

  /** A capture arrived live (not one already there when the page loaded). */
  arrived(capture) {
    this.announcer.textContent = format(this.T["room.js.new_capture"], {
      title: capture.title || this.T["meeting.js.no_title"],
    });
    if (!this.looking) {
      this.unseen += 1;
      document.title = `(${this.unseen}) ${this.title}`;
    }
    if (this.chimeOn()) this.chime();
  }

  seen() {
    this.unseen = 0;
    document.title = this.title;
  }

  chimeOn() {
    try {
      return localStorage.getItem(CHIME_KEY) === "on";
    } catch {
      return false; // storage blocked: no chime rather than an error
    }
  }

  setChime(on) {
    try {
      localStorage.setItem(CHIME_KEY, on ? "on" : "off");
    } catch {
      // Storage blocked: the setting lasts only as long as the button says.
    }
    this.renderChime();
  }

  renderChime() {
    this.chimeButton.setAttribute("aria-pressed", String(this.chimeOn()));
  }

  /** Two soft notes, a fifth apart, fading out in under half a second. */
  chime() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    this.audio ??= new Context();
    const audio = this.audio;
    // A context made before any click may start suspended (autoplay rules).
    if (audio.state === "suspended") audio.resume().catch(() => {});
    const start = audio.currentTime + 0.01;
    [880, 1318.5].forEach((frequency, index) => {
      const at = start + index * 0.12;
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.type = "sine";
      tone.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.2, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.35);
      tone.connect(gain).connect(audio.destination);
      tone.start(at);
      tone.stop(at + 0.4);
    });
  }
}
