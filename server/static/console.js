// Console behaviour shared by every page: copy buttons and confirmations.
// Native ES module, no build step; the CSP forbids inline script, so pages
// declare behaviour with data attributes and this file wires it up.

function copyButtons() {
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.addEventListener("click", async () => {
      const source = document.querySelector(button.dataset.copy);
      if (!source) return;
      const label = button.textContent;
      try {
        await navigator.clipboard.writeText(source.textContent.trim());
        button.textContent = document.documentElement.lang === "en" ? "Copied" : "コピーしました";
      } catch {
        // Clipboard needs a secure context; fall back to selecting the text.
        const range = document.createRange();
        range.selectNodeContents(source);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
      }
      setTimeout(() => { button.textContent = label; }, 2000);
    });
  }
}

function confirmations() {
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
  // One button of a form that holds several actions.
  for (const button of document.querySelectorAll("button[data-confirm-click]")) {
    button.addEventListener("click", (event) => {
      if (!window.confirm(button.dataset.confirmClick)) event.preventDefault();
    });
  }
}

// The server renders times in UTC; show them in the viewer's own time zone.
function localTimes() {
  const format = new Intl.DateTimeFormat(document.documentElement.lang, {
    dateStyle: "medium",
    timeStyle: "short",
  });
  for (const element of document.querySelectorAll("time[datetime]")) {
    const when = new Date(element.getAttribute("datetime"));
    if (!Number.isNaN(when.getTime())) element.textContent = format.format(when);
  }
}

// The top bar's 管理 menu is a <details>: it opens and closes by itself, but
// a menu should also close on a click elsewhere and on Escape.
function navMenus() {
  const menus = document.querySelectorAll("details.nav-menu");
  document.addEventListener("click", (event) => {
    for (const menu of menus) if (menu.open && !menu.contains(event.target)) menu.open = false;
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    for (const menu of menus) {
      if (!menu.open) continue;
      menu.open = false;
      menu.querySelector("summary").focus();
    }
  });
}

copyButtons();
localTimes();
confirmations();
navMenus();
