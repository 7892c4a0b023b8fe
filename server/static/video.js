// The meeting's camera video: one peer-to-peer connection between the host
// and the guest, signaled over the meeting's live socket.
//
// Negotiation follows the "perfect negotiation" pattern: either side may
// offer at any time (a camera turned on later, an ICE restart), and when
// both offer at once the polite side (the guest) gives way. Each page has a
// session id; a hello carries it, and every other message names both
// sessions, so messages meant for a page that has since reloaded are
// dropped instead of confusing the new one.
//
// A connection that cannot come up says so, with its cause: TURN refusing
// the credentials (icecandidateerror 401), a TURN or STUN server that cannot
// be reached (701), no candidate at all once gathering is complete, or
// nothing connected after CONNECT_TIMEOUT_MS. Every new connection and every
// ICE restart asks the server for the ICE servers again, so TURN credentials
// are never older than their TSUNAGU_TURN_TTL.

// Not up after this long: the page says the video cannot connect.
const CONNECT_TIMEOUT_MS = 10000;
// ... and tries again, from scratch, this often until it does.
const WATCHDOG_MS = 15000;
const CAMERA = { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 24 } };
// What the host's 「高画質」 asks of the guest's camera.
const HIGH_QUALITY = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 24 } };
// The host's chosen camera and microphone, per browser.
const DEVICES_KEY = "tsunagu.video.devices";

// Why a connection could not come up (video.failed.<cause> in the catalogs).
const CAUSES = ["turn_auth", "unreachable", "no_route"];

function newSession() {
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Why a connection could not come up, from the ICE errors seen while gathering. */
export function failureCause(errorCodes) {
  if (errorCodes.has(401)) return "turn_auth";
  if (errorCodes.has(701)) return "unreachable";
  return "no_route";
}

export function rememberedDevices() {
  try {
    return JSON.parse(localStorage.getItem(DEVICES_KEY)) || {};
  } catch {
    return {};
  }
}

/** The call's local or remote streams (or their tracks) changed: the
 * recording's voice mix (recording.js) follows. */
function streamsChanged() {
  document.dispatchEvent(new CustomEvent("tsunagu:streams"));
}

/** Our screen share started, paused, resumed or stopped (``by`` "browser"
 * when the browser's own 「共有を停止」 bar ended it): screen_share.js
 * records it in the meeting's timeline and follows with its buttons. */
function screenChanged(state, by = "page") {
  document.dispatchEvent(new CustomEvent("tsunagu:screen", { detail: { state, by } }));
}

export class VideoCall {
  /** The page's call while it runs (one a page): what other modules of the
   * page (screen_share.js) act on. */
  static current = null;

  /**
   * @param {object} o
   * @param {() => Promise<object>} o.setup   resolves to {peer, ice_servers, ice_transport_policy, audio}
   * @param {(message: object) => boolean} o.send  sends on the live socket
   * @param {boolean} o.polite                 the guest is polite, the host is not
   * @param {string} o.firstPeer               whom to greet first ("host" or "guests")
   * @param {HTMLElement} o.stage              holds video.local and video.remote; gets data-* state
   * @param {(key: string) => void} o.onStatus  a status key: connecting, connected, ...
   * @param {(kind: string, data: object) => void} [o.onSignal]  camera requests, the other camera's state
   * @param {boolean} [o.cameraAtStart]  open our camera on start (the guest); otherwise it opens
   *   when the other side's page says hello (a guest who can show video), or when turned on
   */
  constructor({
    setup,
    send,
    polite,
    firstPeer,
    stage,
    onStatus,
    onSignal = () => {},
    cameraAtStart = true,
  }) {
    Object.assign(this, { setupCall: setup, sendRaw: send, polite, firstPeer, stage, onStatus, onSignal });
    this.cameraAtStart = cameraAtStart;
    // The host's camera and microphone are the ones picked in this browser
    // (the devices tool); a guest's phone uses its front camera.
    this.useChosenDevices = !polite;
    this.cameraChosen = false; // the person turned the camera on or off themselves
    this.local = stage.querySelector("video.local");
    this.remote = stage.querySelector("video.remote");
    this.session = newSession();
    this.peer = null; // who the other side is ("host", "guest-17")
    this.peerSession = null;
    this.pc = null;
    this.stream = null; // our camera (and microphone, with browser audio)
    this.cameraOn = false;
    this.microphoneOn = true; // unmuted, when there is a microphone
    this.facing = "user";
    this.quality = CAMERA;
    this.queue = Promise.resolve();
    this.ended = false;
    this.failure = null; // why the video cannot connect, while it cannot
    // Our shared screen ({track, paused}) while we share one: it goes out on
    // the video sender in place of the camera (see outgoingVideo).
    this.screen = null;
    // The stream every track we send is announced in: one, so the other
    // side gets one stream whichever tracks (camera, microphone, screen)
    // come and go.
    this.sendStream = new MediaStream();
    if (!cameraAtStart) this.stage.dataset.camera = "off";
    VideoCall.current = this;
    // This page closes (a reload, another page): the other side is told at
    // once, so it does not keep our last frame (or our shared screen) on
    // its stage until the connection times out. A page kept for the back
    // button (persisted) may come back, and keeps its call.
    window.addEventListener("pagehide", (event) => {
      if (!event.persisted && this.peer) this.signal("bye");
    });
  }

  /** Set up (ICE servers, camera) and greet the other side; once. */
  start() {
    this.starting ??= (async () => {
      this.config = await this.setupCall();
      this.configFresh = true;
      this.setAudioFlag(Boolean(this.config.audio));
      if (this.cameraAtStart) await this.startCamera();
      this.greet();
    })();
    return this.starting;
  }

  /** The ICE servers (with TURN credentials) asked for again; the last ones
   * if the server cannot be reached just now. The first connection uses the
   * ones fetched on start. */
  async freshConfig() {
    if (this.configFresh) {
      this.configFresh = false;
      return this.config;
    }
    try {
      this.config = await this.setupCall();
    } catch (error) {
      console.warn("video: could not refresh the ICE servers", error);
    }
    return this.config;
  }

  rtcConfiguration() {
    return {
      iceServers: this.config.ice_servers,
      iceTransportPolicy: this.config.ice_transport_policy === "relay" ? "relay" : "all",
    };
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

  /** 「ライブの再読み込み」: a frozen picture gets a new connection, with fresh
   * credentials, on both sides. */
  reload() {
    if (!this.config || this.ended) return;
    this.queue = this.queue.then(() => this.restart());
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
    } else if (data.kind === "microphone") {
      this.stage.dataset.remoteMicrophone = data.on ? "on" : "off";
      this.onSignal("microphone", data);
    } else if (data.kind === "trouble") {
      // The other side cannot connect either: its cause, for the host to name.
      this.peerFailure = CAUSES.includes(data.cause) ? data.cause : null;
      this.onSignal("trouble", data);
    } else if (data.kind === "screen") {
      this.setRemoteScreen(data.state);
      this.onSignal("screen", data);
    } else if (data.kind === "high-quality") await this.setQuality(HIGH_QUALITY);
    else if (data.kind === "stop-camera") {
      await this.setCamera(false);
      this.stage.dataset.cameraStoppedBy = "host";
      this.onSignal("stop-camera", data);
    } else if (data.kind === "bye") this.peerGone();
    else this.onSignal(data.kind, data);
  }

  async hello(from, data) {
    if (!this.accepts(from)) return;
    if (from === this.peer && data.session === this.peerSession) return;
    // A new page on the other side: a fresh connection with it. Greet it
    // back first, so it knows this page before any offer arrives. What the
    // page before it showed is gone with it: no screen it shared stays
    // marked, and no last frame of it stays on the stage (its "bye" may
    // have been lost).
    if (this.peerSession !== null) this.forgetRemote();
    this.peer = from;
    this.peerSession = data.session;
    this.greet();
    await this.connect();
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

  async connect() {
    this.closePc();
    const session = this.session;
    await this.freshConfig();
    // Replaced or ended while the servers were asked for.
    if (this.ended || session !== this.session || this.pc || !this.peer) return;
    const pc = new RTCPeerConnection(this.rtcConfiguration());
    this.pc = pc;
    // A connection that has not come up after a while says so (the
    // failure stays shown until one does), and starts over later, rather
    // than leaving both sides "connecting" for ever.
    const gathering = { candidates: 0, errors: new Set() };
    this.gathering = gathering;
    clearTimeout(this.connectTimer);
    this.connectTimer = setTimeout(() => {
      if (pc !== this.pc || pc.connectionState === "connected") return;
      // Not one candidate in all this time, and no error: the servers never
      // answered (a browser reports 701 only after its own, longer, timeout).
      const silent = gathering.errors.size === 0 && gathering.candidates === 0;
      this.fail(pc, silent && this.config.ice_servers.length ? "unreachable" : failureCause(gathering.errors));
    }, CONNECT_TIMEOUT_MS);
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
    pc.addEventListener("icegatheringstatechange", () => {
      // A new round (an ICE restart): count its candidates afresh.
      if (pc.iceGatheringState === "gathering") gathering.candidates = 0;
    });
    pc.addEventListener("icecandidateerror", (event) => {
      // 401: TURN refused the credentials; 701: a server could not be
      // reached. Neither alone means failure (another server may work), so
      // they are kept to name the cause if nothing else does.
      gathering.errors.add(event.errorCode);
      console.warn(`video: ICE server ${event.url} answered ${event.errorCode} ${event.errorText}`);
    });
    pc.addEventListener("icecandidate", ({ candidate }) => {
      if (candidate?.candidate) gathering.candidates += 1;
      this.signal("candidate", { candidate: candidate ? candidate.toJSON() : null });
      // Gathering is complete: with no candidate at all nothing can ever
      // connect (Chromium never reports "failed" then).
      if (!candidate && gathering.candidates === 0 && pc.connectionState !== "connected") {
        this.fail(pc, failureCause(gathering.errors));
      }
    });
    pc.addEventListener("track", ({ track, streams }) => {
      const stream = streams[0] || new MediaStream([track]);
      if (this.remote.srcObject !== stream) this.remote.srcObject = stream;
      streamsChanged();
      if (track.kind !== "video") return;
      this.stage.dataset.remoteVideo = "on";
      track.addEventListener("ended", () => {
        this.stage.dataset.remoteVideo = "off";
      });
    });
    pc.addEventListener("iceconnectionstatechange", () => {
      // A phone switching networks: gather new candidates and carry on.
      if (pc.iceConnectionState === "failed") this.restartIce(pc);
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
      if (this.config.audio && !this.senders.audio) pc.addTransceiver("audio", { direction: "recvonly" });
    }
    this.setState("connecting");
  }

  /** An ICE restart on this connection, with fresh credentials. */
  async restartIce(pc) {
    if (this.restartingIce === pc) return;
    this.restartingIce = pc;
    try {
      await this.freshConfig();
      if (pc !== this.pc) return;
      pc.setConfiguration(this.rtcConfiguration());
      pc.restartIce();
    } catch (error) {
      console.warn("video: ICE restart", error);
    } finally {
      if (this.restartingIce === pc) this.restartingIce = null;
    }
  }

  /** The video cannot connect: say why (it stays said until it connects). */
  fail(pc, cause) {
    if (pc !== this.pc || this.ended) return;
    const named = cause === "no_route" && this.peerFailure ? this.peerFailure : cause;
    if (this.failure !== named) {
      console.warn(`video: cannot connect (${named})`);
      this.signal("trouble", { cause: named });
    }
    this.failure = named;
    this.stage.dataset.failure = named;
    this.setState("failed");
  }

  connectionChanged(pc) {
    if (pc !== this.pc) return;
    const state = pc.connectionState;
    if (state === "connected") {
      clearTimeout(this.connectTimer);
      this.failure = null;
      this.peerFailure = null;
      delete this.stage.dataset.failure;
      this.setState("connected");
      this.signal("camera", { on: this.cameraOn });
      if (this.hasMicrophone()) this.signal("microphone", { on: this.microphoneOn });
      if (this.screen) this.signal("screen", { state: this.screenState() });
    } else if (state === "disconnected") {
      this.setState("reconnecting");
    } else if (state === "failed") {
      this.fail(pc, failureCause(this.gathering?.errors || new Set()));
      this.restartIce(pc);
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
    // Still trying after a failure: the failure stays on screen.
    const shown = this.failure && (state === "connecting" || state === "reconnecting") ? "failed" : state;
    this.stage.dataset.state = shown;
    this.onStatus(shown);
  }

  setRemoteCamera(on) {
    this.stage.dataset.remoteCamera = on ? "on" : "off";
  }

  /** The other side shares its screen ("on"), has paused it ("paused": no
   * picture comes, the last one stays under a 「一時停止中」 note), or
   * stopped ("off"). */
  setRemoteScreen(state) {
    if (state === "on" || state === "paused") this.stage.dataset.remoteScreen = state;
    else delete this.stage.dataset.remoteScreen;
  }

  peerGone() {
    this.closePc();
    this.peer = null;
    this.peerSession = null;
    this.failure = null;
    this.peerFailure = null;
    delete this.stage.dataset.failure;
    this.forgetRemote();
    this.setState("waiting");
  }

  /** The other page's picture, microphone and shared screen, no longer shown. */
  forgetRemote() {
    this.remote.srcObject = null;
    this.stage.dataset.remoteVideo = "off";
    delete this.stage.dataset.remoteMicrophone;
    delete this.stage.dataset.remoteScreen;
  }

  closePc() {
    clearTimeout(this.watchdog);
    clearTimeout(this.connectTimer);
    if (this.pc) {
      this.pc.close();
      this.pc = null;
    }
  }

  // -- our camera and microphone -----------------------------------------------

  /** Whether this meeting sends browser audio: a microphone is asked for
   * only then (otherwise voice stays on the phone). */
  setAudioFlag(audio) {
    this.audio = audio;
    this.remote.muted = !audio; // with no audio to play, a muted video may autoplay
    this.stage.dataset.audio = audio ? "on" : "off";
  }

  hasMicrophone() {
    return Boolean(this.stream?.getAudioTracks().some((t) => t.readyState === "live"));
  }

  videoConstraints() {
    const chosen = this.useChosenDevices ? rememberedDevices().camera : null;
    return chosen ? { ...this.quality, deviceId: { exact: chosen } } : { ...this.quality, facingMode: this.facing };
  }

  audioConstraints() {
    const chosen = this.useChosenDevices ? rememberedDevices().microphone : null;
    return chosen ? { deviceId: { exact: chosen } } : true;
  }

  async startCamera() {
    let trouble = null;
    try {
      let stream;
      try {
        stream = await navigator.mediaDevices.getUserMedia({
          video: this.videoConstraints(),
          audio: this.audio ? this.audioConstraints() : false,
        });
      } catch (error) {
        // A remembered device that is gone: the default one instead.
        if (error?.name !== "OverconstrainedError" && error?.name !== "NotFoundError") throw error;
        if (!this.useChosenDevices) throw error;
        stream = await navigator.mediaDevices.getUserMedia({
          video: { ...this.quality, facingMode: this.facing },
          audio: Boolean(this.audio),
        });
      }
      if (this.ended) {
        for (const track of stream.getTracks()) track.stop();
        return;
      }
      for (const track of stream.getAudioTracks()) track.enabled = this.microphoneOn;
      this.useStream(stream);
      this.stage.dataset.camera = "on";
      delete this.stage.dataset.cameraStoppedBy;
      this.cameraOn = true;
    } catch (error) {
      // Denied, no camera, or in use elsewhere: the call goes on without
      // our picture, and the page says why and offers to try again.
      trouble = error && error.name === "NotAllowedError" ? "denied" : "missing";
      this.stage.dataset.camera = trouble;
      this.cameraOn = false;
    }
    this.showMicrophone();
    // Why it stayed off, so the other side can tell a request was answered.
    this.signal("camera", { on: this.cameraOn, ...(trouble ? { trouble } : {}) });
    if (this.hasMicrophone()) this.signal("microphone", { on: this.microphoneOn });
  }

  /** Send our live tracks: on the sender of their kind (a new track on it
   * needs no renegotiation), or, for a first track of a kind, a new one
   * (the camera allowed only now, or a screen shared without a camera;
   * perfect negotiation handles the offer). A shared screen goes out in
   * place of the camera; while it is paused the video sender sends nothing. */
  attachTracks() {
    if (!this.pc) return;
    const video = this.outgoingVideo();
    const live = (this.stream ? this.stream.getAudioTracks() : []).filter((t) => t.readyState === "live");
    for (const track of video ? [...live, video] : live) {
      const sender = this.senders[track.kind];
      if (sender) {
        if (sender.track !== track) sender.replaceTrack(track);
      } else {
        this.senders[track.kind] = this.pc.addTrack(track, this.sendStream);
      }
    }
    if (this.screen?.paused && this.senders.video?.track) this.senders.video.replaceTrack(null);
  }

  /** What the video sender carries: the shared screen (nothing while it is
   * paused), else the camera while it runs. */
  outgoingVideo() {
    if (this.screen) return this.screen.paused ? null : this.screen.track;
    return (this.stream ? this.stream.getVideoTracks() : []).find((t) => t.readyState === "live") || null;
  }

  /** Our small picture: the camera, or while we share, the screen (with
   * our microphone, which the recording's voice mix takes from it). */
  showLocal() {
    if (this.screen) {
      const audio = this.stream ? this.stream.getAudioTracks() : [];
      this.local.srcObject = new MediaStream([this.screen.track, ...audio]);
      this.stage.dataset.screen = this.screenState();
    } else {
      if (this.local.srcObject !== this.stream) this.local.srcObject = this.stream;
      delete this.stage.dataset.screen;
    }
    streamsChanged();
  }

  useStream(stream) {
    const old = this.stream;
    this.stream = stream;
    this.showLocal();
    // The polite side attaches when it answers; before its first answer
    // there is nothing to attach to.
    if (this.pc && (!this.polite || this.pc.remoteDescription)) this.attachTracks();
    if (old) for (const track of old.getTracks()) if (!stream.getTracks().includes(track)) track.stop();
    streamsChanged();
  }

  /** Camera off stops it (the camera light goes out); on starts it again. */
  async setCamera(on) {
    this.cameraChosen = true;
    if (on === this.cameraOn) return;
    if (!on) {
      for (const track of this.stream ? this.stream.getVideoTracks() : []) track.stop();
      // A shared screen stays on the sender: only the camera stops.
      if (this.pc && this.senders.video && !this.screen) await this.senders.video.replaceTrack(null);
      this.cameraOn = false;
      this.stage.dataset.camera = "off";
      this.signal("camera", { on: false });
      return;
    }
    await this.startCamera();
  }

  /** Mute keeps the microphone open and sends silence: unmuting is instant. */
  setMicrophone(on) {
    this.microphoneOn = on;
    for (const track of this.stream ? this.stream.getAudioTracks() : []) track.enabled = on;
    this.showMicrophone();
    this.signal("microphone", { on });
  }

  showMicrophone() {
    if (!this.audio) delete this.stage.dataset.microphone;
    else if (!this.hasMicrophone()) this.stage.dataset.microphone = "missing";
    else this.stage.dataset.microphone = this.microphoneOn ? "on" : "off";
  }

  /** Ask the server whether the call carries audio now, and follow it.
   * After set-up: a change heard while it was under way may not be in
   * the answer it got. */
  async refreshAudio() {
    if (!this.starting || this.ended) return;
    await this.starting.catch(() => {});
    try {
      this.config = await this.setupCall();
    } catch (error) {
      console.warn("video: call setup", error);
      return;
    }
    this.queue = this.queue
      .then(() => this.setAudio(Boolean(this.config.audio)))
      .catch((error) => console.warn("video: audio", error));
    await this.queue;
  }

  /** The meeting's browser audio turned on or off (meeting.options): the
   * microphone opens or closes, the video goes on. */
  async setAudio(audio) {
    if (!this.config || this.ended) return;
    if (this.cameraOpening) await this.cameraOpening; // it may bring a microphone
    this.setAudioFlag(audio);
    if (!audio && this.stream) {
      for (const track of this.stream.getAudioTracks()) {
        track.stop();
        this.stream.removeTrack(track);
      }
      if (this.pc && this.senders.audio) await this.senders.audio.replaceTrack(null);
    } else if (audio && !this.hasMicrophone()) {
      try {
        const mic = await navigator.mediaDevices.getUserMedia({ audio: this.audioConstraints() });
        const [track] = mic.getAudioTracks();
        track.enabled = this.microphoneOn;
        if (!this.stream) this.stream = new MediaStream();
        this.stream.addTrack(track);
        if (this.screen) this.showLocal(); // the preview carries the microphone for the recording
        if (this.pc && (!this.polite || this.pc.remoteDescription)) this.attachTracks();
      } catch (error) {
        console.warn("video: no microphone", error);
      }
    }
    streamsChanged();
    this.showMicrophone();
    this.signal("microphone", { on: audio && this.hasMicrophone() && this.microphoneOn });
  }

  /** Another camera or microphone, picked by the host: the new track
   * replaces the old one on the connection (no renegotiation). */
  async useDevices() {
    if (!this.cameraOn && !this.hasMicrophone()) return;
    for (const track of this.stream ? this.stream.getTracks() : []) track.stop();
    this.cameraOn = false;
    await this.startCamera();
  }

  /** The camera at a higher resolution, as the host asked: the running
   * camera is asked first (Safari changes its format); one that stays as it
   * was (Chromium only scales a running camera down) is opened again, let
   * go of first, as many phones open one camera at a time. */
  async setQuality(quality) {
    this.quality = quality;
    if (!this.cameraOn) return;
    let [video] = this.stream ? this.stream.getVideoTracks() : [];
    try {
      await video.applyConstraints(quality);
    } catch (error) {
      console.warn("video: camera constraints", error);
    }
    if (video.getSettings().height < quality.height.ideal) {
      const audio = this.stream.getAudioTracks();
      video.stop();
      try {
        [video] = (await navigator.mediaDevices.getUserMedia({ video: this.videoConstraints() })).getVideoTracks();
      } catch (error) {
        console.warn("video: camera in high quality", error);
        this.cameraOn = false;
        await this.startCamera(); // back to what worked
        return;
      }
      if (this.ended) {
        video.stop();
        return;
      }
      this.useStream(new MediaStream([video, ...audio]));
    }
    const { width, height } = video.getSettings();
    this.signal("quality", { width, height });
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

  // -- our shared screen ---------------------------------------------------------

  screenState() {
    return this.screen?.paused ? "paused" : "on";
  }

  /** Share a screen (a getDisplayMedia stream) in place of our camera: the
   * track replaces the camera's on the video sender (no renegotiation), or
   * is added when we had no camera. Stopping it from the browser's own bar
   * ends the track, which stops the share as 「共有を停止」 does. */
  shareScreen(stream) {
    const [track] = stream.getVideoTracks();
    if (!track || this.ended) {
      for (const t of stream.getTracks()) t.stop();
      return;
    }
    const previous = this.screen;
    this.screen = { track, paused: false };
    if (previous) previous.track.stop();
    // Audio a browser offers with a tab is not shared: voices stay as they are.
    for (const t of stream.getAudioTracks()) t.stop();
    track.contentHint = "detail"; // text stays sharp rather than the motion smooth
    track.addEventListener("ended", () => {
      if (this.screen?.track === track) this.stopScreen("browser");
    });
    if (this.pc && (!this.polite || this.pc.remoteDescription)) this.attachTracks();
    this.showLocal();
    this.signal("screen", { state: "on" });
    if (!previous) screenChanged("started");
  }

  /** 「共有の一時停止」: nothing leaves this device until it is resumed (the
   * sender sends no frame, and the track gives black, so a recording here
   * shows none of it either); the other side is told, and shows 「一時停止中」. */
  async pauseScreen(paused) {
    if (!this.screen || this.screen.paused === paused) return;
    this.screen.paused = paused;
    this.screen.track.enabled = !paused;
    if (this.pc && this.senders.video) await this.senders.video.replaceTrack(this.outgoingVideo());
    this.showLocal();
    this.signal("screen", { state: this.screenState() });
    screenChanged(paused ? "paused" : "resumed");
  }

  /** The share ends: our camera goes back on the sender (or nothing, if it
   * is off). ``by`` "browser" when the browser ended it. */
  async stopScreen(by = "page") {
    const screen = this.screen;
    if (!screen) return;
    this.screen = null;
    screen.track.stop();
    if (this.pc && this.senders.video) await this.senders.video.replaceTrack(this.outgoingVideo());
    this.showLocal();
    this.signal("screen", { state: "off" });
    screenChanged("stopped", by);
  }

  /** Leave the call: every connection closed, every camera stopped. */
  end() {
    if (this.ended) return;
    this.signal("bye");
    this.ended = true;
    if (VideoCall.current === this) VideoCall.current = null;
    if (this.screen) {
      this.screen.track.stop();
      this.screen = null;
      delete this.stage.dataset.screen;
      screenChanged("stopped", "end");
    }
    delete this.stage.dataset.remoteScreen;
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
 * The camera buttons under a stage (camera and microphone on/off, switch,
 * retry, and on the host's page the camera menu) and its status line, kept
 * in step with the call's state.
 */
export function bindControls(call, T, status) {
  const $ = (id) => document.getElementById(id);
  const toggle = $("camera-toggle");
  const microphone = $("microphone-toggle");
  const switcher = $("camera-switch");
  const retry = $("camera-retry");
  const note = $("camera-note");
  const stopped = $("camera-stopped");
  const failure = $("video-failure");
  const stage = call.stage;
  const host = !call.polite;
  const render = () => {
    const camera = stage.dataset.camera;
    const on = camera === "on";
    const trouble = camera === "denied" || camera === "missing";
    toggle.setAttribute("aria-pressed", String(on));
    toggle.querySelector(".label").textContent = on ? toggle.dataset.on : toggle.dataset.off;
    toggle.hidden = trouble || camera === "starting";
    retry.hidden = !trouble;
    note.hidden = !trouble;
    note.textContent = trouble ? T[`video.camera_${camera}`] : "";
    switcher.disabled = !on;
    const mic = stage.dataset.microphone;
    microphone.hidden = mic !== "on" && mic !== "off";
    microphone.setAttribute("aria-pressed", String(mic === "on"));
    microphone.querySelector(".label").textContent =
      mic === "on" ? microphone.dataset.on : microphone.dataset.off;
    if (stopped) stopped.hidden = !(stage.dataset.cameraStoppedBy === "host" && camera === "off");
    if (host) renderHostMenu();
  };
  const menu = {
    reload: $("video-reload"),
    quality: $("video-high-quality"),
    stop: $("video-stop-guest-camera"),
    note: $("video-menu-note"),
  };
  const renderHostMenu = () => {
    if (!menu.reload) return;
    const there = ["connecting", "connected", "reconnecting", "failed"].includes(stage.dataset.state);
    // The guest's camera can be asked for only while it comes through.
    // Not while the guest shares a screen: it is not their camera that shows.
    const remoteOn =
      stage.dataset.state === "connected" &&
      stage.dataset.remoteVideo === "on" &&
      stage.dataset.remoteCamera !== "off" &&
      !stage.dataset.remoteScreen;
    menu.reload.hidden = !there;
    menu.quality.hidden = !remoteOn;
    menu.stop.hidden = !remoteOn;
  };
  new MutationObserver(render).observe(stage, { attributes: true });
  toggle.addEventListener("click", () => call.setCamera(stage.dataset.camera !== "on"));
  microphone.addEventListener("click", () => call.setMicrophone(stage.dataset.microphone !== "on"));
  retry.addEventListener("click", () => call.setCamera(true));
  switcher.addEventListener("click", () => call.switchCamera());
  $("camera-stopped-on")?.addEventListener("click", () => call.setCamera(true));
  menu.reload?.addEventListener("click", () => {
    menu.note.textContent = T["video.reloading"];
    call.reload();
  });
  menu.quality?.addEventListener("click", () => {
    menu.note.textContent = T["video.high_quality_asked"];
    call.signal("high-quality");
  });
  menu.stop?.addEventListener("click", () => {
    menu.note.textContent = T["video.guest_camera_stopped"];
    call.signal("stop-camera");
  });
  // The meeting's browser audio turned on or off while it runs: the
  // server says whether this call now carries audio.
  document.addEventListener("tsunagu:event", ({ detail }) => {
    if (detail?.type === "meeting.options") call.refreshAudio();
  });
  // The host picked another camera or microphone (the devices tool).
  document.addEventListener("tsunagu:devices", () => call.useDevices());
  call.onStatus = (state) => {
    const cause = stage.dataset.failure;
    // The host is told what went wrong, to pass on to whoever runs the
    // TURN server; the guest, what they can do.
    status.textContent =
      (state === "failed" && host && cause && T[`video.failed.${cause}`]) || T[`video.state.${state}`] || "";
    // ... and the stage itself says so, where the picture would be.
    if (failure) failure.textContent = state === "failed" ? status.textContent : "";
    if (state === "connected" && menu.note) menu.note.textContent = "";
    // Front and back cameras: only worth a button where there are two.
    navigator.mediaDevices?.enumerateDevices?.().then((devices) => {
      switcher.hidden = devices.filter((d) => d.kind === "videoinput").length < 2;
    });
  };
  const onSignal = call.onSignal;
  call.onSignal = (kind, data) => {
    onSignal(kind, data);
    const height = Math.round(Number(data?.height));
    if (kind === "quality" && menu.note && height > 0) {
      menu.note.textContent = T["video.high_quality_done"].replace("{height}", String(height));
    }
  };
  render();
}
