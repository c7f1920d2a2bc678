// Starts django-allauth's own form helpers (security keys, recovery codes, e-mail
// addresses) on the sign-in and security pages. allauth's templates do this with an
// inline <script>; ours mark an element instead, because the Content-Security-Policy
// forbids inline script. Element ids come from data-id-* attributes and larger data
// (WebAuthn options) from a json_script block the helpers read by id.
(function () {
  "use strict";

  var ALLOWED = {
    "webauthn.addForm": function (a) { return a.webauthn && a.webauthn.forms.addForm; },
    "webauthn.authenticateForm": function (a) { return a.webauthn && a.webauthn.forms.authenticateForm; },
    "webauthn.loginForm": function (a) { return a.webauthn && a.webauthn.forms.loginForm; },
    "webauthn.signupForm": function (a) { return a.webauthn && a.webauthn.forms.signupForm; },
    "recoveryCodes.viewForm": function (a) { return a.recoveryCodes && a.recoveryCodes.forms.viewForm; },
    "account.manageEmailForm": function (a) { return a.account && a.account.forms.manageEmailForm; }
  };

  function optionsFrom(element) {
    var ids = {};
    var i18n = {};
    Object.keys(element.dataset).forEach(function (key) {
      var rest;
      if (key.indexOf("id") === 0 && key.length > 2) {
        rest = key.slice(2);
        ids[rest.charAt(0).toLowerCase() + rest.slice(1)] = element.dataset[key];
      } else if (key.indexOf("i18n") === 0 && key.length > 4) {
        rest = key.slice(4);
        i18n[rest.charAt(0).toLowerCase() + rest.slice(1)] = element.dataset[key];
      }
    });
    return { ids: ids, i18n: i18n };
  }

  function start() {
    var allauth = window.allauth || {};
    document.querySelectorAll("[data-ts-allauth]").forEach(function (element) {
      var lookup = ALLOWED[element.dataset.tsAllauth];
      var helper = lookup ? lookup(allauth) : null;
      if (typeof helper === "function") {
        helper(optionsFrom(element));
      }
    });
    // A security-key error (cancelled, unsupported browser) is shown on the page.
    document.addEventListener("allauth.error", function (event) {
      var box = document.getElementById("ts-webauthn-error");
      if (box) {
        event.preventDefault();
        box.hidden = false;
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
