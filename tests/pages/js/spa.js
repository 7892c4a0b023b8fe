// A TodoMVC-style single-page app: routes change the URL with history.pushState
// (no page load), and popstate re-renders.
(() => {
  let todos = [
    { id: 1, title: "牛乳を買う", done: false },
    { id: 2, title: "クリーニングを受け取る", done: true },
    { id: 3, title: "歯医者を予約する", done: false },
  ];
  let nextId = 4;
  const list = document.getElementById("todo-list");
  const route = () => (location.hash.replace(/^#\/?/, "") || "all");

  function render() {
    const filter = route();
    list.replaceChildren();
    for (const todo of todos) {
      if ((filter === "active" && todo.done) || (filter === "completed" && !todo.done)) continue;
      const row = document.createElement("li");
      row.className = todo.done ? "done" : "";
      row.dataset.id = todo.id;
      const box = document.createElement("input");
      box.type = "checkbox";
      box.checked = todo.done;
      box.onchange = () => { todo.done = box.checked; render(); };
      const label = document.createElement("label");
      label.textContent = todo.title;
      const destroy = document.createElement("button");
      destroy.className = "destroy";
      destroy.type = "button";
      destroy.setAttribute("aria-label", `${todo.title} を削除`);
      destroy.textContent = "×";
      destroy.onclick = () => { todos = todos.filter((t) => t !== todo); render(); };
      row.append(box, label, destroy);
      list.append(row);
    }
    document.getElementById("todo-count").textContent = `残り ${todos.filter((t) => !t.done).length} 件`;
    for (const name of ["all", "active", "completed"]) {
      document.getElementById(`filter-${name}`).classList.toggle("selected", name === filter);
    }
    document.title = `やることリスト（${{ all: "すべて", active: "未完了", completed: "完了" }[filter]}）`;
  }

  document.querySelector(".filters").addEventListener("click", (event) => {
    const link = event.target.closest("a");
    if (!link) return;
    event.preventDefault();
    history.pushState({}, "", link.getAttribute("href"));
    render();
  });
  addEventListener("popstate", render);
  document.getElementById("new-todo").addEventListener("keydown", (event) => {
    const title = event.target.value.trim();
    if (event.key !== "Enter" || !title || event.isComposing) return;
    todos.push({ id: nextId++, title, done: false });
    event.target.value = "";
    render();
  });
  render();
})();
