"""A software passkey for tests: soft-webauthn's authenticator, speaking the JSON a browser
sends (docs/reference/passkeys.md), and verifying its user (PIN or biometrics) as passkeys do."""

from __future__ import annotations

import base64
import hashlib
from typing import Any, cast

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fido2 import cbor
from flask.testing import FlaskClient
from soft_webauthn import SoftWebauthnDevice
from werkzeug.test import TestResponse

from tests.support.api import bearer

ORIGIN = "http://localhost:8000"
OPTIONS = "/auth/passkeys/authentication/options"
SIGN_IN = "/auth/passkeys/authentication"
USER_PRESENT = 0x01  # the UP bit of the authenticator data's flags
USER_VERIFIED = 0x04  # the UV bit


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _with_flag(auth_data: bytes, flag: int) -> bytes:
    return auth_data[:32] + bytes([auth_data[32] | flag]) + auth_data[33:]


def _without_flag(auth_data: bytes, flag: int) -> bytes:
    return auth_data[:32] + bytes([auth_data[32] & ~flag]) + auth_data[33:]


class Passkey(SoftWebauthnDevice):  # type: ignore[misc]  # soft-webauthn has no types
    """One credential. ``verified=False``: an authenticator that skips user verification;
    ``present=False``: one that registers without a test of user presence, as a browser's
    automatic upgrade (conditional mediation) does."""

    def __init__(self, *, verified: bool = True, present: bool = True) -> None:
        super().__init__()
        self.verified = verified
        self.present = present

    def register(self, options: dict[str, Any], origin: str = ORIGIN) -> dict[str, Any]:
        """The JSON of navigator.credentials.create() for the server's creation options."""
        public_key = {
            **options,
            "challenge": unb64url(options["challenge"]),
            "user": {**options["user"], "id": unb64url(options["user"]["id"])},
        }
        made = self.create({"publicKey": public_key}, origin)
        attestation: dict[str, Any] = cast(
            dict[str, Any], cbor.decode(made["response"]["attestationObject"])
        )
        if self.verified:
            attestation["authData"] = _with_flag(attestation["authData"], USER_VERIFIED)
        if not self.present:  # the "none" attestation signs nothing: the flags may change
            attestation["authData"] = _without_flag(attestation["authData"], USER_PRESENT)
        return {
            "id": b64url(made["rawId"]),
            "rawId": b64url(made["rawId"]),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(made["response"]["clientDataJSON"]),
                "attestationObject": b64url(cbor.encode(attestation)),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
        }

    def sign_in(self, options: dict[str, Any], origin: str = ORIGIN) -> dict[str, Any]:
        """The JSON of navigator.credentials.get() for the server's request options."""
        made = self.get(
            {"publicKey": {"rpId": options["rpId"], "challenge": unb64url(options["challenge"])}},
            origin,
        )
        response = made["response"]
        auth_data: bytes = response["authenticatorData"]
        signature: bytes = response["signature"]
        if self.verified:  # set UV and sign again, with the credential's own key
            auth_data = _with_flag(auth_data, USER_VERIFIED)
            client_hash = hashlib.sha256(response["clientDataJSON"]).digest()
            key = cast(ec.EllipticCurvePrivateKey, self.private_key)
            signature = key.sign(auth_data + client_hash, ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64url(made["rawId"]),
            "rawId": b64url(made["rawId"]),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(response["clientDataJSON"]),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(response["userHandle"]),
            },
            "clientExtensionResults": {},
        }


def add_passkey(client: FlaskClient, token: str) -> Passkey:
    """A new passkey registered for the holder of ``token`` through the API."""
    key = Passkey()
    headers = {"Authorization": f"Bearer {token}"}
    options = client.post("/auth/passkeys/registration/options", headers=headers)
    assert options.status_code == 200, options.get_json()
    made = client.post(
        "/auth/passkeys/registration", headers=headers, json=key.register(options.get_json())
    )
    assert made.status_code == 201, made.get_json()
    return key


def passkey_sign_in(client: FlaskClient, key: Passkey) -> TestResponse:
    """The API's answer to a sign-in with ``key``."""
    options = client.post("/auth/passkeys/authentication/options")
    return client.post("/auth/passkeys/authentication", json=key.sign_in(options.get_json()))


def enrol(client: FlaskClient, token: str, key: Passkey, **extra: Any) -> dict[str, Any]:
    options = client.post("/auth/passkeys/registration/options", headers=bearer(token))
    assert options.status_code == 200, options.get_json()
    body = {**key.register(options.get_json()), **extra}
    response = client.post("/auth/passkeys/registration", headers=bearer(token), json=body)
    assert response.status_code == 201, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def assertion(client: FlaskClient, key: Passkey, origin: str | None = None) -> dict[str, Any]:
    options = client.post(OPTIONS)
    assert options.status_code == 200, options.get_json()
    return key.sign_in(options.get_json(), *(origin,) if origin else ())
