// IT重説 mode on the guest's page (templates/it_guest.html): the host's name,
// their licence photo and the checklist with its ticks, while the meeting is
// in IT重説 mode; nothing while it is off. join.js hands every live event to
// the page as "tsunagu:event"; on a change of the mode or the checklist this
// reads the whole view again (GET /api/v1/guest/it), so nothing can drift.

import { dataUrl } from "/embed/api.js";

const $ = (id) => document.getElementById(id);
const root = $("it-guest");
if (root) start();

function start() {
  const S = JSON.parse($("it-strings").textContent);
  const connected = $("connected");
  const clock = new Intl.DateTimeFormat(document.documentElement.lang, { timeStyle: "short" });
  const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, key) => values[key] ?? "");
  let asked = 0;
  let licence = null; // the data: URL shown, while the mode is on

  const token = () => sessionStorage.getItem("tsunagu.guest_token");
  const get = (path) => fetch(path, { headers: { authorization: `Bearer ${token()}` } });

  function hide() {
    root.hidden = true;
    // Gone from the page, not only hidden: the mode off means not shown.
    licence = null;
    $("it-licence-image").removeAttribute("src");
    $("it-licence").hidden = true;
  }

  // A data: URL (the page's CSP allows images from data:, not blob:); the
  // photo is fetched with the guest's token, which an <img> cannot send.
  async function licenceUrl(path) {
    const response = await get(path).catch(() => null);
    if (!response?.ok) return null;
    return dataUrl(await response.blob());
  }

  async function refresh() {
    const mine = ++asked;
    if (connected.hidden || !token()) return hide();
    const response = await get("/api/v1/guest/it").catch(() => null);
    const view = response?.ok ? await response.json() : null;
    if (mine !== asked || !view) return;
    if (!view.it_mode) return hide();
    $("it-host").textContent = fill(S.host, { name: view.host_name });
    if (view.licence_url && !licence) {
      const url = await licenceUrl(view.licence_url);
      if (mine !== asked) return;
      licence = url;
    }
    if (!view.licence_url) licence = null;
    const image = $("it-licence-image");
    if (licence) image.src = licence;
    else image.removeAttribute("src");
    image.alt = fill(S.licence_alt, { name: view.host_name });
    $("it-licence").hidden = !licence;
    showChecklist(view.checklist);
    root.hidden = false;
  }

  function showChecklist(checklist) {
    const box = $("it-checklist");
    box.hidden = !checklist;
    if (!checklist) return;
    box.dataset.checklist = checklist.id;
    box.dataset.collapsed = String(checklist.collapsed);
    $("it-checklist-lead").hidden = checklist.collapsed;
    $("it-checklist-title").textContent = checklist.title;
    const done = checklist.items.filter((item) => item.ticked).length;
    $("it-checklist-progress").textContent = fill(S.progress, { done, total: checklist.items.length });
    $("it-checklist-items").replaceChildren(
      ...checklist.items.map((item) => {
        const li = document.createElement("li");
        li.dataset.item = item.id;
        li.dataset.ticked = String(item.ticked);
        const mark = document.createElement("span");
        mark.className = "checklist-mark";
        mark.setAttribute("aria-hidden", "true");
        mark.textContent = item.ticked ? "✔" : "";
        const text = document.createElement("span");
        text.className = "checklist-text";
        text.textContent = `${item.n}. ${item.text}`;
        const state = document.createElement("span");
        state.className = "checklist-when";
        state.textContent = item.ticked ? `${S.ticked} ${clock.format(new Date(item.ticked_at))}` : S.not_ticked;
        text.append(state);
        li.append(mark, text);
        return li;
      }),
    );
  }

  const follows = new Set(["meeting.started", "guest.attached", "meeting.options", "video.guest"]);
  document.addEventListener("tsunagu:event", (event) => {
    const { type } = event.detail;
    if (type === "meeting.ended") {
      asked++;
      hide();
    } else if (follows.has(type) || type.startsWith("checklist.")) {
      refresh();
    }
  });
  // The connected view appears (joined, or a reload that finds the guest
  // connected) or goes (ended, removed): read the view, or hide it.
  new MutationObserver(refresh).observe(connected, { attributes: true, attributeFilter: ["hidden"] });
  refresh();
}
