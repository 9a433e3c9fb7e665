"""Single-use tokens that a link carries (a mail's, a connection's proof, an org's
invitation, an SSO setup link): random, and stored only as their SHA-256 hash
(docs/security.md, "Action tokens")."""

from __future__ import annotations

import hashlib
import secrets

from domain.errors import Unreadable

TOKEN_BYTES = 32  # 256 random bits
TOKEN_MAX_CHARS = 128  # longer input cannot be one of ours


class InvalidToken(Unreadable):
    """A token that is malformed, unknown, spent, expired or superseded (400)."""

    code = "invalid_token"
    title = "Invalid or expired token"

    def __init__(self) -> None:
        super().__init__("This link is invalid, expired or already used; ask for a new one.")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """The stored name of a token; a token of the wrong shape is refused before any I/O."""
    if not 0 < len(token) <= TOKEN_MAX_CHARS or not token.isascii():
        raise InvalidToken()
    return hashlib.sha256(token.encode("ascii")).hexdigest()
