from __future__ import annotations

import secrets


def new_id() -> str:
    """A random, opaque, URL-safe id (128 bits)."""
    return secrets.token_urlsafe(16)


def is_id(value: str) -> bool:
    """Could this be an id we made? (Checked before it names a document.)"""
    return 1 <= len(value) <= 64 and all(
        ch.isascii() and (ch.isalnum() or ch in "-_") for ch in value
    )
