// A design-system component: everything it draws lives in an open shadow root,
// with styles the page cannot see.
customElements.define(
  "product-card",
  class extends HTMLElement {
    connectedCallback() {
      if (this.shadowRoot) return;
      const root = this.attachShadow({ mode: "open" });
      root.innerHTML = `<style>
        .card { background: #fff; border-radius: 14px; box-shadow: 0 2px 8px rgba(0,0,0,.15); overflow: hidden; }
        .pic { height: 150px; background: linear-gradient(135deg, #4db6ac, #00796b); }
        .body { padding: 12px 14px 16px; }
        h2 { margin: 0 0 6px; font-size: 18px; color: #004d40; }
        .price { font-size: 22px; font-weight: 800; color: #d84315; }
        label { display: block; font-size: 13px; margin: 10px 0 4px; color: #455a64; }
        input { box-sizing: border-box; width: 100%; font-size: 22px; padding: 8px; border: 2px solid #00796b; border-radius: 6px; }
        button { margin-top: 10px; width: 100%; padding: 12px; border: 0; border-radius: 8px; background: #ff7043; color: #fff; font-size: 17px; font-weight: 700; }
      </style>
      <div class="card" part="card">
        <div class="pic"></div>
        <div class="body">
          <h2></h2><div class="price"></div>
          <label for="gift-message">ギフトメッセージ</label>
          <input id="gift-message" type="text" placeholder="例：お誕生日おめでとう">
          <button type="button">カートに入れる</button>
        </div>
      </div>`;
      root.querySelector("h2").textContent = this.getAttribute("name");
      root.querySelector(".price").textContent = this.getAttribute("price");
    }
  },
);
