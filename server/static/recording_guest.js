// The guest's side of recording (templates/recording_guest.html): the red
// 「録画中」 while the host records, and the prompt when the host asks to.
// Until the guest answers, as in Jitsi, their camera and microphone are
// held (the tracks disabled: the host gets black and silence) and their
// picture hidden. join.js hands every live event over as "tsunagu:event".

import { request } from "/embed/api.js";

const $ = (id) => document.getElementById(id);
const TOKEN = "tsunagu.guest_token";
let me = null; // this guest's id, as events name guests
let held = []; // the tracks the prompt disabled, given back after the answer
let holding = null; // while the prompt shows: keeps new tracks held too

const token = () => sessionStorage.getItem(TOKEN);

async function whoAmI() {
  if (me !== null) return me;
  const result = await request("/api/v1/guest/session", { token: token() }).catch(() => null);
  me = result?.ok ? result.data.guest_id : null;
  return me;
}

function holdTracks() {
  const stream = $("local-video")?.srcObject;
  for (const track of stream ? stream.getTracks() : []) {
    if (!track.enabled) continue;
    track.enabled = false;
    held.push(track);
  }
}

function hold(on) {
  const stage = $("video-stage");
  clearInterval(holding);
  if (on) {
    holdTracks();
    // The camera may start (or be switched) while the prompt shows.
    holding = setInterval(holdTracks, 500);
    stage?.classList.add("recording-hidden");
  } else {
    for (const track of held) track.enabled = true;
    held = [];
    stage?.classList.remove("recording-hidden");
  }
}

function prompt() {
  $("recording-refused").hidden = true;
  $("recording-prompt").hidden = false;
  hold(true);
  $("recording-agree").focus();
}

async function answer(agree) {
  for (const button of [$("recording-agree"), $("recording-refuse")]) button.disabled = true;
  const result = await request("/api/v1/guest/recording-consent", {
    method: "POST",
    token: token(),
    body: { agree },
  }).catch(() => null);
  for (const button of [$("recording-agree"), $("recording-refuse")]) button.disabled = false;
  if (!result?.ok) return; // the prompt stays: the guest can answer again
  $("recording-prompt").hidden = true;
  $("recording-refused").hidden = agree;
  hold(false);
}

$("recording-agree").addEventListener("click", () => answer(true));
$("recording-refuse").addEventListener("click", () => answer(false));

document.addEventListener("tsunagu:event", async (event) => {
  const { type, payload } = event.detail;
  if (type === "recording.started") {
    $("recording-badge").hidden = false;
    $("recording-refused").hidden = true;
  } else if (type === "recording.stopped" || type === "meeting.ended") {
    $("recording-badge").hidden = true;
  } else if (type === "recording.consent_requested") {
    if ((payload.guest_ids || []).includes(await whoAmI())) prompt();
  }
});

/** Opened (or reloaded) while the host records or asks, or joined then. */
async function catchUp() {
  if (!token()) return;
  const result = await request("/api/v1/guest/recording", { token: token() }).catch(() => null);
  if (!result?.ok) return;
  $("recording-badge").hidden = !result.data.recording;
  if (result.data.asked && $("recording-prompt").hidden) prompt();
}

// Let in from the waiting room ("guest.admitted") while the host records:
// the page was loaded while knocking, so it asks again.
const catchUpOn = ["meeting.started", "guest.attached", "guest.joined", "guest.admitted"];
document.addEventListener("tsunagu:event", (event) => {
  if (catchUpOn.includes(event.detail.type)) catchUp();
});
// The connected view appears (let in, or a reload that finds the guest
// connected): the recording may have started while the guest waited.
const connected = $("connected");
if (connected) {
  new MutationObserver(() => {
    if (!connected.hidden) catchUp();
  }).observe(connected, { attributes: true, attributeFilter: ["hidden"] });
}
catchUp();
