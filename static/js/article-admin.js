// Story form helpers: live character counters for the headline and
// standfirst, a live word count for the body, and the story's language:
// its text fields (and the body editor) follow it, right to left for Urdu,
// and the translation picker offers stories in the other language. Plain
// script, no dependencies; the server never relies on it.
"use strict";

(function () {
  // Search results cut titles at about 60-70 characters and descriptions at
  // about 155-160; social cards show a little more.
  const LIMITS = {
    id_headline: { max: 70, hint: "search results and social cards show about 70" },
    id_standfirst: { max: 160, hint: "search results show about 160" },
  };

  // What a reader counts as one character: "کے" is two, "é" typed as e and
  // an accent is one. String length counts UTF-16 code units.
  const graphemes = window.Intl && Intl.Segmenter ? new Intl.Segmenter() : null;

  function characterCount(text) {
    if (graphemes) {
      let count = 0;
      for (const _ of graphemes.segment(text)) count += 1;
      return count;
    }
    return Array.from(text).length;
  }

  function counterFor(input, limit) {
    const output = document.createElement("div");
    // "help" lines it up with the admin's help texts under the field.
    output.className = "help counter";
    output.setAttribute("aria-live", "polite");
    (input.closest(".flex-container") || input).insertAdjacentElement("afterend", output);
    const update = function () {
      const length = characterCount(input.value);
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

  // The fields written in the story's language (forms.WRITTEN_IN_LANGUAGE).
  const WRITTEN = ["id_headline", "id_standfirst", "id_slug", "id_body"];

  function setDirection(element, language, direction) {
    element.setAttribute("lang", language);
    element.setAttribute("dir", direction);
  }

  function bodyEditor() {
    return document.querySelector(".field-body [contenteditable]");
  }

  function followLanguage(select) {
    const directions = JSON.parse(select.dataset.directions || "{}");
    const apply = function () {
      const language = select.value;
      const direction = directions[language] || "ltr";
      for (const id of WRITTEN) {
        const field = document.getElementById(id);
        if (field) setDirection(field, language, direction);
      }
      const editor = bodyEditor();
      if (editor) setDirection(editor, language, direction);
      pickTranslationsFor(language);
    };
    select.addEventListener("change", apply);
    directBodyEditor();
  }

  // The body editor (a contenteditable) writes in the direction the server,
  // or followLanguage(), gave its textarea.
  function directBodyEditor() {
    const editor = bodyEditor();
    const body = document.getElementById("id_body");
    if (editor && body && body.lang) setDirection(editor, body.lang, body.dir);
  }
  // It may be ready before or after init().
  document.addEventListener("prose-editor:ready", directBodyEditor);

  function pickTranslationsFor(language) {
    // Django's autocomplete (select2) reads its address when it starts:
    // give it the new language and start it again.
    const picker = document.getElementById("id_translation");
    const address = picker && picker.getAttribute("data-ajax--url");
    if (!address || !window.django || !django.jQuery) return;
    const url = address.split("?")[0] + "?language=" + encodeURIComponent(language);
    if (url === address) return;
    const $picker = django.jQuery(picker);
    if ($picker.hasClass("select2-hidden-accessible")) $picker.select2("destroy");
    picker.setAttribute("data-ajax--url", url);
    // select2 reads the attribute through jQuery, which keeps its first value.
    $picker.data("ajax--url", url);
    $picker.djangoAdminSelect2();
  }

  function init() {
    const language = document.getElementById("id_language");
    if (language) followLanguage(language);
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
