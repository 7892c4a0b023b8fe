// An ended meeting's record: the print button (the page's print CSS does
// the rest; the CSP allows no inline handler).

document.getElementById("record-print")?.addEventListener("click", () => window.print());
