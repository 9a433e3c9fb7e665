"""The Firebase custom token's claim source for the class of the sign-in behind it: Firebase
keeps ``acr`` for its own ID tokens and refuses it as a custom token's claim, so the class is
``sign_in_acr`` there (docs/reference/firebase.md, docs/reference/acr.md): a session's, or the
app's token's, which its own session made."""

from __future__ import annotations

from domain.signin.claims.acr import sign_in_class
from domain.signin.claims.sources import ClaimSource

SIGN_IN_ACR = ClaimSource(
    name="sign_in_acr", kinds=frozenset({"firebase_custom"}), value=sign_in_class
)
