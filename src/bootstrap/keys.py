"""The keys that the pages and the provider's server derive from the signing secret (the
provider's signing keys are its own: ``bootstrap/provider_keys.py``)."""

from __future__ import annotations

import hashlib
import hmac
from typing import Protocol

from pydantic import SecretStr


class SigningSecret(Protocol):
    """Where the signing secret is set: sign-in's settings (JWT_PRIVATE_KEY, JWT_SECRET)."""

    @property
    def jwt_private_key(self) -> SecretStr | None: ...

    @property
    def jwt_secret(self) -> SecretStr | None: ...


def derived_key(signin: SigningSecret, purpose: bytes) -> bytes:
    """A key of its own for ``purpose``, derived from the signing secret, so every instance
    shares it and it changes when that secret does."""
    if signin.jwt_private_key:
        material = signin.jwt_private_key.get_secret_value().encode()
    elif signin.jwt_secret is not None:
        material = signin.jwt_secret.get_secret_value().encode()
    else:  # the settings validator guarantees one or the other
        raise ValueError("JWT_SECRET or JWT_PRIVATE_KEY is required")
    return hmac.new(material, b"firegate " + purpose, hashlib.sha256).digest()
