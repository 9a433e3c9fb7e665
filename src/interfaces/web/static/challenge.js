// The challenge's widget on the sign-in and sign-up pages (docs/security.md, "A challenge on
// signals"): shown only where a signal asked for one. The provider's script (Turnstile, or
// reCAPTCHA Enterprise) renders its widget in #challenge; the token it hands back goes into
// the form's challenge_token field.
"use strict";

(function () {
  const box = document.getElementById("challenge");
  const field = document.getElementById("challenge-token");
  if (!box || !field) {
    return;
  }
  const options = {
    sitekey: box.dataset.siteKey,
    action: box.dataset.action,
    callback: function (token) {
      field.value = token;
    },
  };

  function render() {
    if (box.dataset.provider === "turnstile" && window.turnstile) {
      window.turnstile.render(box, options);
      return true;
    }
    const recaptcha = window.grecaptcha && window.grecaptcha.enterprise;
    if (box.dataset.provider === "recaptcha_enterprise" && recaptcha) {
      recaptcha.ready(function () {
        recaptcha.render(box, options);
      });
      return true;
    }
    return false;
  }

  // The provider's script runs first (both are deferred, in order); a slow one is waited for.
  let tries = 0;
  if (!render()) {
    const timer = window.setInterval(function () {
      tries += 1;
      if (render() || tries > 100) {
        window.clearInterval(timer);
      }
    }, 100);
  }
})();
