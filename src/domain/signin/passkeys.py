"""Passkeys (WebAuthn credentials) and the challenges of their ceremonies
(docs/reference/passkeys.md, docs/security.md "Passkeys")."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from domain.errors import Conflict, InvalidInput, Unauthenticated
from domain.signin.mfa import EMAIL, PASSWORD, SMS
from domain.signin.sessions import Session
from domain.text import check_text

CHALLENGE_TTL = timedelta(minutes=5)
NAME_MAX = 64
DEFAULT_NAME = "Passkey"
MAX_PASSKEYS_PER_USER = 20

INVALID_PASSKEY = "invalid_passkey"
INVALID_CHALLENGE = "invalid_passkey_challenge"
UNKNOWN_PASSKEY = "unknown_passkey"
_PASSKEY_ID = re.compile("[A-Za-z0-9_-]{43}")  # unpadded base64url of a SHA-256


class Ceremony(StrEnum):
    REGISTRATION = "registration"
    AUTHENTICATION = "authentication"


def challenge_key(challenge: bytes) -> str:
    """Where a challenge is kept: its SHA-256, so the stored key is useless to a reader."""
    return hashlib.sha256(challenge).hexdigest()


def passkey_id(credential_id: bytes) -> str:
    """The passkey's id: derived from the credential id (at most 1023 bytes, too long for a
    document id), so one credential is registered once and a sign-in finds it by one read."""
    digest = hashlib.sha256(credential_id).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def invalid_challenge() -> Unauthenticated:
    return Unauthenticated(
        "The passkey challenge is unknown, spent or expired; ask for new options.",
        code=INVALID_CHALLENGE,
    )


def invalid_passkey() -> Unauthenticated:
    return Unauthenticated("The passkey was not accepted.", code=INVALID_PASSKEY)


def unknown_passkey() -> Unauthenticated:
    """A sign-in with a credential no account holds (never registered, deleted, or its
    account's gone): the page tells the browser to forget it (WebAuthn's Signal API), which
    says no more than the credential id itself does."""
    return Unauthenticated("This passkey is not registered here.", code=UNKNOWN_PASSKEY)


@dataclass(frozen=True)
class Challenge:
    """A challenge handed out with ceremony options, spent by the one answer to it."""

    key: str  # challenge_key() of the random bytes
    ceremony: Ceremony
    user_id: str | None  # whose registration; None for a sign-in (usernameless)
    expires_at: datetime
    # Handed out for an automatic upgrade (conditional mediation): only its answer may come
    # without user presence (docs/passkeys-upgraded.md)
    conditional: bool = False

    @classmethod
    def issue(
        cls,
        challenge: bytes,
        ceremony: Ceremony,
        user_id: str | None,
        now: datetime,
        *,
        conditional: bool = False,
    ) -> Challenge:
        return cls(challenge_key(challenge), ceremony, user_id, now + CHALLENGE_TTL, conditional)

    def check(self, ceremony: Ceremony, user_id: str | None, now: datetime) -> None:
        """Refuse a challenge of another ceremony or user, or one past its expiry."""
        if self.ceremony != ceremony or self.user_id != user_id or now >= self.expires_at:
            raise invalid_challenge()


# -- the automatic upgrade (docs/passkeys-upgraded.md)

DEFAULT_UPGRADE_WINDOW = timedelta(seconds=300)  # PASSKEY_UPGRADE_WINDOW's default
UPGRADE_WINDOW_CLOSED = "upgrade_window_closed"
USER_PRESENCE_REQUIRED = "user_presence_required"
# The ways in after which a browser may make a passkey by itself: a password, or a code
# mailed or texted (the session's first RFC 8176 method); a passkey or another provider's
# sign-in does not open the window.
UPGRADE_WAYS = frozenset({PASSWORD, EMAIL, SMS})


def upgrade_window_open(session: Session | None, window: timedelta, now: datetime) -> bool:
    """May this session ask for conditional creation options now? Within ``window`` of its
    sign-in by password or code, the person's own (never one of support access)."""
    return (
        session is not None
        and not session.impersonated
        and bool(session.amr)
        and session.amr[0] in UPGRADE_WAYS
        and now - session.created_at <= window
    )


def upgrade_window_closed() -> Conflict:
    return Conflict(
        "Conditional passkey options are given only shortly after a sign-in by password or code.",
        code=UPGRADE_WINDOW_CLOSED,
    )


def user_presence_required() -> InvalidInput:
    return InvalidInput(
        "The authenticator did not check that the person was present; only a passkey made "
        "by an automatic upgrade may come without it.",
        code=USER_PRESENCE_REQUIRED,
    )


def is_passkey_id(text: str) -> bool:
    """Whether ``text`` has the shape of a passkey_id(): anything else names no passkey (and
    no document)."""
    return _PASSKEY_ID.fullmatch(text) is not None


def check_name(name: str) -> str:
    check_text("name", name)
    name = name.strip()
    if not name:
        return DEFAULT_NAME
    if len(name) > NAME_MAX:
        raise InvalidInput.field(
            "name", f"A passkey name has at most {NAME_MAX} characters.", "string_too_long"
        )
    return name


@dataclass(frozen=True)
class Passkey:
    id: str
    user_id: str
    credential_id: bytes
    public_key: bytes  # COSE
    sign_count: int
    name: str
    created_at: datetime
    last_used_at: datetime | None = None
    backed_up: bool = False  # a synced (multi-device) passkey
    transports: tuple[str, ...] = ()

    @classmethod
    def create(
        cls,
        *,
        user_id: str,
        credential_id: bytes,
        public_key: bytes,
        sign_count: int,
        name: str,
        now: datetime,
        backed_up: bool = False,
        transports: tuple[str, ...] = (),
    ) -> Passkey:
        return cls(
            id=passkey_id(credential_id),
            user_id=user_id,
            credential_id=credential_id,
            public_key=public_key,
            sign_count=sign_count,
            name=check_name(name),
            created_at=now,
            backed_up=backed_up,
            transports=transports,
        )

    @property
    def amr(self) -> tuple[str, ...]:
        """RFC 8176: proof of possession of a hardware-bound key ("hwk"), or of one that is
        synced and so leaves the hardware ("swk"); docs/decisions/0122-passkey-amr.md."""
        return ("swk",) if self.backed_up else ("hwk",)

    def renamed(self, name: str) -> Passkey:
        return replace(self, name=check_name(name))

    def signed_in(self, sign_count: int, now: datetime, *, backed_up: bool = False) -> Passkey:
        """After a verified assertion. A counter that does not move forward, once either
        side is past 0, means a copy of the key is in use (WebAuthn §6.1.1): refused.
        Authenticators that keep no counter (synced passkeys) always report 0."""
        if (sign_count or self.sign_count) and sign_count <= self.sign_count:
            raise Unauthenticated(
                "The passkey's signature counter went backwards; it may have been cloned.",
                code=INVALID_PASSKEY,
            )
        return replace(self, sign_count=sign_count, last_used_at=now, backed_up=backed_up)
