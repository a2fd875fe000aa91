// The focal point (the part of a picture crops keep in view): a click on the
// picture fills the focal x / y number boxes, which work without this script.
// On the Image form the picture is the stored one (.focal-picker). On the
// story form it is the file chosen for a new lead picture, shown before it
// is uploaded; that file can also be dropped on its box.
"use strict";

(function () {
  function pick(picker, x, y) {
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

  function newPicture(input) {
    const x = document.getElementById(input.dataset.focalX);
    const y = document.getElementById(input.dataset.focalY);
    if (!x || !y) return;
    const drop = document.createElement("div");
    drop.className = "picture-drop";
    input.replaceWith(drop);
    drop.appendChild(input);
    const hint = document.createElement("p");
    hint.className = "picture-drop__hint";
    hint.textContent = "or drop a picture here";
    drop.appendChild(hint);

    const picker = document.createElement("div");
    picker.className = "focal-picker";
    picker.hidden = true;
    const preview = document.createElement("img");
    preview.alt = "The new picture: click its subject to set the focal point";
    const mark = document.createElement("span");
    mark.className = "focal-picker__mark";
    mark.setAttribute("aria-hidden", "true");
    picker.append(preview, mark);
    drop.appendChild(picker);
    pick(picker, x, y);

    // After a refused save the picture is kept on the server: show it.
    if (input.dataset.keptUrl) {
      preview.src = input.dataset.keptUrl;
      picker.hidden = false;
    }
    const show = function () {
      const file = input.files[0];
      if (!file || !file.type.startsWith("image/")) {
        if (input.dataset.keptUrl) preview.src = input.dataset.keptUrl;
        picker.hidden = !input.dataset.keptUrl;
        return;
      }
      // A data: address: the admin's policy allows those for pictures.
      const reader = new FileReader();
      reader.addEventListener("load", function () {
        preview.src = reader.result;
        picker.hidden = false;
      });
      reader.readAsDataURL(file);
    };
    input.addEventListener("change", show);

    drop.addEventListener("dragover", function (event) {
      event.preventDefault();
      drop.classList.add("picture-drop--over");
    });
    drop.addEventListener("dragleave", function () {
      drop.classList.remove("picture-drop--over");
    });
    drop.addEventListener("drop", function (event) {
      event.preventDefault();
      drop.classList.remove("picture-drop--over");
      const file = event.dataTransfer.files[0];
      if (!file) return;
      const chosen = new DataTransfer();
      chosen.items.add(file);
      input.files = chosen.files;
      show();
    });
  }

  function init() {
    const picker = document.querySelector(".focal-picker");
    const x = document.getElementById("id_focal_x");
    const y = document.getElementById("id_focal_y");
    if (picker && x && y) pick(picker, x, y);
    document.querySelectorAll("input[type=file][data-focal-x]").forEach(newPicture);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
