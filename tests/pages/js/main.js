// data-main of requirejs.html. A named module defined inline, anonymous modules
// in files (js/app/*.js), and a loader that must keep working after a capture.
requirejs.config({ baseUrl: "js" });

define("app/format", [], () => ({
  yen: (value) => `¥${value.toLocaleString("ja-JP")}`,
}));

require(["app/cart", "app/render"], (cart, render) => {
  render(document.getElementById("minicart"), cart.items());
  document.getElementById("status").textContent = "RequireJS で読み込みました";
  window.appReady = true;
});

// For tests: load a module through the page's loader, later (after captures).
// requireModule("app/cart") is already loaded; requireModule("app/later") is not.
window.requireModule = (name) =>
  new Promise((resolve, reject) => require([name], resolve, reject));
