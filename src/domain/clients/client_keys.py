"""A client that authenticates with ``private_key_jwt`` (RFC 7523 §2.2, OpenID Connect Core
§9): its public keys (``jwks``, or a ``jwks_uri`` to fetch them from) (docs/reference/oauth.md,
"Client authentication with a signed assertion"). Its assertions are checked by the provider
(domain/provider/assertions.py; the signature in interfaces/provider/server/assertions.py)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from domain.errors import InvalidInput
from domain.text import has_control

PRIVATE_KEY_JWT = "private_key_jwt"
# The private members of a JWK (RFC 7518 §6): never in a client's public keys, nor in a proof.
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
MAX_KEYS = 10
MAX_JWKS_CHARS = 20_000
MAX_JWKS_URI_CHARS = 2000
_KEY_TYPES = ("RSA", "EC")
_LOOPBACK = ("localhost", "127.0.0.1", "::1")


def _refused(field: str, message: str) -> InvalidInput:
    return InvalidInput.field(field, message, "invalid_client_keys")


def check_jwks(value: object) -> str:
    """A JWK Set of public RSA or EC keys (at most 10), as the JSON kept with the client."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise _refused("jwks", "The jwks is not JSON.") from None
    keys = value.get("keys") if isinstance(value, dict) else None
    if not isinstance(keys, list) or not 1 <= len(keys) <= MAX_KEYS:
        raise _refused("jwks", f'The jwks is a JWK Set: {{"keys": [...]}}, 1 to {MAX_KEYS} keys.')
    for key in keys:
        if not isinstance(key, dict) or key.get("kty") not in _KEY_TYPES:
            raise _refused("jwks", "Each key is an RSA or EC public key (kty RSA or EC).")
        if PRIVATE_MEMBERS & set(key):
            raise _refused("jwks", "The jwks holds a private key: give the public keys only.")
    text = json.dumps({"keys": keys}, separators=(",", ":"), sort_keys=True)
    if len(text) > MAX_JWKS_CHARS:
        raise _refused("jwks", f"The jwks is longer than {MAX_JWKS_CHARS} characters.")
    return text


def check_jwks_uri(uri: str) -> str:
    """Where the client publishes its keys: https (http only on this machine, for a client
    run beside firegate), fetched under the webhooks' rules."""
    parts = urlsplit(uri)
    host = (parts.hostname or "").lower()
    if len(uri) > MAX_JWKS_URI_CHARS or has_control(uri) or not host or parts.fragment:
        raise _refused("jwks_uri", "The jwks_uri is not an address.")
    if parts.scheme != "https" and not (parts.scheme == "http" and host in _LOOPBACK):
        raise _refused("jwks_uri", "The jwks_uri must be https.")
    return uri


def keys_of(text: str) -> dict[str, Any]:
    """The JWK Set kept as ``check_jwks`` made it."""
    found: dict[str, Any] = json.loads(text)
    return found
