// Counts one view of this story for "Most read": a small POST with the
// story's id, sent after the page has loaded. No cookies, no identifiers.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.dataset.story || !script.dataset.url) {
    return;
  }
  var url = script.dataset.url;
  var body = new URLSearchParams({ story: script.dataset.story });

  function send() {
    if (navigator.sendBeacon && navigator.sendBeacon(url, body)) {
      return;
    }
    if (window.fetch) {
      fetch(url, { method: "POST", body: body, keepalive: true, credentials: "omit" });
    }
  }

  // A page rendered ahead of time (prerendering) is not a view until shown.
  if (document.prerendering) {
    document.addEventListener("prerenderingchange", send, { once: true });
  } else {
    send();
  }
})();
