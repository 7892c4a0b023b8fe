// The page's own behaviour: a show-password toggle (as most login forms have),
// a custom element with an open shadow root, and no real submission.
document.getElementById("pw-toggle").addEventListener("click", (event) => {
  const field = document.getElementById("toggle-field");
  const shown = field.type === "text";
  field.type = shown ? "password" : "text";
  event.currentTarget.textContent = shown ? "パスワードを表示" : "パスワードを隠す";
});

document.getElementById("checkout").addEventListener("submit", (event) => event.preventDefault());

customElements.define(
  "delivery-note",
  class extends HTMLElement {
    constructor() {
      super();
      const root = this.attachShadow({ mode: "open" });
      root.innerHTML = `<style>
        :host { display: block; }
        input { display: block; box-sizing: border-box; width: 100%; font-size: 26px; padding: 8px 10px;
                border: 2px dashed #8e244d; border-radius: 6px; background: #fff8fb; color: #000; }
      </style><input type="text" id="shadow-input" aria-label="配送メモ">`;
    }
  },
);
