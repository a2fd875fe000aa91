// Fills the "Most read" box from its own page (/most-read/), which changes
// every few minutes, so the page around it can stay cached for hours.
// Without JavaScript, or when the fetch fails, the box keeps its link.
(function () {
  "use strict";
  var box = document.getElementById("most-read");
  if (!box || !box.dataset.src || !window.fetch || !window.DOMParser) {
    return;
  }
  fetch(box.dataset.src, { credentials: "omit" })
    .then(function (response) {
      return response.ok ? response.text() : Promise.reject(response.status);
    })
    .then(function (html) {
      var page = new DOMParser().parseFromString(html, "text/html");
      var lists = page.querySelector("#most-read .most-read__lists");
      var link = box.querySelector(".most-read__link");
      if (lists && link) {
        link.replaceWith(document.importNode(lists, true));
      }
    })
    .catch(function () {});
})();
