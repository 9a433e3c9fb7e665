"""Signing in by a code mailed to an address (docs/reference/email-code.md).

A flow is one request for a code: the mail job gives it a link token, from which its 6-digit
code is derived, and stores only the hashes of both. One flow per address is live: a new
request voids the one before. The requests per address are limited, whatever the service's
request limits say (docs/decisions/0474-email-codes.md).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from domain.errors import RateLimited

FLOW_LIFETIME = timedelta(minutes=10)
MAX_WRONG_CODES = 5  # the sixth attempt finds the flow void
REQUEST_GAP = timedelta(seconds=30)  # per address, between two requests
REQUESTS_PER_HOUR = 5  # per address
_HOUR = timedelta(hours=1)
CODE_DIGITS = 6
EMAIL_CODE_RATE_LIMITED = "email_code_rate_limited"


def secret_hash(secret: str) -> str:
    """How a flow stores a secret it is shown later (a link token, a browser's cookie)."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def code_of(link_token: str) -> str:
    """The 6-digit code of a link token: the link shows it on another device, and nobody
    without the token can tell it."""
    digest = hashlib.sha256(b"email-code:" + link_token.encode("ascii")).digest()
    return f"{int.from_bytes(digest[:8]) % 10**CODE_DIGITS:0{CODE_DIGITS}d}"


def code_hash(flow_id: str, code: str) -> str:
    """How a flow stores its code: salted with the flow's id."""
    return hashlib.sha256(f"{flow_id}:{code}".encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class EmailCodeFlow:
    """One request for a code (document ``email_code_flows/{id}``)."""

    id: str
    email: str  # the address as asked for (Email.value)
    created_at: datetime
    expires_at: datetime
    browser_hash: str | None = None  # secret_hash of the asking browser's cookie, if any
    locale: str | None = None  # the language the asking browser asked for
    code_hash: str | None = None  # set with ``link_hash`` by the mail job
    link_hash: str | None = None
    wrong_codes: int = 0
    void: bool = False  # a newer request for the address voided it
    spent_at: datetime | None = None
    spent_by: str | None = None  # a nonce of the request that spent it: it alone goes on

    @classmethod
    def start(
        cls, *, id: str, email: str, now: datetime, browser_hash: str | None, locale: str | None
    ) -> EmailCodeFlow:
        return cls(
            id=id,
            email=email,
            created_at=now,
            expires_at=now + FLOW_LIFETIME,
            browser_hash=browser_hash,
            locale=locale,
        )

    def usable(self, now: datetime) -> bool:
        return (
            not self.void
            and self.spent_at is None
            and now < self.expires_at
            and self.wrong_codes < MAX_WRONG_CODES
        )

    def issued(self, link_token: str, now: datetime) -> EmailCodeFlow:
        """The flow once the mail job gave it ``link_token`` (and so its code); a retried job
        replaces the earlier one, whose mail never went out. Unchanged once not usable."""
        if not self.usable(now):
            return self
        return replace(
            self,
            code_hash=code_hash(self.id, code_of(link_token)),
            link_hash=secret_hash(link_token),
        )

    def accepts(self, code: str) -> bool:
        """Whether ``code`` is the flow's (checked on what was read, with no write)."""
        return self.code_hash is not None and hmac.compare_digest(
            self.code_hash, code_hash(self.id, code)
        )

    def opens_with(self, link_token: str) -> bool:
        """Whether ``link_token`` is the flow's link's."""
        return self.link_hash is not None and hmac.compare_digest(
            self.link_hash, secret_hash(link_token)
        )

    def asked_by(self, browser_secret: str) -> bool:
        """Whether the browser holding ``browser_secret`` is the one that asked."""
        return (
            bool(browser_secret)
            and self.browser_hash is not None
            and hmac.compare_digest(self.browser_hash, secret_hash(browser_secret))
        )

    def with_wrong_code(self, now: datetime) -> EmailCodeFlow:
        return replace(self, wrong_codes=self.wrong_codes + 1) if self.usable(now) else self

    def voided(self) -> EmailCodeFlow:
        return replace(self, void=True)

    def spent(self, now: datetime, nonce: str) -> EmailCodeFlow:
        """Spent by the request holding ``nonce``; unchanged when no longer usable (spent by
        another, voided, expired)."""
        return replace(self, spent_at=now, spent_by=nonce) if self.usable(now) else self


@dataclass(frozen=True)
class EmailCodeRequests:
    """The requests for codes of one address (document ``email_code_addresses/{key}``): the
    live flow, and when the requests of the last hour came."""

    key: str  # login_key of the address
    live_flow: str | None = None
    times: tuple[datetime, ...] = ()

    def requested(self, flow_id: str, now: datetime) -> EmailCodeRequests:
        """With a new flow live; RateLimited (with its Retry-After) within 30 seconds of the
        last request, or past five in an hour."""
        recent = tuple(at for at in self.times if now - at < _HOUR)
        if recent and now - recent[-1] < REQUEST_GAP:
            raise _limited(REQUEST_GAP - (now - recent[-1]))
        if len(recent) >= REQUESTS_PER_HOUR:
            raise _limited(_HOUR - (now - recent[-REQUESTS_PER_HOUR]))
        return replace(self, live_flow=flow_id, times=(*recent, now))

    def expires_at(self) -> datetime | None:
        """When this record stops mattering (a Firestore TTL policy may delete it then)."""
        return self.times[-1] + _HOUR if self.times else None


def _limited(wait: timedelta) -> RateLimited:
    return RateLimited(
        "Too many codes asked for this address; try again later.",
        retry_after=int(-(-wait.total_seconds() // 1)),
        code=EMAIL_CODE_RATE_LIMITED,
    )
