// A live story's page: every few seconds, fetch its list of updates (a
// small page, cached like the story's) and, when it has changed, offer a
// "N new updates" button. The list is replaced only when the reader clicks
// it, so nothing moves under the reader's eyes. Without this script the
// page is complete on reload.
(function () {
  "use strict";
  var section = document.querySelector("[data-live-url]");
  if (!section || !window.fetch || !window.DOMParser) {
    return;
  }
  var button = section.querySelector("[data-live-notice]");
  var seconds = parseInt(section.getAttribute("data-poll-seconds"), 10) || 15;
  var waiting = null;

  function current() {
    return section.querySelector("[data-live-list]");
  }

  function signature(list) {
    var items = list.querySelectorAll("[data-update]");
    var parts = [list.getAttribute("data-ended")];
    for (var i = 0; i < items.length; i++) {
      parts.push(items[i].getAttribute("data-update") + "@" + items[i].getAttribute("data-modified"));
    }
    return parts.join(" ");
  }

  function ids(list) {
    var found = {};
    var items = list.querySelectorAll("[data-update]");
    for (var i = 0; i < items.length; i++) {
      found[items[i].getAttribute("data-update")] = true;
    }
    return found;
  }

  function offer(fresh) {
    var known = ids(current());
    var added = 0;
    var items = fresh.querySelectorAll("[data-update]");
    for (var i = 0; i < items.length; i++) {
      if (!known[items[i].getAttribute("data-update")]) {
        added += 1;
      }
    }
    waiting = fresh;
    // The words come from the page, in its language.
    button.textContent = added === 1 ? section.getAttribute("data-one-new")
      : added > 1 ? section.getAttribute("data-many-new").replace("{count}", added)
      : section.getAttribute("data-changed");
    button.hidden = false;
  }

  function poll() {
    fetch(section.getAttribute("data-live-url"), { credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (!html) {
          return;
        }
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.querySelector("[data-live-list]");
        if (fresh && signature(fresh) !== signature(current())) {
          offer(fresh);
        }
      })
      .catch(function () {
        // Offline for a moment: the next poll tries again.
      })
      .then(function () {
        window.setTimeout(poll, seconds * 1000);
      });
  }

  button.addEventListener("click", function () {
    if (waiting) {
      current().replaceWith(document.adoptNode(waiting));
      waiting = null;
    }
    button.hidden = true;
    section.scrollIntoView({ block: "start" });
  });

  window.setTimeout(poll, seconds * 1000);
})();
