"""JWTs signed by others, read with joserfc: an ID-JAG's parts before its issuer is known,
then its signature against that issuer's keys (application/agents/id_jag.py). joserfc is
imported on the first signature checked: a worker that never redeems an ID-JAG never loads
it, as the provider's server itself is loaded at its first request."""

from __future__ import annotations

import base64
import json
from typing import Any

MAX_TOKEN_CHARS = 16384


def _segment(text: str) -> dict[str, Any] | None:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, TypeError):
        return None
    return decoded if isinstance(decoded, dict) else None


class JoseSignedAssertions:
    def parts(self, token: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
            return None
        header_text, claims_text, _ = token.split(".")
        header, claims = _segment(header_text), _segment(claims_text)
        return (header, claims) if header is not None and claims is not None else None

    def verified(
        self, token: str, keys: list[dict[str, Any]], algorithms: tuple[str, ...]
    ) -> dict[str, Any] | None:
        from joserfc import jwt  # noqa: PLC0415 - on first use; see the module
        from joserfc.errors import JoseError  # noqa: PLC0415
        from joserfc.jwk import KeySet  # noqa: PLC0415

        try:
            key_set = KeySet.import_key_set({"keys": keys})
            found = jwt.decode(token, key_set, algorithms=list(algorithms))
        except (JoseError, ValueError, TypeError, KeyError):
            return None
        return dict(found.claims)
