// The alerts page's "Notifications on this device": breaking news by web
// push (alerts/push.py). Nothing happens until the reader presses "Turn on
// notifications": then the browser asks for permission, /sw.js (which shows
// the notifications) is registered, the browser's push service gives a
// subscription and it is saved on the site (alerts/views.py) with the
// ticked sections, every one ticked meaning all, including new ones. The
// part stays hidden without this script; a browser without push gets one
// line saying so. The words come from the page, in its language.
(function () {
  "use strict";
  var part = document.querySelector("[data-push]");
  if (!part) {
    return;
  }
  var key = part.getAttribute("data-key");
  if (
    !key ||
    !window.fetch ||
    !window.Promise ||
    !("serviceWorker" in navigator) ||
    !("PushManager" in window) ||
    !("Notification" in window)
  ) {
    document.querySelector("[data-push-unsupported]").hidden = false;
    return;
  }
  var onButton = part.querySelector("[data-push-on]");
  var offButton = part.querySelector("[data-push-off]");
  var saveButton = part.querySelector("[data-push-save]");
  var status = part.querySelector("[data-push-status]");
  var boxes = part.querySelectorAll("[data-push-section]");
  // Which sections this browser saved last: the site does not say, and
  // the reader should see what they chose when they come back.
  var KEPT = "push-sections";
  // The language the alerts were turned on in: a subscription brings one
  // language's news, the page's at the time (alerts/views.py).
  var KEPT_LANGUAGE = "push-language";
  var language = document.documentElement.lang;

  function words(name) {
    return part.getAttribute("data-" + name);
  }

  function say(name, isError) {
    status.textContent = words(name);
    status.classList.toggle("push__status--error", Boolean(isError));
  }

  function showOn(isOn) {
    part.classList.toggle("push--on", isOn);
    onButton.hidden = isOn;
    offButton.hidden = !isOn;
    saveButton.hidden = !isOn || boxes.length === 0;
  }

  // While busy the buttons are disabled, which takes the keyboard's focus
  // away from the one pressed: give it back, or to the button shown in its
  // place ("Turn off" for "Turn on").
  function busy(isBusy, pressed) {
    onButton.disabled = offButton.disabled = saveButton.disabled = isBusy;
    if (!isBusy && pressed && document.activeElement === document.body) {
      if (pressed.hidden) {
        pressed = onButton.hidden ? offButton : onButton;
      }
      pressed.focus();
    }
  }

  function keyBytes() {
    var text = key.replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(text + "===".slice((text.length + 3) % 4));
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) {
      bytes[i] = raw.charCodeAt(i);
    }
    return bytes;
  }

  function sameKey(subscription) {
    var theirs = subscription.options && subscription.options.applicationServerKey;
    if (!theirs) {
      return true; // Older browsers do not tell; the site's key never changes.
    }
    var mine = keyBytes();
    theirs = new Uint8Array(theirs);
    if (theirs.length !== mine.length) {
      return false;
    }
    for (var i = 0; i < mine.length; i++) {
      if (theirs[i] !== mine[i]) {
        return false;
      }
    }
    return true;
  }

  // The ticked sections' slugs; every one ticked is sent as none, which
  // the site reads as all. Null when none is ticked.
  function chosen() {
    var slugs = [];
    for (var i = 0; i < boxes.length; i++) {
      if (boxes[i].checked) {
        slugs.push(boxes[i].value);
      }
    }
    if (boxes.length && slugs.length === 0) {
      return null;
    }
    return slugs.length === boxes.length ? [] : slugs;
  }

  function keep(slugs) {
    try {
      window.localStorage.setItem(KEPT, JSON.stringify(slugs));
    } catch (error) {
      // Storage off: the boxes are all ticked next time.
    }
  }

  function tickKept() {
    var slugs = null;
    try {
      slugs = JSON.parse(window.localStorage.getItem(KEPT));
    } catch (error) {
      slugs = null;
    }
    if (!Array.isArray(slugs) || slugs.length === 0) {
      return;
    }
    for (var i = 0; i < boxes.length; i++) {
      boxes[i].checked = slugs.indexOf(boxes[i].value) !== -1;
    }
  }

  function post(url, data) {
    var token = document.querySelector("input[name=csrfmiddlewaretoken]");
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "X-CSRFToken": token ? token.value : "",
      },
      body: JSON.stringify(data),
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("The site answered " + response.status);
      }
      return response.json();
    });
  }

  function save(subscription, slugs) {
    var data = subscription.toJSON();
    data.sections = slugs;
    return post(part.getAttribute("data-subscribe-url"), data).then(function () {
      keep(slugs);
      try {
        window.localStorage.setItem(KEPT_LANGUAGE, language);
      } catch (error) {
        // Storage off: the page cannot tell the language; it says "on".
      }
    });
  }

  function current() {
    return navigator.serviceWorker.getRegistration("/").then(function (registration) {
      return registration ? registration.pushManager.getSubscription() : null;
    });
  }

  function subscribe() {
    return navigator.serviceWorker
      .register("/sw.js", { scope: "/" })
      .then(function () {
        // Subscribing needs an active worker, which "ready" waits for.
        return navigator.serviceWorker.ready;
      })
      .then(function (registration) {
        var manager = registration.pushManager;
        var fresh = function () {
          return manager.subscribe({
            userVisibleOnly: true,
            applicationServerKey: keyBytes(),
          });
        };
        return manager.getSubscription().then(function (old) {
          if (old && !sameKey(old)) {
            return old.unsubscribe().then(fresh);
          }
          return old || fresh();
        });
      });
  }

  // A browser whose push service cannot be reached may never answer
  // subscribe(): give up after a while rather than leave the button busy.
  // (data-wait-seconds is for tests; the page does not set it.)
  function inTime(promise) {
    var seconds = Number(part.getAttribute("data-wait-seconds")) || 30;
    var late = new Promise(function (resolve, reject) {
      window.setTimeout(function () {
        reject(new Error("No answer from the push service"));
      }, seconds * 1000);
    });
    return Promise.race([promise, late]);
  }

  function turnOn() {
    var slugs = chosen();
    if (slugs === null) {
      say("no-section", true);
      return;
    }
    var attempt = null;
    busy(true);
    say("working");
    // Asked first, straight from the click: some browsers allow the
    // question only then.
    Notification.requestPermission()
      .then(function (permission) {
        if (permission !== "granted") {
          say(permission === "denied" ? "denied" : "dismissed", true);
          return;
        }
        attempt = subscribe();
        return inTime(attempt)
          .then(function (subscription) {
            return save(subscription, slugs);
          })
          .then(function () {
            showOn(true);
            say("on");
          });
      })
      .catch(function () {
        say("failed", true);
        // Not saved on the site (or too late): leave the browser
        // unsubscribed too, or the page would say "on" next time.
        if (attempt) {
          attempt
            .then(function (subscription) {
              return subscription.unsubscribe();
            })
            .catch(function () {});
        }
      })
      .then(function () {
        busy(false, onButton);
      });
  }

  function turnOff() {
    busy(true);
    say("working");
    current()
      .then(function (subscription) {
        if (!subscription) {
          return;
        }
        var endpoint = subscription.endpoint;
        // The browser first: once it has let go, the push service refuses
        // the site's messages and the site forgets the address anyway.
        return subscription.unsubscribe().then(function () {
          return post(part.getAttribute("data-unsubscribe-url"), {
            endpoint: endpoint,
          }).catch(function () {});
        });
      })
      .then(
        function () {
          showOn(false);
          say("off");
        },
        function () {
          say("failed-off", true);
        }
      )
      .then(function () {
        busy(false, offButton);
      });
  }

  function saveSections() {
    var slugs = chosen();
    if (slugs === null) {
      say("no-section", true);
      return;
    }
    busy(true);
    say("working");
    current()
      .then(function (subscription) {
        if (!subscription) {
          showOn(false);
          throw new Error("No subscription any more");
        }
        return save(subscription, slugs);
      })
      .then(
        function () {
          say("saved");
        },
        function () {
          say("failed-save", true);
        }
      )
      .then(function () {
        busy(false, saveButton);
      });
  }

  onButton.addEventListener("click", turnOn);
  offButton.addEventListener("click", turnOff);
  saveButton.addEventListener("click", saveSections);
  part.hidden = false;

  // Already on? Asking the browser needs no permission and shows no prompt.
  if (Notification.permission === "denied") {
    say("denied", true);
  }
  current()
    .then(function (subscription) {
      if (subscription && Notification.permission === "granted") {
        var kept = null;
        try {
          kept = window.localStorage.getItem(KEPT_LANGUAGE);
        } catch (error) {
          kept = null;
        }
        if (kept && kept !== language) {
          // On, but for the other language's news: offered to switch.
          say("other-language");
          return;
        }
        tickKept();
        showOn(true);
        say("on");
      }
    })
    .catch(function () {
      // Unknown: the reader can still press the button.
    });
})();
