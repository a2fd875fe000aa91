// On the signed-out page: remove the story form's kept typing (the
// "story-draft." keys of static/js/story-autosave.js) from this browser.
"use strict";

(function () {
  let store;
  try {
    store = window.localStorage;
  } catch (error) {
    return;
  }
  for (let i = store.length - 1; i >= 0; i--) {
    const key = store.key(i);
    if (key && key.startsWith("story-draft.")) store.removeItem(key);
  }
})();
