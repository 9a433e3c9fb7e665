"""Personal access tokens: scoped, expiring bearer tokens a person makes for scripts
(docs/reference/tokens.md, docs/decisions/0298-personal-tokens-found-in-one-read.md).

A token reads ``fgp_{user_id}.{token_id}.{secret}``: the user and the token ids name the two
documents a request reads in one batchGet; the secret (256 random bits) is stored only as
its SHA-256. A token scoped to an org reads ``fgp_{user_id}.{token_id}.{org_id}.{secret}``:
the org's id names the org and the membership read in the same batchGet
(docs/decisions/0375-an-org-scoped-token-names-its-org.md). The token was minted at the
account's ``token_version``, so whatever ends every session of the account (logout
everywhere, a password reset, disabling) ends it too.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.accounts.users import User
from domain.errors import FieldError, InvalidInput, PermissionDenied, checked
from domain.ids import is_id
from domain.text import check_text, has_direction_control

PREFIX = "fgp_"
NAME_MAX = 100
MAX_LIFETIME = timedelta(days=365)  # 31,536,000 seconds
SCOPES = ("read", "write")
READ_METHODS = frozenset({"GET", "HEAD"})
INSUFFICIENT_SCOPE = "insufficient_scope"

_TOKEN = re.compile(
    r"fgp_([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_-]{22})(?:\.([A-Za-z0-9_-]{1,64}))?"
    r"\.([A-Za-z0-9_-]{43})"
)


def hash_secret(secret: str) -> str:
    """What is stored of a secret: its SHA-256. 256 random bits need no slow hash (there is
    nothing to guess); the stored value alone does not authenticate."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Presented:
    """A token as presented, parsed: whose, which, its secret, and the org it says it is
    scoped to (None: none)."""

    user_id: str
    token_id: str
    secret: str
    org_id: str | None = None

    @classmethod
    def parse(cls, text: str) -> Presented | None:
        """None for anything that is not the shape of a token we make."""
        match = _TOKEN.fullmatch(text)
        if match is None or not is_id(match[1]) or not is_id(match[2]):
            return None
        if match[3] is not None and not is_id(match[3]):
            return None
        return cls(match[1], match[2], match[4], match[3])


def is_personal(text: str) -> bool:
    """Does a bearer credential claim to be a personal token (rather than a session's)?"""
    return text.startswith(PREFIX)


def checked_token_name(name: object) -> str:
    """A token's name, trimmed: one line of at most ``NAME_MAX`` characters."""
    if not isinstance(name, str):
        raise InvalidInput.field("name", "Must be a string.", "string_type")
    check_text("name", name)
    if has_direction_control(name):
        raise InvalidInput.field(
            "name", "Direction control characters are not allowed.", "control_character"
        )
    name = name.strip()
    if not name:
        raise InvalidInput.field("name", "A token needs a name.", "name_required")
    if len(name) > NAME_MAX:
        raise InvalidInput.field(
            "name", f"A token name has at most {NAME_MAX} characters.", "string_too_long"
        )
    return name


def _checked_scopes(scopes: object) -> tuple[str, ...]:
    if not isinstance(scopes, list | tuple) or not scopes or any(s not in SCOPES for s in scopes):
        raise InvalidInput.field("scopes", 'One or both of "read" and "write".', "invalid_scope")
    return tuple(s for s in SCOPES if s in scopes)  # in a stable order, each once


def _checked_lifetime(expires_in: object) -> timedelta:
    seconds = MAX_LIFETIME // timedelta(seconds=1)
    if isinstance(expires_in, bool) or not isinstance(expires_in, int):
        raise InvalidInput.field("expires_in", "Must be a whole number.", "int_type")
    if not 1 <= expires_in <= seconds:
        raise InvalidInput.field(
            "expires_in", f"Seconds, from 1 to {seconds} (a year).", "invalid_expires_in"
        )
    return timedelta(seconds=expires_in)


@dataclass(frozen=True)
class PersonalToken:
    id: str
    user_id: str
    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    expires_at: datetime
    token_version: int  # the account's when the token was made
    secret_hash: str
    # The org it acts in (``Actor.org``) while the account is a member; None: none
    org_id: str | None = None

    @classmethod
    def issue(
        cls,
        *,
        id: str,
        user: User,
        name: object,
        scopes: object,
        expires_in: object,
        now: datetime,
        org_id: str | None = None,
    ) -> tuple[PersonalToken, str]:
        """A new token of ``user`` (scoped to the org ``org_id``, whose member they are) and
        the text to hand over once; every bad field at once."""
        problems: list[FieldError] = []
        checked_name = checked(lambda: checked_token_name(name), problems)
        checked_scopes = checked(lambda: _checked_scopes(scopes), problems)
        lifetime = checked(lambda: _checked_lifetime(expires_in), problems)
        if checked_name is None or checked_scopes is None or lifetime is None:
            raise InvalidInput.of(problems)
        secret = secrets.token_urlsafe(32)
        token = cls(
            id=id,
            user_id=user.id,
            name=checked_name,
            scopes=checked_scopes,
            created_at=now,
            expires_at=now + lifetime,
            token_version=user.token_version,
            secret_hash=hash_secret(secret),
            org_id=org_id,
        )
        org = f"{org_id}." if org_id is not None else ""
        return token, f"{PREFIX}{user.id}.{id}.{org}{secret}"

    def opens(self, presented: Presented, user: User, now: datetime) -> bool:
        """Does ``presented`` authenticate as this token's account now? The right secret, for
        the account and the org it names, unexpired, and not ended by anything that ended
        every session (the account's version moved on), nor by disabling or deletion. (An
        org-scoped token also needs the membership: ``ActiveOrg.admits``.)"""
        return (
            hmac.compare_digest(self.secret_hash, hash_secret(presented.secret))
            and self.user_id == presented.user_id == user.id
            and self.org_id == presented.org_id
            and user.active
            and self.token_version == user.token_version
            and now < self.expires_at
        )

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at


def allows(scopes: tuple[str, ...], method: str) -> bool:
    """``read`` allows GET and HEAD; ``write`` every method."""
    return "write" in scopes or ("read" in scopes and method.upper() in READ_METHODS)


def check_scope(scopes: tuple[str, ...], method: str) -> None:
    if not allows(scopes, method):
        raise PermissionDenied(
            f"This personal access token's scopes ({' '.join(scopes)}) do not allow {method}.",
            code=INSUFFICIENT_SCOPE,
        )
