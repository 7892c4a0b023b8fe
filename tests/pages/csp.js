// csp.html's only script (script-src 'self': no inline script, no eval).
document.addEventListener("DOMContentLoaded", () => {
  const rows = [
    ["4/25", "カード引落 スーパーあおば", "-¥8,420", "out"],
    ["4/25", "給与振込", "+¥285,000", "in"],
    ["4/22", "電気料金", "-¥6,310", "out"],
    ["4/20", "ATM 出金", "-¥20,000", "out"],
  ];
  const list = document.getElementById("history");
  for (const [date, what, amount, kind] of rows) {
    const row = document.createElement("li");
    const left = document.createElement("span");
    left.textContent = `${date}　${what}`;
    const right = document.createElement("span");
    right.className = kind;
    right.textContent = amount;
    row.append(left, right);
    list.append(row);
  }
});
