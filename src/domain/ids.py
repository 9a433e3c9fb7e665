from __future__ import annotations

import secrets


def new_id() -> str:
    """A random, opaque, URL-safe id (128 bits), never of Firestore's reserved form.

    Never begins with "-" either: an id is typed after a command (`orgs sign-in-domain
    verify ORG`), where a leading "-" reads as an option.
    """
    while True:
        value = secrets.token_urlsafe(16)
        if not _reserved(value) and not value.startswith("-"):
            return value


def _reserved(value: str) -> bool:
    # Firestore refuses document ids matching __.*__ (InvalidArgument, not "not found").
    return len(value) >= 4 and value.startswith("__") and value.endswith("__")


def is_id(value: str) -> bool:
    """Could this be an id we made? (Checked before it names a document.)"""
    return (
        1 <= len(value) <= 64
        and all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in value)
        and not _reserved(value)
    )
