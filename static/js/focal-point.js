// Image form: click the preview to set the focal point (the part of the
// picture crops keep in view). Fills the focal_x / focal_y fields.
"use strict";

(function () {
  function init() {
    const picker = document.querySelector(".focal-picker");
    const x = document.getElementById("id_focal_x");
    const y = document.getElementById("id_focal_y");
    if (!picker || !x || !y) return;
    const mark = picker.querySelector(".focal-picker__mark");
    const place = function () {
      mark.style.left = x.value + "%";
      mark.style.top = y.value + "%";
    };
    picker.querySelector("img").addEventListener("click", function (event) {
      const box = event.target.getBoundingClientRect();
      x.value = Math.round(((event.clientX - box.left) / box.width) * 100);
      y.value = Math.round(((event.clientY - box.top) / box.height) * 100);
      place();
    });
    x.addEventListener("input", place);
    y.addEventListener("input", place);
    place();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
