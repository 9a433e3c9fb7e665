"""What a pushed authorization request's ``request_uri`` carries, sealed with AES-256-GCM
(``cryptography``) under a key of its own, derived from the signing secret
(docs/decisions/0438-the-request-uri-carries-the-request-sealed.md)."""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12  # random per seal: 2^32 seals under one key stay far from a repeat
TAG_BYTES = 16
# Bound into every seal: what this key seals is a pushed request, and nothing else opens as one.
ASSOCIATED = b"firegate pushed authorization request"


class AesGcmRequestSeal:
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, plaintext: bytes) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = nonce + self._aead.encrypt(nonce, plaintext, ASSOCIATED)
        return _text(sealed)

    def open(self, sealed: str) -> bytes | None:
        try:
            raw = base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))
        except (binascii.Error, ValueError):  # not base64url, or not ASCII
            return None
        if len(raw) < NONCE_BYTES + TAG_BYTES or _text(raw) != sealed:
            return None  # too short, or not as ``seal`` writes it (padding, stray characters)
        try:
            return self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], ASSOCIATED)
        except InvalidTag:  # changed, or sealed under another key (the secret rotated)
            return None


def _text(sealed: bytes) -> str:
    return base64.urlsafe_b64encode(sealed).rstrip(b"=").decode()
