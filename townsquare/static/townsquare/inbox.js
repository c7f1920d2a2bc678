// Inbox pages: single-key shortcuts (loaded as a file: the CSP forbids inline script).
// Every action goes through the page's own links and forms, so CSRF, permissions and
// the services work exactly as with a mouse. The keys never act while the person types
// in a field, and can be turned off (WCAG 2.1.4) in the help dialog; the choice is kept
// in localStorage.
(function () {
  "use strict";

  var STORAGE_KEY = "townsquare.inbox.shortcuts";
  var dialog = document.getElementById("inbox-shortcuts");
  var toggle = document.querySelector("[data-shortcuts-toggle]");
  var opener = document.querySelector("[data-shortcuts-open]");
  var rows = Array.prototype.slice.call(document.querySelectorAll("[data-inbox-row]"));
  var current = -1;

  function enabled() {
    try {
      return window.localStorage.getItem(STORAGE_KEY) !== "off";
    } catch (error) {
      return true; // storage blocked: keep the default
    }
  }

  function setEnabled(on) {
    try {
      window.localStorage.setItem(STORAGE_KEY, on ? "on" : "off");
    } catch (error) {
      // Storage blocked: the choice lasts for this page only.
    }
  }

  function typing(target) {
    if (!target || !(target instanceof Element)) {
      return false;
    }
    if (target.isContentEditable) {
      return true;
    }
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
  }

  function choose(index) {
    if (!rows.length) {
      return;
    }
    index = Math.max(0, Math.min(rows.length - 1, index));
    if (current >= 0 && rows[current]) {
      rows[current].classList.remove("bg-primary-lighter");
    }
    current = index;
    rows[current].classList.add("bg-primary-lighter");
    var link = rows[current].querySelector("[data-inbox-open]");
    if (link) {
      link.focus(); // Enter then follows the focused link, as it always does
    }
  }

  function openChosen() {
    var row = rows[current];
    var link = row && row.querySelector("[data-inbox-open]");
    if (link) {
      window.location.assign(link.href);
    }
  }

  function focusField(action) {
    var field = document.querySelector("form[action$='/" + action + "/'] textarea");
    if (field) {
      field.focus();
      field.scrollIntoView({ block: "center" });
    }
  }

  function takeIt() {
    var button = document.querySelector("form[action$='/assign/'] button[name='take']");
    if (button) {
      button.click();
    }
  }

  function resolve() {
    var form = document.querySelector("form[action$='/status/']");
    var select = form && form.querySelector("select[name='status']");
    if (!select) {
      return;
    }
    select.value = "resolved";
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit();
    } else {
      form.submit();
    }
  }

  function showHelp() {
    if (dialog && typeof dialog.showModal === "function" && !dialog.open) {
      dialog.showModal();
    }
  }

  if (toggle) {
    toggle.checked = enabled();
    toggle.addEventListener("change", function () {
      setEnabled(toggle.checked);
    });
  }
  if (opener && dialog) {
    opener.hidden = false; // only useful with this script running
    opener.addEventListener("click", showHelp);
  }
  if (dialog) {
    var close = dialog.querySelector("[data-shortcuts-close]");
    if (close) {
      close.addEventListener("click", function () {
        dialog.close();
      });
    }
  }

  var ACTIONS = {
    j: function () { choose(current + 1); },
    k: function () { choose(current < 0 ? 0 : current - 1); },
    o: openChosen,
    r: function () { focusField("reply"); },
    n: function () { focusField("note"); },
    a: takeIt,
    e: resolve,
    "?": showHelp
  };

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    if (typing(event.target) || (dialog && dialog.open) || !enabled()) {
      return;
    }
    var action = Object.prototype.hasOwnProperty.call(ACTIONS, event.key) && ACTIONS[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  });
}());
