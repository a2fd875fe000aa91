// Never lose typed text in the story form: what is typed is kept in the
// browser (localStorage, per account and story) until a save succeeds, and
// offered back when the form is opened again after a crash, a closed tab, a
// lost connection, an expired session or a refused save. The server says
// which kept typing is saved (the story_draft_saved cookie, set by
// ArticleAdmin on a good save) and where to keep it (data-draft-key on the
// form's hidden loaded_modified_at box). Plain script, no dependencies.
"use strict";

(function () {
  const PREFIX = "story-draft.";
  const SAVED_COOKIE = "story_draft_saved";
  const KEEP_DAYS = 7;
  const THROTTLE_MS = 1000;
  // Not typing: the form's own tokens and the buttons.
  const SKIPPED = new Set([
    "csrfmiddlewaretoken",
    "loaded_modified_at",
    "overwrite_modified_at",
    "kept_gallery_photos",
  ]);

  function storage() {
    try {
      return window.localStorage;
    } catch (error) {
      return null; // storage switched off: the form works as before
    }
  }

  function read(store, key) {
    try {
      return JSON.parse(store.getItem(key));
    } catch (error) {
      return null;
    }
  }

  function forget(store, test) {
    for (let i = store.length - 1; i >= 0; i--) {
      const key = store.key(i);
      if (key && key.startsWith(PREFIX) && test(key)) store.removeItem(key);
    }
  }

  // The server's word that a save went through: drop what was kept for it.
  function dropSaved(store) {
    const match = document.cookie.match(new RegExp("(?:^|; )" + SAVED_COOKIE + "=([^;]*)"));
    if (!match) return;
    store.removeItem(decodeURIComponent(match[1]));
    document.cookie = SAVED_COOKIE + "=; Max-Age=0; Path=/; SameSite=Lax";
  }

  function dropOld(store) {
    const limit = Date.now() - KEEP_DAYS * 24 * 3600 * 1000;
    forget(store, function (key) {
      const draft = read(store, key);
      return !draft || !(draft.savedAt > limit);
    });
  }

  // The story's own boxes (not the inline rows, whose names carry a
  // "prefix-", nor the autocomplete boxes, whose choices come from the
  // server, nor files).
  function fieldsOf(form) {
    return Array.from(form.elements).filter(function (element) {
      if (!element.name || element.name.includes("-") || SKIPPED.has(element.name)) return false;
      if (["hidden", "file", "submit", "button", "reset", "image", "password"].includes(element.type)) return false;
      if (element.tagName === "SELECT" && (element.multiple || element.classList.contains("admin-autocomplete"))) return false;
      return !element.disabled;
    });
  }

  function editorOf(textarea) {
    const area = textarea.closest(".prose-editor");
    const view = area && area.querySelector(".ProseMirror[contenteditable]");
    return (view && view.editor) || null;
  }

  function valueOf(element) {
    if (element.type === "checkbox") return element.checked;
    if (element.type === "radio") return element.checked ? element.value : undefined;
    if (element.tagName === "TEXTAREA") {
      const editor = editorOf(element);
      // The editor's HTML, as it writes it back to the box on each change.
      if (editor) return editor.isEmpty ? "" : editor.getHTML();
    }
    return element.value;
  }

  function snapshot(form) {
    const values = {};
    for (const element of fieldsOf(form)) {
      const value = valueOf(element);
      if (value !== undefined) values[element.name] = value;
    }
    return values;
  }

  function differs(draft, shown) {
    return Object.keys(draft.fields).some(function (name) {
      return name in shown && draft.fields[name] !== shown[name];
    });
  }

  function restore(form, draft) {
    for (const element of fieldsOf(form)) {
      if (!(element.name in draft.fields)) continue;
      const value = draft.fields[element.name];
      if (element.type === "checkbox") {
        element.checked = value === true;
      } else if (element.type === "radio") {
        element.checked = element.value === value;
      } else {
        const editor = element.tagName === "TEXTAREA" && editorOf(element);
        if (editor) {
          editor.commands.setContent(value || "");
        } else {
          element.value = value;
        }
      }
      // The counters and the slug follow.
      element.dispatchEvent(new Event("input", { bubbles: true }));
      element.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }

  function timeOf(moment, zone) {
    const options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone || undefined };
    const day = { day: "numeric", month: "short", timeZone: zone || undefined };
    let time;
    try {
      time = new Intl.DateTimeFormat("en-GB", options).format(moment);
      const today = new Intl.DateTimeFormat("en-GB", day).format(new Date());
      const then = new Intl.DateTimeFormat("en-GB", day).format(moment);
      return then === today ? time : then + ", " + time;
    } catch (error) {
      return moment.toLocaleString();
    }
  }

  function banner(form, draft, token, onDone) {
    const box = document.createElement("div");
    box.className = "draft-banner";
    box.setAttribute("role", "alert");
    const text = document.createElement("p");
    text.textContent = "You have unsaved changes from " + timeOf(new Date(draft.savedAt), token.dataset.timeZone) + " — ";
    const restoreButton = document.createElement("button");
    restoreButton.type = "button";
    restoreButton.className = "button default";
    restoreButton.textContent = "Restore";
    const discardButton = document.createElement("button");
    discardButton.type = "button";
    discardButton.className = "button";
    discardButton.textContent = "Discard";
    text.append(restoreButton, " ", discardButton);
    box.append(text);
    const stale = draft.loaded && token.value && draft.loaded !== token.value;
    if (stale) {
      const note = document.createElement("p");
      note.className = "draft-banner__note";
      note.textContent =
        "The story has been saved since you typed them. If you restore them, " +
        "saving shows the newer version beside yours first, so that nothing is overwritten unseen.";
      box.append(note);
    }
    restoreButton.addEventListener("click", function () {
      restore(form, draft);
      // The save is checked against the version the typing started from.
      if (stale) token.value = draft.loaded;
      box.remove();
      onDone(true);
    });
    discardButton.addEventListener("click", function () {
      box.remove();
      onDone(false);
    });
    form.before(box);
    restoreButton.focus({ preventScroll: true });
  }

  function whenEditorReady(form, callback) {
    const body = form.querySelector("textarea[name=body]");
    if (!body || editorOf(body)) return callback();
    let done = false;
    const go = function () {
      if (!done) {
        done = true;
        callback();
      }
    };
    document.addEventListener("prose-editor:ready", go, { once: true });
    // Should the editor not start, compare with the plain box.
    window.setTimeout(go, 5000);
  }

  function keep(form, token, store) {
    const key = token.dataset.draftKey;
    let timer = null;
    const write = function () {
      window.clearTimeout(timer);
      timer = null;
      const draft = { savedAt: Date.now(), loaded: token.value, fields: snapshot(form) };
      try {
        store.setItem(key, JSON.stringify(draft));
      } catch (error) {
        // Storage full or refused: nothing more can be done here.
      }
    };
    let typed = false;
    const later = function () {
      typed = true;
      if (timer === null) timer = window.setTimeout(write, THROTTLE_MS);
    };
    const now = function () {
      if (typed) write();
    };
    form.addEventListener("input", later);
    form.addEventListener("change", later);
    // Just before the page goes (a closed tab, a save), keep the last keys.
    form.addEventListener("submit", now);
    window.addEventListener("pagehide", now);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") now();
    });

    const draft = read(store, key);
    if (!draft || !draft.fields) return;
    whenEditorReady(form, function () {
      if (!differs(draft, snapshot(form))) return;
      banner(form, draft, token, function (restored) {
        if (restored) {
          write();
        } else if (!typed) {
          store.removeItem(key);
        }
      });
    });
  }

  function init() {
    const store = storage();
    if (!store) return;
    dropSaved(store);
    dropOld(store);
    // Signing out empties it too: static/js/forget-drafts.js.
    const token = document.querySelector("input[name=loaded_modified_at][data-draft-key]");
    const form = token && token.form;
    if (form) keep(form, token, store);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
