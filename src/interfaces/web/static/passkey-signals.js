// WebAuthn's Signal API on the account area (docs/pages.md, "Passkeys"): the page names the
// signal and its data in #passkey-signals; this tells the browser's passkey manager, where
// the browser has the method, and does nothing otherwise. After a passkey is deleted, the
// account's remaining passkeys (so the deleted one is no longer offered); after the profile
// is saved, the account's names as the passkeys show them.
"use strict";

(function () {
  const box = document.getElementById("passkey-signals");
  const api = window.PublicKeyCredential;
  if (!box || !api) {
    return;
  }
  const data = box.dataset;
  let call = null;
  if (data.signal === "accepted" && typeof api.signalAllAcceptedCredentials === "function") {
    call = api.signalAllAcceptedCredentials({
      rpId: data.rpId,
      userId: data.userId,
      allAcceptedCredentialIds: (data.accepted || "").split(" ").filter(Boolean),
    });
  } else if (data.signal === "details" && typeof api.signalCurrentUserDetails === "function") {
    call = api.signalCurrentUserDetails({
      rpId: data.rpId,
      userId: data.userId,
      name: data.name,
      displayName: data.displayName,
    });
  }
  if (call && typeof call.catch === "function") {
    call.catch(function () {}); // a signal is a hint: nothing to tell the person
  }
})();
