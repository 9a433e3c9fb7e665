"""Secrets at rest, sealed with Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``):
docs/decisions/0110-mfa-secrets-with-fernet.md."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken

from domain.errors import Unavailable


class FernetSecretBox:
    def __init__(self, key: str) -> None:
        self._fernet = Fernet(key.encode())

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            # Another key sealed it (MFA_ENCRYPTION_KEY changed) or the stored value was
            # altered: an operator's problem, never the user's wrong code.
            raise Unavailable(
                "The second factor cannot be checked right now.", retry_after=60
            ) from None
