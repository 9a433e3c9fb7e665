"""WebAuthn ceremonies with the ``webauthn`` library, for one relying party
(docs/reference/passkeys.md, docs/decisions/0120-passkeys.md).

The library (with pyOpenSSL, pyasn1 and cbor2 under it) is imported by a worker's first
ceremony, in each method that uses it: a deployment whose people use no passkey never loads it
(docs/decisions/0530-protocol-stacks-loaded-when-used.md)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence

from application.json_text import read_json
from application.ports import Assertion, NewCredential
from domain.errors import InvalidInput, Unauthenticated
from domain.signin.passkeys import CHALLENGE_TTL, INVALID_PASSKEY

TIMEOUT_MS = int(CHALLENGE_TTL.total_seconds() * 1000)
TRANSPORTS = frozenset({"ble", "cable", "hybrid", "internal", "nfc", "smart-card", "usb"})


def _refusals() -> tuple[type[Exception], ...]:
    """What the library raises on input it cannot read as well as on checks that fail (its
    JSON and CBOR decoders recurse: deep nesting is a RecursionError there)."""
    from webauthn.helpers.exceptions import WebAuthnException  # noqa: PLC0415

    return (WebAuthnException, ValueError, TypeError, KeyError, IndexError, RecursionError)


def _bytes(value: object, field: str) -> bytes:
    """base64url (padded or not), as browsers' toJSON() and the libraries write it."""
    if not isinstance(value, str) or not value or len(value) > 65_536:
        raise InvalidInput.field(field, "Must be a base64url string.", "invalid_base64url")
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise InvalidInput.field(
            field, "Must be a base64url string.", "invalid_base64url"
        ) from None


def _response(credential: Mapping[str, object]) -> Mapping[str, object]:
    response = credential.get("response")
    if not isinstance(response, Mapping):
        raise InvalidInput.field("response", "Must be an object.", "invalid_credential")
    return response


class WebAuthnCeremonies:
    def __init__(self, *, rp_id: str, rp_name: str) -> None:
        self.rp_id = rp_id
        self.rp_name = rp_name

    def registration_options(
        self,
        *,
        challenge: bytes,
        user_handle: bytes,
        user_name: str,
        display_name: str,
        exclude: Sequence[bytes],
        conditional: bool = False,
    ) -> dict[str, object]:
        from webauthn import generate_registration_options, options_to_json  # noqa: PLC0415
        from webauthn.helpers.structs import (  # noqa: PLC0415
            AuthenticatorSelectionCriteria,
            PublicKeyCredentialDescriptor,
            ResidentKeyRequirement,
            UserVerificationRequirement,
        )

        options = generate_registration_options(
            rp_id=self.rp_id,
            rp_name=self.rp_name,
            user_id=user_handle,
            user_name=user_name,
            user_display_name=display_name,
            challenge=challenge,
            timeout=TIMEOUT_MS,
            # Discoverable (usernameless sign-in) and verified (PIN or biometrics: a second
            # factor in the key itself, so a passkey sign-in satisfies MFA). An automatic
            # upgrade verifies no one (WebAuthn Level 3 has the browser skip it, and a
            # "required" would make it refuse): each sign-in with the passkey still does
            # (docs/decisions/0916-an-upgrades-passkey-without-user-verification.md).
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED,
                user_verification=UserVerificationRequirement.PREFERRED
                if conditional
                else UserVerificationRequirement.REQUIRED,
            ),
            exclude_credentials=[PublicKeyCredentialDescriptor(id=item) for item in exclude],
        )
        return _as_json(options_to_json(options))

    def authentication_options(self, *, challenge: bytes) -> dict[str, object]:
        from webauthn import generate_authentication_options, options_to_json  # noqa: PLC0415
        from webauthn.helpers.structs import UserVerificationRequirement  # noqa: PLC0415

        options = generate_authentication_options(
            rp_id=self.rp_id,
            challenge=challenge,
            timeout=TIMEOUT_MS,
            allow_credentials=[],  # discoverable: the authenticator offers its own
            user_verification=UserVerificationRequirement.REQUIRED,
        )
        return _as_json(options_to_json(options))

    def challenge_of(self, credential: Mapping[str, object]) -> bytes:
        raw = _bytes(_response(credential).get("clientDataJSON"), "response.clientDataJSON")
        try:
            # Bounded nesting: json.loads on a few KB of [[[...]]] is a RecursionError.
            client_data = read_json(raw.decode("utf-8"))
        except ValueError:  # UnicodeDecodeError and UnreadableJson included
            client_data = None
        if not isinstance(client_data, dict):
            raise InvalidInput.field(
                "response.clientDataJSON", "Must be JSON client data.", "invalid_credential"
            )
        return _bytes(client_data.get("challenge"), "response.clientDataJSON")

    def credential_id_of(self, credential: Mapping[str, object]) -> bytes:
        return _bytes(credential.get("rawId"), "rawId")

    def verify_registration(
        self,
        credential: Mapping[str, object],
        *,
        challenge: bytes,
        origins: Sequence[str],
        conditional: bool = False,
    ) -> NewCredential:
        from webauthn import verify_registration_response  # noqa: PLC0415

        try:
            verified = verify_registration_response(
                credential=dict(credential),
                expected_challenge=challenge,
                expected_rp_id=self.rp_id,
                expected_origin=list(origins),
                # User presence is reported, and the caller decides (Passkeys.register)
                require_user_presence=False,
                require_user_verification=not conditional,
            )
            present = _user_present(verified.attestation_object)
        except _refusals():
            # The library's message names its internals: the client gets ours only.
            raise InvalidInput("The passkey was not accepted.", code=INVALID_PASSKEY) from None
        transports = _response(credential).get("transports")
        return NewCredential(
            credential_id=verified.credential_id,
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
            backed_up=verified.credential_backed_up,
            transports=tuple(
                t for t in (transports if isinstance(transports, list) else []) if t in TRANSPORTS
            ),
            user_present=present,
        )

    def verify_authentication(
        self,
        credential: Mapping[str, object],
        *,
        challenge: bytes,
        public_key: bytes,
        origins: Sequence[str],
    ) -> Assertion:
        handle = _response(credential).get("userHandle")
        user_handle = _bytes(handle, "response.userHandle") if handle else None
        from webauthn import verify_authentication_response  # noqa: PLC0415

        try:
            verified = verify_authentication_response(
                credential=dict(credential),
                expected_challenge=challenge,
                expected_rp_id=self.rp_id,
                expected_origin=list(origins),
                credential_public_key=public_key,
                # 0: the library leaves the counter alone; Passkey.signed_in decides, against
                # the stored value, by compare-and-set.
                credential_current_sign_count=0,
                require_user_verification=True,
            )
        except _refusals():
            raise Unauthenticated("The passkey was not accepted.", code=INVALID_PASSKEY) from None
        return Assertion(
            sign_count=verified.new_sign_count,
            user_handle=user_handle,
            backed_up=verified.credential_backed_up,
        )


def _user_present(attestation_object: bytes) -> bool:
    """The user-presence (UP) flag of a verified registration's authenticator data."""
    from webauthn.helpers import parse_attestation_object  # noqa: PLC0415

    return bool(parse_attestation_object(attestation_object).auth_data.flags.up)


def _as_json(text: str) -> dict[str, object]:
    value = json.loads(text)
    if not isinstance(value, dict):  # options_to_json writes an object
        raise TypeError("options are not a JSON object")
    return value
