"""Sign-in's adapters, made from its settings: the access tokens' signing key and issuer,
the keys derived from it, the box that seals second factors and providers' secrets, passkeys'
ceremonies, one-time passwords.

The adapters' modules import their SDKs, so each is imported where its adapter is made
(docs/decisions/0150-cold-start.md)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import TYPE_CHECKING

from application.ports import OneTimePasswords, PasskeyCeremonies, SecretBox
from infrastructure.settings.signin import SignInSettings

if TYPE_CHECKING:
    from infrastructure.signin.jwt_tokens import PyJWTTokenIssuer, SigningKey


def signing_key(signin: SignInSettings) -> SigningKey:
    from infrastructure.signin.jwt_tokens import SigningKey, signing_key_from_pem

    if signin.jwt_private_key:
        return signing_key_from_pem(signin.jwt_private_key.get_secret_value().encode())
    if signin.jwt_secret is None:  # the settings validator guarantees one or the other
        raise ValueError("JWT_SECRET or JWT_PRIVATE_KEY is required")
    return SigningKey(algorithm="HS256", key=signin.jwt_secret.get_secret_value().encode())


def derived_key(signin: SignInSettings, purpose: bytes) -> bytes:
    """A key of its own for ``purpose``, derived from the signing secret, so every instance
    shares it and it changes when that secret does."""
    if signin.jwt_private_key:
        material = signin.jwt_private_key.get_secret_value().encode()
    elif signin.jwt_secret is not None:
        material = signin.jwt_secret.get_secret_value().encode()
    else:  # the settings validator guarantees one or the other
        raise ValueError("JWT_SECRET or JWT_PRIVATE_KEY is required")
    return hmac.new(material, b"firegate " + purpose, hashlib.sha256).digest()


def secret_box(signin: SignInSettings) -> SecretBox:
    from infrastructure.signin.secret_box import FernetSecretBox

    if signin.mfa_encryption_key is None:  # the settings validator guarantees one
        raise ValueError("MFA_ENCRYPTION_KEY is required")
    return FernetSecretBox(signin.mfa_encryption_key.get_secret_value())


def token_issuer(signin: SignInSettings) -> PyJWTTokenIssuer:
    from infrastructure.signin.jwt_tokens import PyJWTTokenIssuer, public_key_from_pem

    return PyJWTTokenIssuer(
        signing=signing_key(signin),
        issuer=signin.jwt_issuer,
        audience=signin.jwt_audience,
        ttl=timedelta(seconds=signin.access_token_ttl),
        leeway=signin.jwt_leeway,
        previous_public_key=(
            public_key_from_pem(signin.jwt_previous_public_key.encode())
            if signin.jwt_previous_public_key
            else None
        ),
    )


def passkey_ceremonies(signin: SignInSettings) -> PasskeyCeremonies:
    from infrastructure.signin.webauthn_ceremonies import WebAuthnCeremonies

    return WebAuthnCeremonies(
        rp_id=signin.webauthn_rp_id,
        rp_name=signin.webauthn_rp_name,
        origins=signin.webauthn_origins,
    )


def one_time_passwords() -> OneTimePasswords:
    from infrastructure.signin.one_time_passwords import PyotpOneTimePasswords

    return PyotpOneTimePasswords()
