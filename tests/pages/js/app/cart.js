define(["app/format"], (format) => {
  const items = [
    { name: "有田焼 小皿", price: 1650, quantity: 2 },
    { name: "リネンふきん", price: 880, quantity: 1 },
  ];
  return {
    items: () => items.map((item) => ({ ...item, label: format.yen(item.price * item.quantity) })),
    total: () => format.yen(items.reduce((sum, item) => sum + item.price * item.quantity, 0)),
  };
});
