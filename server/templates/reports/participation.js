// Participation while a wave is open: every 30 seconds, fetch this page again (same origin,
// same session) and put its new figures in place: the rows' cells and the email line are
// updated where they stand, so keyboard focus and the scroll position stay, and the polite
// live region speaks only when a figure changed. Progressive enhancement: without the
// script the page shows the counts as of its loading. Reads and sends nothing else, and
// stops once the wave is no longer open.
(function () {
  "use strict";
  var box = document.getElementById("participation");
  var said = document.getElementById("refreshed");
  if (!box || !said || box.getAttribute("data-open") !== "true") return;
  var EVERY = 30000;
  // Copies `from`'s text and attributes onto `to` where they differ; true if anything did.
  function update(to, from) {
    if (to.tagName !== from.tagName || to.children.length !== from.children.length) {
      to.replaceWith(from);
      return true;
    }
    var changed = false;
    for (var i = 0; i < from.attributes.length; i++) {
      var a = from.attributes[i];
      if (to.getAttribute(a.name) !== a.value) { to.setAttribute(a.name, a.value); changed = true; }
    }
    if (from.children.length === 0) {
      if (to.textContent !== from.textContent) { to.textContent = from.textContent; changed = true; }
      return changed;
    }
    for (var j = 0; j < from.children.length; j++) {
      if (update(to.children[j], from.children[j])) changed = true;
    }
    // Text between child elements (the email line's words around its figures).
    if (to.textContent !== from.textContent) { to.innerHTML = from.innerHTML; changed = true; }
    return changed;
  }
  function refresh() {
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var next = new DOMParser().parseFromString(html, "text/html").getElementById("participation");
        if (!next) return;
        var open = next.getAttribute("data-open") === "true";
        if (update(box, next)) {
          box = document.getElementById("participation");
          said.textContent = "Updated at " + new Date().toLocaleTimeString() + ": the figures changed.";
        }
        if (open) window.setTimeout(refresh, EVERY);
        else said.textContent = "The wave has closed; these are its final counts.";
      })
      .catch(function () {
        said.textContent = "Could not update just now; trying again in 30 seconds.";
        window.setTimeout(refresh, EVERY);
      });
  }
  window.setTimeout(refresh, EVERY);
})();
