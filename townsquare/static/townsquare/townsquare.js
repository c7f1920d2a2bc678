// Townsquare's own script: small progressive enhancements only. Every form also works
// without it. Loaded as a file so the Content-Security-Policy can forbid inline script.
(function () {
  "use strict";
  // htmx sends the CSRF token from the page's meta tag on every request it makes.
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector("meta[name='csrf-token']");
    if (meta) {
      event.detail.headers["X-CSRFToken"] = meta.getAttribute("content");
    }
  });
})();
