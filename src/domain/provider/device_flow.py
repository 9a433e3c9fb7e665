"""The device authorization grant's rules (RFC 8628; docs/reference/oauth.md, "Device
authorization"): the user code a person types, and the states of one request — pending,
approved or denied by a person, spent once by the client's poll."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

# RFC 8628 §6.1: twenty consonants, none read as another (no vowels: no words either).
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
USER_CODE_LENGTH = 8
DEVICE_CODE_TTL = timedelta(minutes=10)
POLL_INTERVAL = 5  # seconds (RFC 8628 §3.2's default)
SLOW_DOWN_STEP = 5  # seconds added to the interval by each slow_down (RFC 8628 §3.5)
MAX_POLL_INTERVAL = 60  # what the stored interval grows to at most: a poller ignoring it

Status = Literal["pending", "approved", "denied", "spent"]
PollOutcome = Literal["issue", "pending", "slow_down", "denied", "expired", "invalid"]
DecideOutcome = Literal["decided", "invalid"]


def normalized_user_code(typed: str) -> str | None:
    """What a person typed, compared without case, dashes or spaces: the eight letters, or
    None when it cannot be a user code (so no guess is counted for a typo of length)."""
    letters = "".join(ch for ch in typed.upper() if ch not in "- \t")
    if len(letters) != USER_CODE_LENGTH or any(ch not in USER_CODE_ALPHABET for ch in letters):
        return None
    return letters


def shown_user_code(code: str) -> str:
    """``ABCD-EFGH``: two groups of four are easier to read out and type."""
    half = USER_CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def user_code_key(code: str) -> str:
    """The key a request is stored under: the SHA-256 of its normalised user code, so the
    page finds it by what was typed and the store never holds the code itself."""
    return hashlib.sha256(code.encode()).hexdigest()


@dataclass(frozen=True)
class DeviceAuthorization:
    """One device authorization request, stored under ``user_code_key``; its device code is
    kept as a hash (``device_hash``)."""

    key: str
    device_hash: str
    client_id: str
    scope: str
    created_at: datetime
    expires_at: datetime
    interval: int = POLL_INTERVAL
    status: Status = "pending"
    user_id: str | None = None  # who approved or denied it
    grant_id: str | None = None  # the grant an approval makes, created by the poll
    auth_time: datetime | None = None
    amr: tuple[str, ...] = ()

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    def decide(
        self,
        *,
        allow: bool,
        user_id: str,
        grant_id: str,
        auth_time: datetime | None,
        amr: tuple[str, ...],
        now: datetime,
    ) -> Decision:
        """A person allows or denies a pending request before it expires, once."""
        if self.status != "pending" or self.expired(now):
            return Decision("invalid", self)
        if not allow:
            return Decision("decided", replace(self, status="denied", user_id=user_id))
        approved = replace(
            self,
            status="approved",
            user_id=user_id,
            grant_id=grant_id,
            auth_time=auth_time,
            amr=amr,
        )
        return Decision("decided", approved)

    def poll(self, client_id: str, device_hash: str, now: datetime) -> Poll:
        """What the client's poll gets (RFC 8628 §3.5): an approved request is spent by the
        first poll, which issues its tokens; a spent one is invalid (a device code gives
        tokens once); a denied one stays denied, and the expiry wins over a pending one."""
        if self.client_id != client_id or not hmac.compare_digest(self.device_hash, device_hash):
            return Poll("invalid", self)
        if self.status == "spent":
            return Poll("invalid", self)
        if self.status == "denied":
            return Poll("denied", self)
        if self.expired(now):
            return Poll("expired", self)
        if self.status == "approved":
            return Poll("issue", replace(self, status="spent"))
        return Poll("pending", self)

    def slowed(self) -> DeviceAuthorization:
        """Polled faster than its interval: the interval grows by five seconds, for this
        poll and every later one (RFC 8628 §3.5), up to a minute (a client that keeps
        hammering changes nothing more: each of its polls would otherwise be a write)."""
        return replace(self, interval=min(self.interval + SLOW_DOWN_STEP, MAX_POLL_INTERVAL))


@dataclass(frozen=True)
class Decision:
    outcome: DecideOutcome
    request: DeviceAuthorization


@dataclass(frozen=True)
class Poll:
    outcome: PollOutcome
    request: DeviceAuthorization
