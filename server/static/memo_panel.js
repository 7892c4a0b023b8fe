// The shared memo in the console's meeting view: the text both sides type
// into (embed/memo.js), its saved state, and the host's controls: show it to
// the guest or keep it host-only, and start it from an admin's template.
// It has its own live socket to the meeting (no events replayed), so it
// depends on no other script of the page.

import { Memo } from "/embed/memo.js";
import { LiveChannel } from "/static/live.js";

const root = document.getElementById("memo-panel");
if (root) start(root);

function start(root) {
  const $ = (name) => root.querySelector(`[data-memo="${name}"]`);
  const T = JSON.parse($("strings").textContent);
  const meetingId = root.dataset.meeting;
  const share = $("share");
  const template = $("template");
  const select = $("template-select");
  let channel = null;
  let templates = [];
  let ended = false;

  const showTemplates = () => {
    template.hidden = ended || !templates.length || memo.value() !== "";
  };
  const setShared = (shared) => {
    share.checked = shared;
    $("host-only").hidden = shared;
  };

  const memo = new Memo({
    textarea: $("text"),
    send: (message) => channel?.send(message) ?? false,
    onStatus: (status, detail) => {
      const code = detail?.code;
      const tooLarge = code === "memo_too_large" || code === "memo_update_too_large";
      $("status").textContent = status === "refused" ? (tooLarge ? T.too_large : T.refused) : T[status] || "";
      $("status").dataset.status = status;
      if (status === "read_only") {
        ended = true;
        $("controls").hidden = true;
      }
    },
    onState: (state) => {
      templates = state.templates || [];
      select.replaceChildren(
        ...templates.map((item) => {
          const option = document.createElement("option");
          option.value = item.id;
          option.textContent = item.name;
          return option;
        }),
      );
      setShared(state.shared);
      $("controls").hidden = !state.writable;
      showTemplates();
      // An ended meeting's memo is read once; nothing more will come.
      if (!state.writable) channel?.stop();
    },
    onAccess: setShared,
    onChange: showTemplates,
  });

  share.addEventListener("change", () => {
    channel?.send({ type: "memo.share", shared: share.checked });
  });
  template.addEventListener("submit", (event) => {
    event.preventDefault();
    if (select.value) channel?.send({ type: "memo.template", template_id: Number(select.value) });
  });

  channel = new LiveChannel({
    // The room's own socket carries the live view's frames; this one, only
    // for the memo, does without them (each frame would come twice).
    path: `/api/v1/meetings/${meetingId}/live?view=none`,
    isFinal: (code) => code === 4401 || code === 4404,
    onEvent: (event) => {
      if (memo.receive(event)) return;
      if (event.type === "meeting.ended") {
        memo.setReadOnly(true);
        channel.stop();
      }
    },
    onState: (state) => {
      if (state === "open") memo.connected();
      else memo.disconnected();
    },
  });
  // Only what happens from now on: the page's own script shows the past.
  channel.start(2 ** 62);
}
