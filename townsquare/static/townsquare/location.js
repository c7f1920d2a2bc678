// "Use my location" for survey location questions (engagement/public/_location_question.html).
// Progressive enhancement: the question works without this file (area list, address and
// coordinate boxes). The button is shown only when the browser offers geolocation; the
// server validates and rounds whatever lands in the boxes.
(function () {
  "use strict";
  if (window.townsquareLocation) { return; }
  window.townsquareLocation = true;
  var script = document.currentScript;
  var text = {
    locating: script ? script.dataset.locating : "",
    found: script ? script.dataset.found : "",
    failed: script ? script.dataset.failed : ""
  };
  function setUp(fieldset) {
    var button = fieldset.querySelector("[data-use-location]");
    var status = fieldset.querySelector("[data-location-status]");
    var lat = fieldset.querySelector("[data-location-lat]");
    var lon = fieldset.querySelector("[data-location-lon]");
    if (!button || !lat || !lon || !("geolocation" in navigator)) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      status.textContent = text.locating;
      navigator.geolocation.getCurrentPosition(function (position) {
        // Rounded here too, so no more precision than is kept ever leaves the device.
        lat.value = position.coords.latitude.toFixed(3);
        lon.value = position.coords.longitude.toFixed(3);
        status.textContent = text.found;
      }, function () {
        status.textContent = text.failed;
      }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 });
    });
  }
  function start() {
    document.querySelectorAll("[data-location-question]").forEach(setUp);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
