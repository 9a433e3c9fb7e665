"""A client's signed assertion (``private_key_jwt``, RFC 7523 §2.2, OpenID Connect Core §9):
the algorithms it may use, how long it may hold, and its ``jti``, accepted once
(docs/reference/oauth.md, "Client authentication with a signed assertion"). The client's keys
are domain/clients/client_keys.py's; the signature is checked in
interfaces/provider/server/assertions.py, through Authlib."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain.provider.dpop import SpentProof

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# Asymmetric only: a shared-secret HS* assertion would need the secret stored readable, and
# ``none`` proves nothing (docs/decisions/0421-private-key-jwt.md).
ASSERTION_ALGORITHMS = ("RS256", "ES256", "PS256")
MAX_ASSERTION_LIFETIME = timedelta(minutes=5)  # how far ahead an assertion's ``exp`` may be
CLOCK_LEEWAY = timedelta(seconds=30)


@dataclass(frozen=True)
class AssertionId:
    """A client assertion that passed, to be spent once: its client and ``jti``, kept until
    its ``exp`` (and the leeway) has passed, after which it is refused as expired anyway."""

    client_id: str
    jti: str
    expires_at: datetime

    def spent(self, now: datetime) -> SpentProof:
        key = hashlib.sha256(json.dumps(["client_assertion", self.client_id, self.jti]).encode())
        return SpentProof(key.hexdigest(), max(self.expires_at, now) + CLOCK_LEEWAY)


def lifetime_refusal(claims: dict[str, Any], now: datetime) -> str | None:
    """Why an assertion's ``exp`` will not do beyond being past (which the JWT check tells):
    missing, not a number, or further ahead than ``MAX_ASSERTION_LIFETIME``."""
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        return "The assertion has no exp."
    if exp > (now + MAX_ASSERTION_LIFETIME + CLOCK_LEEWAY).timestamp():
        minutes = int(MAX_ASSERTION_LIFETIME.total_seconds() // 60)
        return f"The assertion's exp is more than {minutes} minutes ahead."
    return None
