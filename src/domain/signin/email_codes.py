"""Signing in by a code mailed to an address (docs/reference/email-code.md).

A flow is one request for a code: the mail job gives it a link token, from which its 6-digit
code is derived, and stores only the hashes of both. The link carries the token alone, never
the flow's id: the id is the requester's (the API's answer, the asking page's), and a code is
taken only with it, so a forwarded link shows a code nobody else can use. One flow per
address is live: a new request voids the one before. Each guess is counted before it is
compared, so no flow is guessed at more than five times whatever the concurrency. The
requests per address and asking client are limited, whatever the service's request limits
say; the requests of all clients together only past a challenge (docs/decisions/0474-email-codes.md,
docs/decisions/0494-codes-belong-to-who-asked.md).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from domain.errors import RateLimited

FLOW_LIFETIME = timedelta(minutes=10)
MAX_GUESSES = 5  # the sixth attempt finds the flow void
REQUEST_GAP = timedelta(seconds=30)  # per address and asking client, between two requests
REQUESTS_PER_HOUR = 5  # per address and asking client; of all clients, before a challenge
ADDRESS_REQUESTS_PER_HOUR = 20  # per address, all clients, challenged or not
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
    guesses: int = 0  # codes tried, each counted before it is compared
    void: bool = False  # a newer request for the address voided it
    spent_at: datetime | None = None
    spent_by: str | None = None  # a nonce of the request that spent it: it alone goes on
    last_guess: str | None = None  # a nonce of the request whose guess was counted last

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

    def live(self, now: datetime) -> bool:
        """Neither voided, spent nor expired: its code may still be taken."""
        return not self.void and self.spent_at is None and now < self.expires_at

    def usable(self, now: datetime) -> bool:
        """Live, with a guess left."""
        return self.live(now) and self.guesses < MAX_GUESSES

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

    def guessed(self, now: datetime, nonce: str) -> EmailCodeFlow:
        """One more guess counted for the request holding ``nonce``, before its code is
        compared; unchanged when no guess is left (or the flow is not live)."""
        if not self.usable(now):
            return self
        return replace(self, guesses=self.guesses + 1, last_guess=nonce)

    def accepts(self, code: str) -> bool:
        """Whether ``code`` is the flow's (compared only after ``guessed`` counted it)."""
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

    def taken_by(self, browser_secret: str) -> bool:
        """Whether a code may be taken for this flow by whoever holds ``browser_secret`` ("":
        an API client, which holds the flow's id): a flow a browser asked for is that
        browser's alone, so its id, seen in a page's address, opens nothing elsewhere."""
        return self.browser_hash is None or self.asked_by(browser_secret)

    def voided(self) -> EmailCodeFlow:
        return replace(self, void=True)

    def spent(self, now: datetime, nonce: str) -> EmailCodeFlow:
        """Spent by the request holding ``nonce`` (its guess was counted, so the last guess
        may spend it); unchanged when no longer live (spent by another, voided, expired)."""
        return replace(self, spent_at=now, spent_by=nonce) if self.live(now) else self


@dataclass(frozen=True)
class EmailCodeRequests:
    """The requests for codes of one address (document ``email_code_addresses/{key}``): the
    live flow, and when the requests of the last hour came and from which client (a hash of
    its address's scope: an IPv4 address, an IPv6 /64)."""

    key: str  # login_key of the address
    live_flow: str | None = None
    times: tuple[datetime, ...] = ()
    clients: tuple[str, ...] = ()  # one per time ("" for a request stored before)

    def crowded(self, now: datetime) -> bool:
        """Whether the address's requests of the last hour, from all clients, are at their
        budget: a further one asks for a challenge (``requested``'s ``challenged``)."""
        return sum(1 for at in self.times if now - at < _HOUR) >= REQUESTS_PER_HOUR

    def requested(
        self, flow_id: str, now: datetime, client: str, *, challenged: bool = False
    ) -> EmailCodeRequests:
        """With a new flow live; RateLimited (with its Retry-After) within 30 seconds of the
        client's last request for the address or past its five in an hour, past five in an
        hour from all clients unless the request passed a challenge (``challenged``), and
        past twenty in an hour from all clients in any case. A stranger's requests so spend
        the stranger's budget, never the holder's: the holder passes a challenge."""
        recent = [
            (at, by)
            for at, by in zip(self.times, self.clients or ("",) * len(self.times), strict=True)
            if now - at < _HOUR
        ]
        mine = [at for at, by in recent if by == client]
        if mine and now - mine[-1] < REQUEST_GAP:
            raise _limited(REQUEST_GAP - (now - mine[-1]))
        if len(mine) >= REQUESTS_PER_HOUR:
            raise _limited(_HOUR - (now - mine[-REQUESTS_PER_HOUR]))
        if len(recent) >= ADDRESS_REQUESTS_PER_HOUR or (
            len(recent) >= REQUESTS_PER_HOUR and not challenged
        ):
            budget = ADDRESS_REQUESTS_PER_HOUR if challenged else REQUESTS_PER_HOUR
            raise _limited(_HOUR - (now - recent[-budget][0]))
        return replace(
            self,
            live_flow=flow_id,
            times=(*(at for at, _ in recent), now),
            clients=(*(by for _, by in recent), client),
        )

    def expires_at(self) -> datetime | None:
        """When this record stops mattering (a Firestore TTL policy may delete it then)."""
        return self.times[-1] + _HOUR if self.times else None


def _limited(wait: timedelta) -> RateLimited:
    return RateLimited(
        "Too many codes asked for this address; try again later.",
        retry_after=int(-(-wait.total_seconds() // 1)),
        code=EMAIL_CODE_RATE_LIMITED,
    )
