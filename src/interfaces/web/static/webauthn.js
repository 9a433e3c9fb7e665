// Passkeys on firegate's pages (docs/pages.md): "Add a passkey" on /account/security and
// /sign-up/passkey, and on /sign-in
// "Sign in with a passkey" plus the browser's passkey autofill on the username field
// (conditional mediation). The pages work without this script; it only shows the passkey
// controls on an address where passkeys work, in a browser that has WebAuthn, and otherwise
// shows the page's sentence saying why not. Its requests carry the page's CSRF token
// (<meta name="csrf-token">) in the X-CSRF-Token header.
"use strict";

(function () {
  const box = document.getElementById("passkey-add") || document.getElementById("passkey-sign-in");
  if (!box) {
    return;
  }

  // The server said "passkeys work on <address>" when the address it was asked for is not
  // one of WEBAUTHN_ORIGINS (data-origins). The browser knows the address it is really on,
  // which a proxy may have hidden from the server: that decides.
  function sameOrigin(address) {
    try {
      return new URL(address).origin === window.location.origin;
    } catch (error) {
      return false;
    }
  }

  const origins = (box.dataset.origins || "").split(" ").filter(Boolean);
  const here = origins.length === 0 || origins.some(sameOrigin);
  const elsewhere = document.getElementById("passkeys-elsewhere");
  if (elsewhere) {
    elsewhere.hidden = here;
  }
  if (!here) {
    return;
  }
  if (!window.isSecureContext || !window.PublicKeyCredential || !navigator.credentials) {
    const unsupported = document.getElementById("passkeys-unsupported");
    if (unsupported) {
      unsupported.hidden = false;
    }
    return;
  }

  // -- base64url and the JSON forms of options and credentials (for browsers without
  // PublicKeyCredential.parse*OptionsFromJSON and toJSON)

  function toBytes(text) {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
    return Uint8Array.from(binary, function (c) { return c.charCodeAt(0); });
  }

  function toText(buffer) {
    let binary = "";
    new Uint8Array(buffer).forEach(function (b) { binary += String.fromCharCode(b); });
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (d) { return Object.assign({}, d, { id: toBytes(d.id) }); });
  }

  function creationOptions(json) {
    if (PublicKeyCredential.parseCreationOptionsFromJSON) {
      return PublicKeyCredential.parseCreationOptionsFromJSON(json);
    }
    return Object.assign({}, json, {
      challenge: toBytes(json.challenge),
      user: Object.assign({}, json.user, { id: toBytes(json.user.id) }),
      excludeCredentials: descriptors(json.excludeCredentials),
    });
  }

  function requestOptions(json) {
    if (PublicKeyCredential.parseRequestOptionsFromJSON) {
      return PublicKeyCredential.parseRequestOptionsFromJSON(json);
    }
    return Object.assign({}, json, {
      challenge: toBytes(json.challenge),
      allowCredentials: descriptors(json.allowCredentials),
    });
  }

  function credentialJSON(credential) {
    if (typeof credential.toJSON === "function") {
      return credential.toJSON();
    }
    const r = credential.response;
    const response = { clientDataJSON: toText(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toText(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = toText(r.authenticatorData);
      response.signature = toText(r.signature);
      if (r.userHandle) {
        response.userHandle = toText(r.userHandle);
      }
    }
    return {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response: response,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults(),
    };
  }

  // -- requests to firegate

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // firegate refused the request; the message is the page's, in the reader's language.
  // ``location``: where the person must go first (sign in again to add a passkey);
  // ``code``: the problem's code.
  class Refused extends Error {
    constructor(message, location, code) {
      super(message);
      this.location = location || "";
      this.code = code || "";
    }
  }

  // POST JSON; resolves to the answer's JSON, rejects with the page's message on a refusal.
  async function post(url, body) {
    const answer = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Accept": "application/json",
        "Content-Type": "application/json",
        "X-CSRF-Token": csrfToken(),
      },
      body: JSON.stringify(body || {}),
    });
    const data = await answer.json().catch(function () { return {}; });
    if (!answer.ok) {
      // Somewhere to go first: sign in again, or the org's single sign-on it requires.
      const elsewhere = ["reauthentication_required", "sso_required"].includes(data.code);
      const location = elsewhere ? answer.headers.get("Location") : "";
      throw new Refused(data.detail || "", location, data.code);
    }
    return data;
  }

  function say(element, text) {
    element.textContent = text;
  }

  // -- /account: add a passkey

  function addPasskey(box) {
    const button = box.querySelector("#passkey-add-button");
    const nameInput = box.querySelector("#passkey-new-name");
    const message = box.querySelector("#passkey-add-message");
    button.addEventListener("click", async function () {
      button.disabled = true;
      say(message, "");
      try {
        const options = await post(box.dataset.options);
        const credential = await navigator.credentials.create({
          publicKey: creationOptions(options),
        });
        const body = Object.assign(credentialJSON(credential), { name: nameInput.value });
        await post(box.dataset.action, body);
        // data-done: where the page goes next (the sign-up's last step, not the account's list)
        window.location.assign(box.dataset.done || "/account/security?done=passkey-added");
      } catch (error) {
        if (error instanceof Refused && error.location) {
          window.location.assign(error.location);
          return;
        }
        say(message, (error instanceof Refused && error.message) || box.dataset.failed);
        button.disabled = false;
      }
    });
    box.hidden = false;
  }

  // -- /sign-in: a passkey firegate does not know (deleted, or its account's gone) is one the
  // browser's passkey manager may stop offering (WebAuthn's Signal API, where it is)

  function forget(credential) {
    const rpId = box.dataset.rpId;
    if (!rpId || typeof PublicKeyCredential.signalUnknownCredential !== "function") {
      return;
    }
    try {
      const told = PublicKeyCredential.signalUnknownCredential({
        rpId: rpId,
        credentialId: credential.id,
      });
      Promise.resolve(told).catch(function () {});
    } catch (error) {
      // a hint: nothing to tell the person, who reads why the sign-in failed
    }
  }

  // -- /sign-in: the button, and the passkey autofill on the username field

  function signIn(box) {
    const button = box.querySelector("#passkey-sign-in-button");
    const message = box.querySelector("#passkey-sign-in-message");
    let autofill = null; // the AbortController of the pending conditional request

    async function finish(credential) {
      let answer;
      try {
        answer = await post(box.dataset.action, credentialJSON(credential));
      } catch (error) {
        if (error instanceof Refused && error.location) {
          window.location.assign(error.location); // the org's single sign-on
          return;
        }
        if (error instanceof Refused && error.code === "unknown_passkey") {
          forget(credential);
        }
        throw error;
      }
      window.location.assign(answer.location);
    }

    // A conditional request waits until the person picks a passkey in the username field's
    // autofill; only one request may be pending, so the button aborts it first.
    async function offerAutofill() {
      if (!PublicKeyCredential.isConditionalMediationAvailable ||
          !(await PublicKeyCredential.isConditionalMediationAvailable())) {
        return;
      }
      const controller = new AbortController();
      autofill = controller;
      let credential;
      try {
        const options = await post(box.dataset.options);
        credential = await navigator.credentials.get({
          mediation: "conditional",
          publicKey: requestOptions(options),
          signal: controller.signal,
        });
      } catch (error) {
        return; // aborted for the button, refused or not offered: the form stays as it is
      } finally {
        if (autofill === controller) {
          autofill = null;
        }
      }
      try {
        await finish(credential);
      } catch (error) {
        // Not offered again by itself (a refused passkey would be refused in a loop): the
        // button is there, and offers it again after its own attempt.
        say(message, (error instanceof Refused && error.message) || box.dataset.failed);
      }
    }

    button.addEventListener("click", async function () {
      button.disabled = true;
      say(message, "");
      if (autofill) {
        autofill.abort();
        autofill = null;
      }
      try {
        const options = await post(box.dataset.options);
        const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
        await finish(credential);
      } catch (error) {
        say(message, (error instanceof Refused && error.message) || box.dataset.failed);
        button.disabled = false;
        offerAutofill();
      }
    });
    box.hidden = false;
    offerAutofill();
  }

  if (box.id === "passkey-add") {
    addPasskey(box);
  } else {
    signIn(box);
  }
})();
