// The meeting's camera video: one peer-to-peer connection between the host
// and the guest, signaled over the meeting's live socket.
//
// Negotiation follows the "perfect negotiation" pattern: either side may
// offer at any time (a camera turned on later, an ICE restart), and when
// both offer at once the polite side (the guest) gives way. Each page has a
// session id; a hello carries it, and every other message names both
// sessions, so messages meant for a page that has since reloaded are
// dropped instead of confusing the new one.

const WATCHDOG_MS = 15000;
const CAMERA = { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 24 } };

function newSession() {
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join("");
}

export class VideoCall {
  /**
   * @param {object} o
   * @param {() => Promise<object>} o.setup   resolves to {peer, ice_servers, audio}
   * @param {(message: object) => boolean} o.send  sends on the live socket
   * @param {boolean} o.polite                 the guest is polite, the host is not
   * @param {string} o.firstPeer               whom to greet first ("host" or "guests")
   * @param {HTMLElement} o.stage              holds video.local and video.remote; gets data-* state
   * @param {(key: string) => void} o.onStatus  a status key: connecting, connected, ...
   * @param {(kind: string, data: object) => void} [o.onSignal]  camera requests, the other camera's state
   * @param {boolean} [o.cameraAtStart]  open our camera on start (the guest); otherwise it opens
   *   when the other side's page says hello (a guest who can show video), or when turned on
   */
  constructor({ setup, send, polite, firstPeer, stage, onStatus, onSignal = () => {}, cameraAtStart = true }) {
    Object.assign(this, { setupCall: setup, sendRaw: send, polite, firstPeer, stage, onStatus, onSignal });
    this.cameraAtStart = cameraAtStart;
    this.cameraChosen = false; // the person turned the camera on or off themselves
    this.local = stage.querySelector("video.local");
    this.remote = stage.querySelector("video.remote");
    this.session = newSession();
    this.peer = null; // who the other side is ("host", "guest-17")
    this.peerSession = null;
    this.pc = null;
    this.stream = null; // our camera
    this.cameraOn = false;
    this.facing = "user";
    this.queue = Promise.resolve();
    this.ended = false;
    if (!cameraAtStart) this.stage.dataset.camera = "off";
  }

  /** Set up (ICE servers, camera) and greet the other side; once. */
  start() {
    this.starting ??= (async () => {
      this.config = await this.setupCall();
      // Voice is on the phone; with no audio to play, a muted video may autoplay.
      this.remote.muted = !this.config.audio;
      if (this.cameraAtStart) await this.startCamera();
      this.greet();
    })();
    return this.starting;
  }

  /** Say hello (again): on start and whenever the live socket reconnects. */
  greet() {
    if (this.ended || !this.config) return;
    this.sendRaw({
      type: "signal",
      to: this.peer || this.firstPeer,
      data: { kind: "hello", session: this.session, to_session: this.peerSession },
    });
  }

  signal(kind, extra = {}) {
    if (!this.peer || this.ended) return;
    this.sendRaw({
      type: "signal",
      to: this.peer,
      data: { kind, session: this.session, to_session: this.peerSession, ...extra },
    });
  }

  /** A signal from the live socket; handled one at a time, in order, and
   * only once set-up is done (a hello may come while it is under way). */
  receive(message) {
    this.queue = this.queue
      .then(() => this.starting)
      .then(() => this.handle(message))
      .catch((error) => console.warn("signal", error));
  }

  /** After the live socket reconnected: signals sent meanwhile are lost,
   * so a call that is not up starts over with a new session. */
  resync() {
    if (!this.config || this.ended || this.stage.dataset.state === "connected") return;
    this.restart();
  }

  /** A new session: the other side sees a new page and connects afresh. */
  restart() {
    this.session = newSession();
    this.peerSession = null;
    this.closePc();
    this.greet();
  }

  async handle({ from, data }) {
    if (this.ended || !data || !this.config) return;
    if (data.kind === "hello") return this.hello(from, data);
    // Only the current other page, writing to this page.
    if (from !== this.peer || data.session !== this.peerSession || data.to_session !== this.session) return;
    if (data.kind === "description") await this.description(data.description);
    else if (data.kind === "candidate") await this.candidate(data.candidate);
    else if (data.kind === "camera") {
      this.setRemoteCamera(Boolean(data.on));
      this.onSignal("camera", data);
    } else if (data.kind === "bye") this.peerGone();
    else this.onSignal(data.kind, data);
  }

  hello(from, data) {
    if (!this.accepts(from)) return;
    if (from === this.peer && data.session === this.peerSession) return;
    // A new page on the other side: a fresh connection with it. Greet it
    // back first, so it knows this page before any offer arrives.
    this.peer = from;
    this.peerSession = data.session;
    this.greet();
    this.connect();
    // Someone who can show video is here: our camera opens for them (unless
    // the person here chose otherwise). Not awaited: the connection comes up
    // meanwhile, and the camera joins it when it opens (a permission prompt
    // may take a while).
    if (!this.cameraAtStart && !this.cameraChosen && !this.cameraOn && !this.cameraOpening) {
      this.cameraOpening = this.startCamera().finally(() => {
        this.cameraOpening = null;
      });
    }
  }

  // -- one guest on video among several (see followVideoGuest) --------------

  /** Whether a hello from `from` may start a connection: anyone until the
   * page says whom to keep to (the server routes only that guest anyway;
   * this drops a greeting still on its way from the one before). */
  accepts(from) {
    return this.keepTo === undefined || from === this.keepTo;
  }

  /** Keep to `peer` ("guest-<id>", or null for nobody): a connection with
   * anyone else is dropped and the new peer greeted. */
  keepToPeer(peer) {
    if (peer === this.keepTo) return;
    const switched = this.keepTo !== undefined || (this.peer !== null && this.peer !== peer);
    this.keepTo = peer;
    if (this.peer !== null && this.peer !== peer) this.peerGone();
    // The new guest's page greets us too; greeting it as well saves waiting.
    if (switched && peer && this.config && !this.ended) this.restart();
  }

  connect() {
    this.closePc();
    const pc = new RTCPeerConnection({ iceServers: this.config.ice_servers });
    this.pc = pc;
    // A connection that has not come up after a while starts over, rather
    // than leaving both sides "connecting" for ever.
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      if (pc === this.pc && pc.connectionState !== "connected") this.restart();
    }, WATCHDOG_MS);
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.answerPending = false;
    pc.addEventListener("negotiationneeded", async () => {
      try {
        this.makingOffer = true;
        await pc.setLocalDescription();
        this.signal("description", { description: pc.localDescription.toJSON() });
      } catch (error) {
        console.warn("offer", error);
      } finally {
        this.makingOffer = false;
      }
    });
    pc.addEventListener("icecandidate", ({ candidate }) => {
      this.signal("candidate", { candidate: candidate ? candidate.toJSON() : null });
    });
    pc.addEventListener("track", ({ track, streams }) => {
      this.remote.srcObject = streams[0] || new MediaStream([track]);
      this.stage.dataset.remoteVideo = "on";
      track.addEventListener("ended", () => {
        this.stage.dataset.remoteVideo = "off";
      });
    });
    pc.addEventListener("iceconnectionstatechange", () => {
      // A phone switching networks: gather new candidates and carry on.
      if (pc.iceConnectionState === "failed") pc.restartIce();
    });
    pc.addEventListener("connectionstatechange", () => this.connectionChanged(pc));
    this.senders = {};
    // Only the impolite side (the host) starts negotiating; the polite one
    // attaches its camera to the first offer it answers. Both offering at
    // once at the start, though perfect negotiation resolves it, leaves
    // Chromium's rolled-back side without ICE candidates now and then.
    if (!this.polite) {
      this.attachTracks();
      // No camera here: still offer, to receive the guest's.
      if (!this.senders.video) pc.addTransceiver("video", { direction: "recvonly" });
    }
    this.setState("connecting");
  }

  connectionChanged(pc) {
    if (pc !== this.pc) return;
    const state = pc.connectionState;
    if (state === "connected") {
      this.setState("connected");
      this.signal("camera", { on: this.cameraOn });
    } else if (state === "disconnected") {
      this.setState("reconnecting");
    } else if (state === "failed") {
      this.setState("failed");
      pc.restartIce();
    } else if (state === "connecting" || state === "new") {
      this.setState("connecting");
    }
  }

  async description(description) {
    const pc = this.pc;
    if (!pc) return;
    // Each await below may find this connection replaced: stop if so.
    const ready = !this.makingOffer && (pc.signalingState === "stable" || this.answerPending);
    const collision = description.type === "offer" && !ready;
    this.ignoreOffer = !this.polite && collision;
    if (this.ignoreOffer) return;
    this.answerPending = description.type === "answer";
    await pc.setRemoteDescription(description);
    this.answerPending = false;
    if (pc !== this.pc) return;
    if (description.type === "offer") {
      this.attachTracks(); // our camera goes out in this answer
      await pc.setLocalDescription();
      if (pc !== this.pc) return;
      this.signal("description", { description: pc.localDescription.toJSON() });
    }
  }

  async candidate(candidate) {
    if (!this.pc) return;
    try {
      await this.pc.addIceCandidate(candidate || undefined);
    } catch (error) {
      if (!this.ignoreOffer) throw error;
    }
  }

  setState(state) {
    this.stage.dataset.state = state;
    this.onStatus(state);
  }

  setRemoteCamera(on) {
    this.stage.dataset.remoteCamera = on ? "on" : "off";
  }

  peerGone() {
    this.closePc();
    this.peer = null;
    this.peerSession = null;
    this.remote.srcObject = null;
    this.stage.dataset.remoteVideo = "off";
    this.setState("waiting");
  }

  closePc() {
    clearTimeout(this.watchdog);
    if (this.pc) {
      this.pc.close();
      this.pc = null;
    }
  }

  // -- our camera ------------------------------------------------------------

  async startCamera() {
    let trouble = null;
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        video: { ...CAMERA, facingMode: this.facing },
        audio: Boolean(this.config.audio),
      });
      if (this.ended) {
        for (const track of stream.getTracks()) track.stop();
        return;
      }
      this.useStream(stream);
      this.stage.dataset.camera = "on";
      this.cameraOn = true;
    } catch (error) {
      // Denied, no camera, or in use elsewhere: the call goes on without
      // our picture, and the page says why and offers to try again.
      trouble = error && error.name === "NotAllowedError" ? "denied" : "missing";
      this.stage.dataset.camera = trouble;
      this.cameraOn = false;
    }
    // Why it stayed off, so the other side can tell a request was answered.
    this.signal("camera", { on: this.cameraOn, ...(trouble ? { trouble } : {}) });
  }

  /** Send our live tracks: on the sender of their kind (a new track on it
   * needs no renegotiation), or, for a first track of a kind, a new one
   * (the camera allowed only now; perfect negotiation handles the offer). */
  attachTracks() {
    if (!this.pc || !this.stream) return;
    for (const track of this.stream.getTracks()) {
      if (track.readyState !== "live") continue;
      const sender = this.senders[track.kind];
      if (sender) {
        if (sender.track !== track) sender.replaceTrack(track);
      } else {
        this.senders[track.kind] = this.pc.addTrack(track, this.stream);
      }
    }
  }

  useStream(stream) {
    const old = this.stream;
    this.stream = stream;
    this.local.srcObject = stream;
    // The polite side attaches when it answers; before its first answer
    // there is nothing to attach to.
    if (this.pc && (!this.polite || this.pc.remoteDescription)) this.attachTracks();
    if (old) for (const track of old.getTracks()) if (!stream.getTracks().includes(track)) track.stop();
  }

  /** Camera off stops it (the camera light goes out); on starts it again. */
  async setCamera(on) {
    this.cameraChosen = true;
    if (on === this.cameraOn) return;
    if (!on) {
      for (const track of this.stream ? this.stream.getVideoTracks() : []) track.stop();
      if (this.pc && this.senders.video) await this.senders.video.replaceTrack(null);
      this.cameraOn = false;
      this.stage.dataset.camera = "off";
      this.signal("camera", { on: false });
      return;
    }
    await this.startCamera();
  }

  async switchCamera() {
    if (!this.cameraOn) return;
    const previous = this.facing;
    this.facing = previous === "user" ? "environment" : "user";
    // Many phones open one camera at a time: let go of this one first.
    for (const track of this.stream ? this.stream.getVideoTracks() : []) track.stop();
    this.cameraOn = false;
    await this.startCamera();
    if (!this.cameraOn) {
      this.facing = previous; // that camera would not open: back to this one
      await this.startCamera();
    }
  }

  /** Leave the call: every connection closed, every camera stopped. */
  end() {
    if (this.ended) return;
    this.signal("bye");
    this.ended = true;
    clearTimeout(this.watchdog);
    this.closePc();
    for (const track of this.stream ? this.stream.getTracks() : []) track.stop();
    this.local.srcObject = null;
    this.remote.srcObject = null;
    this.cameraOn = false;
    this.stage.dataset.camera = "off";
    this.stage.dataset.remoteVideo = "off";
    this.setState("ended");
  }
}

/**
 * Keep the host's call on the guest the host picked: the guest list
 * (guests.js) announces who is on video with each "tsunagu:guests".
 */
export function followVideoGuest(call) {
  document.addEventListener("tsunagu:guests", ({ detail }) => {
    call.keepToPeer(detail.video_guest_id ? `guest-${detail.video_guest_id}` : null);
  });
}

/**
 * The camera buttons under a stage (camera on/off, switch, retry) and its
 * status line, kept in step with the call's state.
 */
export function bindControls(call, T, status) {
  const $ = (id) => document.getElementById(id);
  const toggle = $("camera-toggle");
  const switcher = $("camera-switch");
  const retry = $("camera-retry");
  const note = $("camera-note");
  const stage = call.stage;
  const render = () => {
    const camera = stage.dataset.camera;
    const on = camera === "on";
    const trouble = camera === "denied" || camera === "missing";
    toggle.setAttribute("aria-pressed", String(on));
    toggle.textContent = on ? toggle.dataset.on : toggle.dataset.off;
    toggle.hidden = trouble || camera === "starting";
    retry.hidden = !trouble;
    note.hidden = !trouble;
    note.textContent = trouble ? T[`video.camera_${camera}`] : "";
    switcher.disabled = !on;
  };
  new MutationObserver(render).observe(stage, { attributes: true });
  toggle.addEventListener("click", () => call.setCamera(stage.dataset.camera !== "on"));
  retry.addEventListener("click", () => call.setCamera(true));
  switcher.addEventListener("click", () => call.switchCamera());
  call.onStatus = (state) => {
    status.textContent = T[`video.state.${state}`] || "";
    // Front and back cameras: only worth a button where there are two.
    navigator.mediaDevices?.enumerateDevices?.().then((devices) => {
      switcher.hidden = devices.filter((d) => d.kind === "videoinput").length < 2;
    });
  };
  render();
}
