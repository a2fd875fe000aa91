// Story form helpers: live character counters for the headline and
// standfirst, and a live word count for the body. Plain script, no
// dependencies; the server never relies on it.
"use strict";

(function () {
  // Search results cut titles at about 60-70 characters and descriptions at
  // about 155-160; social cards show a little more.
  const LIMITS = {
    id_headline: { max: 70, hint: "search results and social cards show about 70" },
    id_standfirst: { max: 160, hint: "search results show about 160" },
  };

  function counterFor(input, limit) {
    const output = document.createElement("div");
    // "help" lines it up with the admin's help texts under the field.
    output.className = "help counter";
    output.setAttribute("aria-live", "polite");
    (input.closest(".flex-container") || input).insertAdjacentElement("afterend", output);
    const update = function () {
      const length = input.value.length;
      output.textContent = length + " / " + limit.max + " characters (" + limit.hint + ")";
      output.classList.toggle("counter--over", length > limit.max);
    };
    input.addEventListener("input", update);
    update();
  }

  function countWords(text) {
    const words = text.trim().split(/\s+/).filter(Boolean);
    return words.length;
  }

  function bodyWordCount(textarea) {
    const output = document.createElement("div");
    output.className = "help counter counter--words";
    output.setAttribute("aria-live", "polite");
    const row = textarea.closest(".form-row") || textarea.parentElement;
    row.appendChild(output);
    const update = function () {
      // The rich-text editor keeps its text in a contenteditable element and
      // writes HTML back to the textarea; read whichever is there.
      const editor = row.querySelector("[contenteditable=true]");
      let text;
      if (editor) {
        text = editor.innerText;
      } else {
        const scratch = document.createElement("div");
        scratch.innerHTML = textarea.value;
        text = scratch.textContent;
      }
      const words = countWords(text);
      const minutes = Math.max(1, Math.round(words / 220));
      const message = words + (words === 1 ? " word" : " words") + ", about " + minutes + " min to read";
      // Writing the same text again would wake the observer below forever.
      if (output.textContent !== message) output.textContent = message;
    };
    row.addEventListener("input", update);
    row.addEventListener("keyup", update);
    new MutationObserver(update).observe(row, { childList: true, subtree: true, characterData: true });
    update();
  }

  function init() {
    for (const [id, limit] of Object.entries(LIMITS)) {
      const input = document.getElementById(id);
      if (input) counterFor(input, limit);
    }
    const body = document.getElementById("id_body");
    if (body) bodyWordCount(body);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
