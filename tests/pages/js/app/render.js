define(["app/cart"], (cart) => (element, items) => {
  const list = document.createElement("ul");
  for (const item of items) {
    const row = document.createElement("li");
    row.textContent = `${item.name} × ${item.quantity}　${item.label}`;
    list.append(row);
  }
  const total = document.createElement("p");
  total.id = "total";
  total.textContent = `合計 ${cart.total()}`;
  element.querySelector("p").replaceWith(list, total);
});
