"""An org's SCIM bearer tokens: what a directory (Okta, Entra ID, Google Workspace)
presents at ``/scim/v2/`` (docs/reference/scim.md, "Tokens";
docs/decisions/0401-scim-tokens-name-their-org.md).

A token reads ``fgs_{org_id}.{token_id}.{secret}``: the org and the token ids name the two
documents a request reads in one batchGet; the secret (256 random bits) is stored only as
its SHA-256, as a personal token's is. The token decides the org: nothing a request says
names another.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from domain.errors import NotFound
from domain.ids import is_id
from domain.signin.personal_tokens import checked_token_name, hash_secret

PREFIX = "fgs_"

_TOKEN = re.compile(r"fgs_([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})")


@dataclass(frozen=True)
class PresentedScimToken:
    """A SCIM token as presented, parsed: the org it names, its id, its secret."""

    org_id: str
    token_id: str
    secret: str

    @classmethod
    def parse(cls, text: str) -> PresentedScimToken | None:
        """None for anything that is not the shape of a SCIM token we make."""
        match = _TOKEN.fullmatch(text)
        if match is None or not is_id(match[1]) or not is_id(match[2]):
            return None
        return cls(match[1], match[2], match[3])


@dataclass(frozen=True)
class ScimToken:
    id: str
    org_id: str
    name: str
    created_at: datetime
    created_by: str  # the admin who made it
    secret_hash: str

    @classmethod
    def issue(
        cls, *, id: str, org_id: str, name: object, created_by: str, now: datetime
    ) -> tuple[ScimToken, str]:
        """A new token of the org and the text to hand over once."""
        secret = secrets.token_urlsafe(32)
        token = cls(
            id=id,
            org_id=org_id,
            name=checked_token_name(name),
            created_at=now,
            created_by=created_by,
            secret_hash=hash_secret(secret),
        )
        return token, f"{PREFIX}{org_id}.{id}.{secret}"

    def opens(self, presented: PresentedScimToken) -> bool:
        """Does ``presented`` authenticate as this token: the right secret, for its org?"""
        return (
            hmac.compare_digest(self.secret_hash, hash_secret(presented.secret))
            and self.org_id == presented.org_id
        )


def no_such_token() -> NotFound:
    return NotFound("No such SCIM token.", code="scim_token_not_found")
