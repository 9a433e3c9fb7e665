from __future__ import annotations

import secrets


def new_id() -> str:
    """A random, opaque, URL-safe id (128 bits)."""
    return secrets.token_urlsafe(16)
