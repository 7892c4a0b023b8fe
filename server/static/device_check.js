// The device check (templates/device_check.html): the camera shown back to
// the person, a microphone level meter when the meeting uses browser audio,
// and 「再度テストを行う」. A refused permission is explained with the steps
// for the browser in hand. It tests while it is on screen and lets go of
// the camera as soon as it is not, so the call (or a phone that opens one
// camera at a time) can have it.

const section = document.getElementById("device-check");
const video = document.getElementById("device-check-video");
const meter = document.getElementById("device-check-level");
const status = document.getElementById("device-check-status");
const again = document.getElementById("device-check-again");

// On the host's page: which camera and microphone the call uses.
const pickers = { camera: document.getElementById("device-camera"), microphone: document.getElementById("device-microphone") };
const DEVICES_KEY = "tsunagu.video.devices"; // as video.js reads it

let stream = null;
let audio = null; // {context, frame}
let run = 0; // a test started later wins over one still opening

/** Which browser's steps to show, from the user agent. */
export function browserKind(userAgent = navigator.userAgent, touchPoints = navigator.maxTouchPoints) {
  // iPadOS asks for the desktop site and says "Macintosh"; it has a touch screen.
  const ios = /iPhone|iPad|iPod/.test(userAgent) || (/Macintosh/.test(userAgent) && touchPoints > 1);
  if (ios) return "ios_safari"; // every browser on iOS is Safari's engine and settings
  if (/Android/.test(userAgent) && /Chrome\//.test(userAgent)) return "chrome_android";
  if (/Chrome\//.test(userAgent) && !/Edg\/|OPR\//.test(userAgent)) return "chrome_desktop";
  return "other";
}

function withAudio() {
  return section.dataset.audio === "on";
}

function say(state) {
  section.dataset.state = state;
  const key = { ok: withAudio() ? "okAudio" : "ok" }[state] || state;
  status.textContent = status.dataset[key] || "";
  const kind = browserKind();
  for (const steps of section.querySelectorAll(".device-check-steps")) {
    steps.hidden = state !== "denied" || steps.dataset.browser !== kind;
  }
}

function stop() {
  run += 1;
  if (audio) {
    cancelAnimationFrame(audio.frame);
    audio.context.close().catch(() => {});
    audio = null;
  }
  for (const track of stream ? stream.getTracks() : []) track.stop();
  stream = null;
  video.srcObject = null;
  meter.value = 0;
}

async function test() {
  stop();
  const mine = run;
  say("testing");
  let opened;
  try {
    opened = await open();
  } catch (error) {
    if (mine !== run) return;
    say(error?.name === "NotAllowedError" || error?.name === "SecurityError" ? "denied" : "missing");
    return;
  }
  if (mine !== run) {
    for (const track of opened.getTracks()) track.stop();
    return;
  }
  stream = opened;
  video.srcObject = stream;
  if (stream.getAudioTracks().length) listen(stream);
  say("ok");
  listDevices();
}

function chosen() {
  if (!pickers.camera) return {};
  try {
    return JSON.parse(localStorage.getItem(DEVICES_KEY)) || {};
  } catch {
    return {};
  }
}

/** The chosen camera and microphone, or the default ones if they are gone. */
async function open() {
  const { camera, microphone } = chosen();
  const wanted = {
    video: camera ? { deviceId: { exact: camera } } : true,
    audio: withAudio() && (microphone ? { deviceId: { exact: microphone } } : true),
  };
  try {
    return await navigator.mediaDevices.getUserMedia(wanted);
  } catch (error) {
    if (!(camera || microphone) || error?.name === "NotAllowedError") throw error;
    return navigator.mediaDevices.getUserMedia({ video: true, audio: withAudio() });
  }
}

/** Fill the pickers: device names are known once a camera was allowed. */
async function listDevices() {
  if (!pickers.camera) return;
  const devices = await navigator.mediaDevices.enumerateDevices();
  const picked = chosen();
  for (const [name, kind] of [
    ["camera", "videoinput"],
    ["microphone", "audioinput"],
  ]) {
    const select = pickers[name];
    for (const option of [...select.options].slice(1)) option.remove();
    devices
      .filter((device) => device.kind === kind && device.deviceId && device.deviceId !== "default")
      .forEach((device, index) => {
        select.add(new Option(device.label || `${name} ${index + 1}`, device.deviceId));
      });
    select.value = [...select.options].some((o) => o.value === picked[name]) ? picked[name] : "";
  }
}

for (const select of Object.values(pickers)) {
  select?.addEventListener("change", () => {
    const picked = { camera: pickers.camera.value || null, microphone: pickers.microphone.value || null };
    localStorage.setItem(DEVICES_KEY, JSON.stringify(picked));
    // The call takes the new ones (video.js), and the check shows them.
    document.dispatchEvent(new CustomEvent("tsunagu:devices", { detail: picked }));
    const note = document.getElementById("devices-note");
    note.textContent = note.dataset.switched;
    test();
  });
}

/** The meter follows the microphone's loudness (RMS of each frame). */
function listen(source) {
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  analyser.fftSize = 1024;
  context.createMediaStreamSource(source).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  audio = { context, frame: 0 };
  const step = () => {
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const sample of samples) sum += sample * sample;
    meter.value = Math.min(1, Math.sqrt(sum / samples.length) * 4);
    if (audio?.context === context) audio.frame = requestAnimationFrame(step);
  };
  step();
  // A page's audio may start only after a tap: the first one resumes it.
  if (context.state === "suspended") {
    const resume = () => context.resume().catch(() => {});
    document.addEventListener("pointerdown", resume, { once: true });
    document.addEventListener("keydown", resume, { once: true });
  }
}

again.addEventListener("click", test);

// Shown: test; hidden (the panel closed, the guest moved on): let go. The
// page shows and hides its parts with the hidden attribute.
function follow() {
  const shown = section.getClientRects().length > 0;
  if (shown && !stream && section.dataset.state === "idle") test();
  else if (!shown && section.dataset.state !== "idle") {
    stop();
    say("idle");
  }
}
new MutationObserver(follow).observe(document.body, { attributes: true, attributeFilter: ["hidden"], subtree: true });
follow();

// The host turned browser audio on or off: test again with or without the microphone.
document.addEventListener("tsunagu:event", ({ detail }) => {
  if (detail?.type !== "meeting.options" || !detail.payload) return;
  const on = Boolean(detail.payload.browser_audio || detail.payload.it_mode);
  if (on === withAudio()) return;
  section.dataset.audio = on ? "on" : "off";
  if (stream) test();
});
