// The site's service worker, served at /sw.js (alerts/views.py): it shows
// breaking-news alerts sent by web push (alerts/push.py) and opens the
// story when the reader taps one. It caches nothing and handles no fetch.
"use strict";

self.addEventListener("push", function (event) {
  var alert = {};
  try {
    alert = event.data ? event.data.json() : {};
  } catch (error) {
    alert = {};
  }
  if (!alert.title) {
    return;
  }
  event.waitUntil(
    self.registration.showNotification(alert.title, {
      body: alert.body || "",
      tag: alert.tag,
      lang: alert.lang,
      dir: alert.dir || "auto",
      icon: "/static/img/logo.png",
      data: { url: alert.url },
    })
  );
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = event.notification.data && event.notification.data.url;
  if (!url) {
    return;
  }
  event.waitUntil(
    self.clients
      .matchAll({ type: "window", includeUncontrolled: true })
      .then(function (windows) {
        for (var i = 0; i < windows.length; i++) {
          if (windows[i].url === url && "focus" in windows[i]) {
            return windows[i].focus();
          }
        }
        return self.clients.openWindow(url);
      })
  );
});

// The browser or its push service replaced the subscription (Firefox does
// when its push service resets): subscribe again with the same key and
// tell the site, which moves the old one's language and sections over.
self.addEventListener("pushsubscriptionchange", function (event) {
  var old = event.oldSubscription;
  if (!old) {
    return;
  }
  var renewed = event.newSubscription
    ? Promise.resolve(event.newSubscription)
    : self.registration.pushManager.subscribe(old.options);
  event.waitUntil(
    renewed.then(function (subscription) {
      return fetch("/alerts/push/renew/", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          old_endpoint: old.endpoint,
          subscription: subscription.toJSON(),
        }),
      });
    })
  );
});
