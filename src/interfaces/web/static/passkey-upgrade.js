// The automatic passkey upgrade on firegate's pages (docs/passkeys-upgraded.md). The page a
// person lands on shortly after signing in by password or code includes this script while
// the account has no passkey. Where the browser can make a passkey by itself
// (PublicKeyCredential.getClientCapabilities() says conditionalCreate), it asks for
// conditional options and hands them to navigator.credentials.create() with
// mediation "conditional": the browser (its password manager) may then save a passkey
// without a dialog, which the script posts as "Add a passkey" does, with the page's CSRF
// token. It shows nothing and says nothing: any failure leaves the page as it is.
"use strict";

(function () {
  const script = document.currentScript;
  const origins = ((script && script.dataset.origins) || "").split(" ").filter(Boolean);

  // The server lists where passkeys work; the browser knows the address it is really on.
  function here() {
    return origins.length === 0 || origins.some(function (address) {
      try {
        return new URL(address).origin === window.location.origin;
      } catch (error) {
        return false;
      }
    });
  }

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  async function post(url, body) {
    const answer = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Accept": "application/json",
        "Content-Type": "application/json",
        "X-CSRF-Token": csrfToken(),
      },
      body: JSON.stringify(body),
    });
    if (!answer.ok) {
      throw new Error("refused");
    }
    return answer.json();
  }

  async function upgrade() {
    // A page that offers passkeys itself (adding one, signing in) keeps the browser's one
    // pending request for its own button.
    if (document.getElementById("passkey-add") || document.getElementById("passkey-sign-in")) {
      return;
    }
    if (!here() || !window.isSecureContext || !window.PublicKeyCredential ||
        !PublicKeyCredential.getClientCapabilities ||
        !PublicKeyCredential.parseCreationOptionsFromJSON) {
      return;
    }
    const capabilities = await PublicKeyCredential.getClientCapabilities();
    if (!capabilities.conditionalCreate) {
      return;
    }
    const options = await post("/account/passkeys/options", { mediation: "conditional" });
    delete options.mediation;
    const credential = await navigator.credentials.create({
      mediation: "conditional",
      publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options),
    });
    if (credential) {
      await post("/account/passkeys", credential.toJSON());
    }
  }

  function start() {
    upgrade().catch(function () {
      // silent: no upgrade this time; "Add a passkey" stays on the account's security page
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
