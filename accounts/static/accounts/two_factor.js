// Two-step sign-in pages (accounts/templates/accounts/). No inline script:
// the admin's Content-Security-Policy allows only files from this site.
"use strict";

// A passkey made (django-otp-webauthn's register script fires this event on
// its button): go on to the next step, named by the button's container.
document.addEventListener("otp_webauthn.register_complete", (event) => {
  const container = event.target.closest("[data-passkey-done]");
  if (container) {
    window.location.assign(container.dataset.passkeyDone);
  }
});

document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
