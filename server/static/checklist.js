// The IT重説 tool in the room's rail (templates/console/tools/checklist.html):
// the mode switch for this meeting, the licence photo's presence, and the
// 事前チェックリスト the host opens, ticks one item at a time and collapses
// (「とじる」). Every change is a meeting event; this panel reads the state
// again when one arrives (meeting.js hands them out as "tsunagu:event"), so
// a second tab of the host, or an admin watching, shows the same.

import { api, format } from "/static/live.js";

const root = document.getElementById("checklist-panel");
if (root) start(root);

function start(root) {
  const $ = (id) => document.getElementById(id);
  const S = JSON.parse($("checklist-strings").textContent);
  const meetingId = root.dataset.meeting;
  const isHost = root.dataset.host === "true";
  const base = `/api/v1/meetings/${meetingId}/checklists`;
  const clock = new Intl.DateTimeFormat(document.documentElement.lang, { timeStyle: "medium" });
  let state = null;
  let asked = 0;
  let ended = false;

  const fail = (result) => {
    $("checklist-error").textContent = result?.data?.error?.message || S.failed;
    $("checklist-error").hidden = false;
  };
  const clearError = () => ($("checklist-error").hidden = true);

  function showMode(on) {
    root.dataset.itMode = String(on);
    $("it-mode").checked = on;
    $("it-mode-on").hidden = !on;
    $("it-mode-off").hidden = on;
    $("checklist-body").hidden = !on;
  }

  function render() {
    if (!state) return;
    showMode(state.it_mode);
    $("it-licence-yes").hidden = !state.licence;
    $("it-licence-no").hidden = state.licence || !isHost;
    if (isHost) {
      const select = $("checklist-select");
      const chosen = select.value;
      select.replaceChildren(
        ...state.checklists.map((item) => {
          const option = document.createElement("option");
          option.value = item.id;
          option.textContent = item.title;
          return option;
        }),
      );
      if (chosen) select.value = chosen;
      else if (state.current?.checklist_id) select.value = String(state.current.checklist_id);
      $("checklist-open").hidden = ended || !state.checklists.length;
      $("checklist-none").hidden = ended || state.checklists.length > 0;
    }
    const current = state.current;
    $("checklist-current").hidden = !current;
    if (!current) return;
    const box = $("checklist-current");
    box.dataset.checklist = current.id;
    box.dataset.collapsed = String(current.collapsed);
    $("checklist-title").textContent = current.title;
    const done = current.items.filter((item) => item.ticked).length;
    $("checklist-progress").textContent = format(S.progress, { done, total: current.items.length });
    const collapse = $("checklist-collapse");
    if (collapse) {
      collapse.textContent = current.collapsed ? S.reopen : S.close;
      collapse.setAttribute("aria-expanded", String(!current.collapsed));
      collapse.hidden = ended;
    }
    $("checklist-items").replaceChildren(...current.items.map((item) => row(current, item)));
  }

  function row(current, item) {
    const li = document.createElement("li");
    li.dataset.item = item.id;
    li.dataset.ticked = String(item.ticked);
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.checked = item.ticked;
    box.disabled = !isHost || ended;
    box.addEventListener("change", () => tick(current.id, item.id, box));
    const text = document.createElement("span");
    text.className = "checklist-text";
    text.textContent = `${item.n}. ${item.text}`;
    if (item.ticked) {
      const when = document.createElement("span");
      when.className = "checklist-when";
      when.textContent = format(S.ticked_by, { time: clock.format(new Date(item.ticked_at)), by: item.ticked_by });
      text.append(when);
    }
    label.append(box, text);
    li.append(label);
    return li;
  }

  async function load() {
    const mine = ++asked;
    const result = await api(base).catch(() => null);
    if (mine !== asked || !result?.ok) return;
    state = result.data;
    render();
  }

  // An answer of a change is the newest state of that checklist.
  function applied(result) {
    if (!result?.ok) {
      fail(result);
      load();
      return;
    }
    clearError();
    asked++; // an older read on its way must not undo this
    state.current = result.data;
    render();
  }

  async function tick(checklistId, itemId, box) {
    box.disabled = true;
    const body = { ticked: box.checked };
    applied(await api(`${base}/${checklistId}/items/${itemId}`, { method: "PUT", body }).catch(() => null));
  }

  if (isHost) {
    $("it-mode").addEventListener("change", async () => {
      const on = $("it-mode").checked;
      const result = await api(`/api/v1/meetings/${meetingId}/options`, { method: "PATCH", body: { it_mode: on } }).catch(
        () => null,
      );
      if (!result?.ok) {
        $("it-mode").checked = !on;
        fail(result);
        return;
      }
      clearError();
      load();
    });
    $("checklist-open").addEventListener("submit", async (event) => {
      event.preventDefault();
      const id = Number($("checklist-select").value);
      if (!id) return;
      applied(await api(base, { method: "POST", body: { checklist_id: id } }).catch(() => null));
    });
    $("checklist-collapse").addEventListener("click", async () => {
      const current = state?.current;
      if (!current) return;
      const body = { collapsed: !current.collapsed };
      applied(await api(`${base}/${current.id}`, { method: "PATCH", body }).catch(() => null));
    });
  }

  document.addEventListener("tsunagu:event", (event) => {
    const { type } = event.detail;
    if (type === "meeting.ended") {
      ended = true;
      $("it-mode").disabled = true;
      render();
      return;
    }
    if (type === "meeting.options" || type.startsWith("checklist.")) load();
  });
  load();
}
