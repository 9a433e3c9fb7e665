"""Signing in by a one-time code sent to the person, by mail or by text message: one flow for
every channel (docs/reference/email-code.md, docs/sign-in-with-a-phone-number.md,
docs/decisions/0532-one-code-flow-for-every-channel.md).

A flow is one request for a code, to one identifier of its channel (an address, a number):
the sending job gives it a secret token, from which its 6-digit code is derived, and stores
only the hashes of both. A mail's link carries the token alone, never the flow's id: the id
is the requester's (the API's answer, the asking page's), and a code is taken only with it,
so a forwarded link shows a code nobody else can use. One flow per identifier and asker (the
browser or client that asked) is live: a new request voids that asker's one before, never
another's. Each guess is counted before it is compared, so no flow is
guessed at more than five times whatever the concurrency. The requests per identifier and
asking client are limited, whatever the service's request limits say; the requests of all
clients together only past a challenge (docs/decisions/0474-email-codes.md,
docs/decisions/0494-codes-belong-to-who-asked.md,
docs/decisions/0651-a-request-voids-only-its-own-askers-code.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from domain.errors import RateLimited

FLOW_LIFETIME = timedelta(minutes=10)
MAX_GUESSES = 5  # the sixth attempt finds the flow void
REQUEST_GAP = timedelta(seconds=30)  # per identifier and asking client, between two requests
REQUESTS_PER_HOUR = 5  # per identifier and asking client; of all clients, before a challenge
ADDRESS_REQUESTS_PER_HOUR = 20  # per identifier, all clients, challenged or not
_HOUR = timedelta(hours=1)
CODE_DIGITS = 6
# RFC 7636: a verifier is 43 to 128 unreserved characters; its S256 challenge, 43 of base64url
_VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")


class Channel(StrEnum):
    """How a code reaches the person: what a flow's identifier is, and the codes its errors
    carry (``email_code_rate_limited``, ``phone_code_rate_limited``)."""

    EMAIL = "email"  # an address (``Email.value``); the mail also holds a link
    PHONE = "phone"  # a number in E.164, by text message

    @property
    def rate_limited(self) -> str:
        return f"{self.value}_code_rate_limited"

    @property
    def identifier(self) -> str:
        """What the person is told was asked for too often."""
        return "address" if self is Channel.EMAIL else "number"


EMAIL_CODE_RATE_LIMITED = Channel.EMAIL.rate_limited


def secret_hash(secret: str) -> str:
    """How a flow stores a secret it is shown later (a link token, a browser's cookie)."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def code_of(link_token: str) -> str:
    """The 6-digit code of a link token: the link shows it on another device, and nobody
    without the token can tell it."""
    # The tag is the e-mail code's, the first channel: every channel's codes share it.
    digest = hashlib.sha256(b"email-code:" + link_token.encode("ascii")).digest()
    return f"{int.from_bytes(digest[:8]) % 10**CODE_DIGITS:0{CODE_DIGITS}d}"


def challenge_of(verifier: str) -> str:
    """The S256 ``code_challenge`` of a ``code_verifier`` (RFC 7636, section 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verifier_shaped(verifier: str) -> bool:
    """Whether ``verifier`` is of RFC 7636's shape: anything else proves no challenge."""
    return _VERIFIER.fullmatch(verifier) is not None


def code_hash(flow_id: str, code: str) -> str:
    """How a flow stores its code: salted with the flow's id."""
    return hashlib.sha256(f"{flow_id}:{code}".encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class CodeFlow:
    """One request for a code (document ``email_code_flows/{id}``, ``phone_code_flows/{id}``)."""

    id: str
    to: str  # the address as asked for (Email.value), the number in E.164
    created_at: datetime
    expires_at: datetime
    browser_hash: str | None = None  # secret_hash of the asking browser's cookie, if any
    locale: str | None = None  # the language the asking browser asked for
    code_hash: str | None = None  # set with ``link_hash`` by the mail job
    link_hash: str | None = None
    guesses: int = 0  # codes tried, each counted before it is compared
    void: bool = False  # a newer request for the identifier voided it
    spent_at: datetime | None = None
    spent_by: str | None = None  # a nonce of the request that spent it: it alone goes on
    last_guess: str | None = None  # a nonce of the request whose guess was counted last
    channel: Channel = Channel.EMAIL
    # The guest that asked, signed in: its code upgrades that account in place rather than
    # signing in (or up) the identifier's (docs/guests.md, "Upgrading in place")
    guest_id: str | None = None
    # The S256 challenge of the app that asked (docs/reference/app-links.md): its link goes
    # to the app, which alone redeems it, with the verifier
    code_challenge: str | None = None

    @classmethod
    def begin(
        cls,
        *,
        id: str,
        channel: Channel,
        to: str,
        now: datetime,
        browser_hash: str | None,
        locale: str | None,
        guest_id: str | None = None,
        code_challenge: str | None = None,
    ) -> CodeFlow:
        return cls(
            id=id,
            channel=channel,
            to=to,
            created_at=now,
            expires_at=now + FLOW_LIFETIME,
            browser_hash=browser_hash,
            locale=locale,
            guest_id=guest_id,
            code_challenge=code_challenge,
        )

    def live(self, now: datetime) -> bool:
        """Neither voided, spent nor expired: its code may still be taken."""
        return not self.void and self.spent_at is None and now < self.expires_at

    def usable(self, now: datetime) -> bool:
        """Live, with a guess left."""
        return self.live(now) and self.guesses < MAX_GUESSES

    def issued(self, link_token: str, now: datetime) -> CodeFlow:
        """The flow once the sending job gave it ``link_token`` (and so its code); a retried
        job replaces the earlier one, whose message never went out. Unchanged once not
        usable."""
        if not self.usable(now):
            return self
        return replace(
            self,
            code_hash=code_hash(self.id, code_of(link_token)),
            link_hash=secret_hash(link_token),
        )

    def guessed(self, now: datetime, nonce: str) -> CodeFlow:
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

    def redeemable_by(self, code_verifier: str) -> bool:
        """Whether the app holding ``code_verifier`` is the one that asked: the flow has a
        challenge and the verifier is its (a flow without one is redeemed by nobody)."""
        return (
            self.code_challenge is not None
            and verifier_shaped(code_verifier)
            and hmac.compare_digest(self.code_challenge, challenge_of(code_verifier))
        )

    def taken_by(self, browser_secret: str) -> bool:
        """Whether a code may be taken for this flow by whoever holds ``browser_secret`` ("":
        an API client, which holds the flow's id): a flow a browser asked for is that
        browser's alone, so its id, seen in a page's address, opens nothing elsewhere."""
        return self.browser_hash is None or self.asked_by(browser_secret)

    def voided(self) -> CodeFlow:
        return replace(self, void=True)

    def spent(self, now: datetime, nonce: str) -> CodeFlow:
        """Spent by the request holding ``nonce`` (its guess was counted, so the last guess
        may spend it); unchanged when no longer live (spent by another, voided, expired)."""
        return replace(self, spent_at=now, spent_by=nonce) if self.live(now) else self


@dataclass(frozen=True)
class CodeRequests:
    """The requests for codes of one identifier (document ``email_code_addresses/{key}``,
    ``phone_code_numbers/{key}``): the flow the last one started, and for each request of the
    last hour when it came, from which client (a hash of its address's scope: an IPv4
    address, an IPv6 /64), the flow it started and who asked it (the asking browser's or
    client's hash, ``asker``)."""

    key: str  # login_key of the address, the number in E.164
    live_flow: str | None = None
    times: tuple[datetime, ...] = ()
    clients: tuple[str, ...] = ()  # one per time ("" for a request stored before)
    channel: Channel = Channel.EMAIL
    # One per time: the flow the request started ("": none, a request counted only, or
    # stored before), and who asked it ("": the identifier's one asker, or stored before)
    flows: tuple[str, ...] = ()
    askers: tuple[str, ...] = ()

    def crowded(self, now: datetime) -> bool:
        """Whether the identifier's requests of the last hour, from all clients, are at their
        budget: a further one asks for a challenge (``requested``'s ``challenged``)."""
        return sum(1 for at in self.times if now - at < _HOUR) >= REQUESTS_PER_HOUR

    def live_for(self, asker: str) -> str | None:
        """The flow a new request by ``asker`` voids: the last one it started itself, never
        the flow another browser or client asked for (docs/decisions/
        0651-a-request-voids-only-its-own-askers-code.md)."""
        flows, askers = self._padded(self.flows), self._padded(self.askers)
        started = zip(reversed(flows), reversed(askers), strict=True)
        return next((flow for flow, by in started if flow and by == asker), None)

    def requested(
        self, flow_id: str, now: datetime, client: str, *, asker: str, challenged: bool = False
    ) -> CodeRequests:
        """With a new request by ``asker`` from ``client``, which started the flow ``flow_id``
        ("": a request counted here that starts no flow of this identifier's, such as an
        account's change to this number); RateLimited (with its Retry-After) within 30
        seconds of the client's last request for the identifier or past its five in an hour,
        past five in an hour from all clients unless the request passed a challenge
        (``challenged``), and past twenty in an hour from all clients in any case. A
        stranger's requests so spend the stranger's budget, never the holder's: the holder
        passes a challenge."""
        recent = [
            entry
            for entry in zip(
                self.times,
                self._padded(self.clients),
                self._padded(self.flows),
                self._padded(self.askers),
                strict=True,
            )
            if now - entry[0] < _HOUR
        ]
        mine = [at for at, by, *_ in recent if by == client]
        if mine and now - mine[-1] < REQUEST_GAP:
            raise self._limited(REQUEST_GAP - (now - mine[-1]))
        if len(mine) >= REQUESTS_PER_HOUR:
            raise self._limited(_HOUR - (now - mine[-REQUESTS_PER_HOUR]))
        if len(recent) >= ADDRESS_REQUESTS_PER_HOUR or (
            len(recent) >= REQUESTS_PER_HOUR and not challenged
        ):
            budget = ADDRESS_REQUESTS_PER_HOUR if challenged else REQUESTS_PER_HOUR
            raise self._limited(_HOUR - (now - recent[-budget][0]))
        kept = [*recent, (now, client, flow_id, asker)]
        return replace(
            self,
            live_flow=flow_id or self.live_flow,
            times=tuple(entry[0] for entry in kept),
            clients=tuple(entry[1] for entry in kept),
            flows=tuple(entry[2] for entry in kept),
            askers=tuple(entry[3] for entry in kept),
        )

    def _padded(self, values: tuple[str, ...]) -> tuple[str, ...]:
        """One value per time: a record stored before kept none."""
        return values if len(values) == len(self.times) else ("",) * len(self.times)

    def expires_at(self) -> datetime | None:
        """When this record stops mattering (a Firestore TTL policy may delete it then)."""
        return self.times[-1] + _HOUR if self.times else None

    def _limited(self, wait: timedelta) -> RateLimited:
        return RateLimited(
            f"Too many codes asked for this {self.channel.identifier}; try again later.",
            retry_after=int(-(-wait.total_seconds() // 1)),
            code=self.channel.rate_limited,
        )
