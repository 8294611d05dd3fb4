// Participation while a wave is open: every 30 seconds, fetch this page again (same origin,
// same session) and swap in its figures, then say when in a polite live region. Progressive
// enhancement: without the script the page shows the counts as of its loading. Reads and
// sends nothing else, and stops once the wave is no longer open.
(function () {
  "use strict";
  var box = document.getElementById("participation");
  var said = document.getElementById("refreshed");
  if (!box || !said || box.getAttribute("data-open") !== "true") return;
  function refresh() {
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var next = new DOMParser().parseFromString(html, "text/html").getElementById("participation");
        if (!next) return;
        box.replaceWith(next);
        box = next;
        var now = new Date();
        said.textContent = "Updated at " + now.toLocaleTimeString() + ".";
        if (box.getAttribute("data-open") === "true") window.setTimeout(refresh, 30000);
        else said.textContent = "The wave has closed; these are its final counts.";
      })
      .catch(function () {
        said.textContent = "Could not update just now; trying again in 30 seconds.";
        window.setTimeout(refresh, 30000);
      });
  }
  window.setTimeout(refresh, 30000);
})();
