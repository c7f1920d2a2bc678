// Publishing pages: progressive enhancements only (loaded as a file: the CSP forbids
// inline script). Without it, the review page's schedule form moves posts and saved
// hashtags are simply listed.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector("meta[name='csrf-token']");
    return meta ? meta.getAttribute("content") : "";
  }

  // Composer: a saved hashtag is added where the author last wrote (or to the first box).
  var lastText = null;
  document.addEventListener("focusin", function (event) {
    if (event.target instanceof HTMLTextAreaElement) {
      lastText = event.target;
    }
  });
  document.querySelectorAll("button.ts-hashtag[data-hashtag]").forEach(function (button) {
    button.disabled = false;
    button.addEventListener("click", function () {
      var area = lastText || document.querySelector("form textarea");
      if (!area) {
        return;
      }
      var tag = button.getAttribute("data-hashtag");
      var start = area.selectionStart, end = area.selectionEnd;
      var before = area.value.slice(0, start), after = area.value.slice(end);
      var space = before && !/\s$/.test(before) ? " " : "";
      area.value = before + space + tag + (after && !/^\s/.test(after) ? " " : "") + after;
      var caret = (before + space + tag).length;
      area.focus();
      area.setSelectionRange(caret, caret);
      // Let the live plain-language hints see the change.
      area.dispatchEvent(new KeyboardEvent("keyup", { bubbles: true }));
    });
  });

  // Calendar (month view): drag a scheduled post onto another day with a pointer.
  var status = document.getElementById("calendar-status");
  var entries = document.querySelectorAll("[data-move-url]");
  if (!status || !entries.length) {
    return;
  }
  document.querySelectorAll(".ts-drag-hint").forEach(function (hint) { hint.hidden = false; });

  function say(text, isError) {
    status.textContent = text;
    status.className = "ts-calendar-status " + (isError ? "usa-error-message" : "text-bold");
  }

  function dayAt(x, y) {
    var element = document.elementFromPoint(x, y);
    return element ? element.closest("[data-drop-date]") : null;
  }

  var dragging = null, target = null, startX = 0, startY = 0, moved = false;

  function mark(cell) {
    if (target === cell) {
      return;
    }
    if (target) {
      target.classList.remove("bg-primary-lighter");
    }
    target = cell;
    if (target) {
      target.classList.add("bg-primary-lighter");
    }
  }

  function move(entry, date) {
    var body = new URLSearchParams();
    body.set("date", date);
    say(entry.getAttribute("data-title") + " …", false);
    fetch(entry.getAttribute("data-move-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" },
      body: body
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.ok) {
          say(data.message || "", false);
          window.location.reload();
        } else {
          say(data.error || response.statusText, true);
        }
      });
    }).catch(function () {
      say(status.getAttribute("data-offline") || "…", true);
    });
  }

  entries.forEach(function (entry) {
    entry.classList.add("ts-movable");
    entry.addEventListener("pointerdown", function (event) {
      if (event.button !== 0) {
        return;
      }
      dragging = entry;
      moved = false;
      startX = event.clientX;
      startY = event.clientY;
    });
  });

  document.addEventListener("pointermove", function (event) {
    if (!dragging) {
      return;
    }
    // A few pixels of slack so a click on the post's link still opens it.
    if (!moved && Math.abs(event.clientX - startX) + Math.abs(event.clientY - startY) < 8) {
      return;
    }
    moved = true;
    event.preventDefault();
    mark(dayAt(event.clientX, event.clientY));
  });

  document.addEventListener("pointerup", function (event) {
    var entry = dragging;
    dragging = null;
    if (!entry || !moved) {
      return;
    }
    var cell = dayAt(event.clientX, event.clientY);
    mark(null);
    var from = entry.closest("[data-drop-date]");
    if (cell && cell !== from) {
      move(entry, cell.getAttribute("data-drop-date"));
    }
  });

  // A drag ends with a click on the link under the pointer; do not follow it.
  document.addEventListener("click", function (event) {
    if (moved && event.target.closest("[data-move-url]")) {
      event.preventDefault();
      moved = false;
    }
  }, true);

  document.addEventListener("dragstart", function (event) {
    // Native link dragging would fight the pointer drag.
    if (event.target.closest && event.target.closest("[data-move-url]")) {
      event.preventDefault();
    }
  });
})();
