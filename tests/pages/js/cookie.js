// The banner closes on OK and remembers it for this tab (tests read #cookie-ok).
(() => {
  const banner = document.getElementById("cookie-banner");
  if (sessionStorage.getItem("cookie-consent") === "ok") banner.hidden = true;
  document.getElementById("cookie-ok").addEventListener("click", () => {
    sessionStorage.setItem("cookie-consent", "ok");
    banner.hidden = true;
    document.body.dataset.cookieConsent = "ok";
  });
})();
