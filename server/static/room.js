// The meeting room's frame: the tool rail with its panels, and the stage
// that shows what the meeting is about now.
//
// The rail knows no tool by name: every button with data-tool opens the
// panel its aria-controls names (server/console/room.py declares them), so
// a new tool needs no change here. A tool's own script may listen for
// "tsunagu:panel" on document ({detail: {tool, open}}) to wake up when shown.

export class ToolRail {
  constructor(rail) {
    this.buttons = [...rail.querySelectorAll("[data-tool]")];
    for (const button of this.buttons) {
      button.addEventListener("click", () => this.toggle(button.dataset.tool));
      this.panelOf(button)
        ?.querySelector("[data-close]")
        ?.addEventListener("click", () => this.close({ focus: true }));
    }
    // Esc closes the open panel from anywhere in it or on the rail, and
    // gives the focus back to the tool's button.
    document.addEventListener("keydown", (event) => {
      if (event.key !== "Escape" || event.defaultPrevented || !this.openTool()) return;
      const panel = this.panelOf(this.buttonOf(this.openTool()));
      if (panel.contains(event.target) || rail.contains(event.target) || event.target === document.body) {
        event.preventDefault();
        this.close({ focus: true });
      }
    });
  }

  buttonOf(tool) {
    return this.buttons.find((button) => button.dataset.tool === tool);
  }

  panelOf(button) {
    return button ? document.getElementById(button.getAttribute("aria-controls")) : null;
  }

  openTool() {
    return this.buttons.find((button) => button.getAttribute("aria-expanded") === "true")?.dataset.tool || null;
  }

  /** Open a tool's panel (closing the one open: one at a time), or close it if open. */
  toggle(tool) {
    if (this.openTool() === tool) this.close();
    else this.open(tool);
  }

  open(tool) {
    const button = this.buttonOf(tool);
    if (!button) return;
    for (const other of this.buttons) if (other !== button) this.set(other, false);
    this.set(button, true);
  }

  close({ focus = false } = {}) {
    const button = this.buttonOf(this.openTool());
    if (!button) return;
    this.set(button, false);
    if (focus) button.focus();
  }

  set(button, open) {
    const was = button.getAttribute("aria-expanded") === "true";
    button.setAttribute("aria-expanded", String(open));
    this.panelOf(button).hidden = !open;
    if (was !== open) {
      document.dispatchEvent(new CustomEvent("tsunagu:panel", { detail: { tool: button.dataset.tool, open } }));
    }
  }
}

/**
 * What the stage shows: the newest capture (screen support), the guest's
 * camera (a video meeting), both side by side, a document the host shows
 * or a guest's page live (in the place of the capture, beside the camera;
 * of the two, the one turned on last), or a hint while there is nothing.
 * Its data-layout says which, for the styles and the tests.
 */
export class Stage {
  constructor({ stage, empty, capture, video, document: shown, live }) {
    Object.assign(this, { stage, empty, capture, video, shown, live });
    this.has = { capture: false, video: false, document: false, live: false };
    this.front = null; // "document" | "live": which takes the capture's place
    this.render();
  }

  set(part, on) {
    if (this.has[part] === on) return;
    this.has[part] = on;
    if ((part === "document" || part === "live") && on) this.front = part;
    else if (part === this.front) this.front = this.has.document ? "document" : this.has.live ? "live" : null;
    this.render();
  }

  render() {
    const { capture, video } = this.has;
    let layout = capture && video ? "both" : capture ? "capture" : video ? "video" : "empty";
    if (this.front) layout = video ? `${this.front}-video` : this.front;
    this.stage.dataset.layout = layout;
    this.empty.hidden = layout !== "empty";
    this.capture.hidden = !capture || Boolean(this.front);
    if (this.video) this.video.hidden = !video;
    if (this.shown) this.shown.hidden = this.front !== "document";
    if (this.live) this.live.hidden = this.front !== "live";
  }
}
