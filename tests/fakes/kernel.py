"""The shared kernel's fakes: the clock, the store every capability's documents share,
the password hasher, the job queue, the request counters and the host resolver."""

from __future__ import annotations

import ipaddress
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from application.events.security_events import staged_events
from application.jobs import JobHandler
from application.ports import Job, StagedWrites
from domain.accounts.identities import PendingLink
from domain.accounts.users import User
from domain.events.outbox import OutboxEntry
from domain.events.security_events import SecurityEvent
from domain.events.webhooks import Delivery
from domain.mail.action_tokens import ActionToken, SendLog
from domain.request_limits import WindowCounts
from domain.signin.active_org import ActiveOrg
from domain.signin.mfa import MfaChallenge, TotpFactor
from domain.signin.personal_tokens import PersonalToken
from domain.signin.sessions import Session
from infrastructure.request_counts import InMemoryRequestCounter


class FakeClock:
    """Time that moves only when a test moves it, and by ``tick`` at each reading (zero by
    default), so that things made one after another can still be told apart by time."""

    def __init__(self, start: datetime | None = None, tick: timedelta = timedelta()) -> None:
        self.current = start or datetime.now(UTC).replace(microsecond=0)
        self.tick = tick

    def now(self) -> datetime:
        now = self.current
        self.current += self.tick
        return now

    def advance(self, **kwargs: float) -> None:
        self.current += timedelta(**kwargs)

    def in_one_hour(self, steps: timedelta) -> None:
        """Past the next hour's start when the ``steps`` a test takes from now would straddle
        it: what counts by the clock's hour (the challenge gate, the SMS budgets) counts the
        test's steps in one hour. The clock starts at the wall's, and a move far from it
        would outdate a session's cookie, so a test cannot simply start elsewhere."""
        left = left_in_the_hour(self.current)
        if left <= steps:
            self.advance(seconds=left.total_seconds() + 1)


def left_in_the_hour(now: datetime) -> timedelta:
    """How long until the next hour's start, from ``now``."""
    return timedelta(hours=1) - timedelta(
        minutes=now.minute, seconds=now.second, microseconds=now.microsecond
    )


class InMemoryStore:
    """The documents both fake repositories share, like collections in one database."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.users: dict[str, User] = {}
        self.usernames: dict[str, str] = {}  # normalized -> user id
        self.emails: dict[str, str] = {}
        self.phone_numbers: dict[str, str] = {}  # proven E.164 -> user id
        self.sessions: dict[str, Session] = {}
        self.identities: dict[str, str] = {}  # "provider:subject" -> user id
        # "provider:subject" -> (the address given when linked, when it was linked)
        # Per link: its address, when it was made, and whether it made its account unproven.
        self.identity_details: dict[str, tuple[str | None, datetime, bool]] = {}
        self.pending_links: dict[str, PendingLink] = {}  # by the hash of the browser's secret
        self.action_tokens: dict[str, ActionToken] = {}  # sha256 -> token
        self.mail_sends: dict[str, SendLog] = {}  # by user id
        self.factors: dict[str, TotpFactor] = {}  # user id -> authenticator
        self.challenges: dict[str, MfaChallenge] = {}  # token hash -> challenge
        self.security_events: dict[str, SecurityEvent] = {}
        self.webhook_deliveries: dict[str, Delivery] = {}
        self.event_outbox: dict[str, OutboxEntry] = {}  # the units' outbox entries, by id
        self.personal_tokens: dict[str, PersonalToken] = {}
        # (org id, user id) -> the person's membership of a live org, as a session's
        # active org reads it (tests/fakes/signin.py's FakeActiveOrgs)
        self.active_orgs: dict[tuple[str, str], ActiveOrg] = {}

    def commit_staged(self, staged: StagedWrites) -> None:
        """What ``staged`` writes, in the commit of the change the caller makes."""
        events = staged_events(staged)
        with self.lock:
            for event in events.events:
                self.security_events[event.id] = event
            for delivery in events.deliveries:
                self.webhook_deliveries.setdefault(delivery.id, delivery)
            for entry in events.entries:
                self.event_outbox.setdefault(entry.id, entry)


class FakeHasher:
    """Reversible "hashes" so unit tests run fast; ``version`` simulates parameter upgrades."""

    def __init__(self, version: int = 1) -> None:
        self.version = version
        self.dummy_verifications = 0
        self.verifications = 0

    def hash(self, password: str) -> str:
        return f"fake${self.version}${password}"

    def verify(self, password_hash: str, password: str) -> bool:
        self.verifications += 1
        return password_hash.split("$", 2)[2] == password

    def verify_dummy(self, password: str) -> None:
        self.dummy_verifications += 1

    def needs_rehash(self, password_hash: str) -> bool:
        return not password_hash.startswith(f"fake${self.version}$")


class FakeJobQueue:
    """Keeps the queued jobs for the test to run (or raises while ``broken`` is set)."""

    def __init__(self) -> None:
        self.jobs: list[Job] = []
        self.broken = False

    def enqueue(self, job: Job) -> None:
        if self.broken:
            raise RuntimeError("the fake job queue is broken")
        self.jobs.append(job)

    def attach(self, run: JobHandler) -> FakeJobQueue:
        """As ``Adapters.job_queue``: tests deliver the jobs themselves, so ``run`` is unused."""
        return self


class CountingRequestCounter(InMemoryRequestCounter):
    """Counts in memory, and how many requests each key took: in Firestore, each key is a
    document and each request one write to it (infrastructure/firestore/request_counts.py)."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: Counter[str] = Counter()

    def hit(self, key: str, windows: Sequence[int], now: float) -> dict[int, WindowCounts]:
        self.writes[key] += 1
        return super().hit(key, windows, now)


class FakeHostResolver:
    """Names resolve to what ``names`` says; an address to itself."""

    def __init__(self, names: Mapping[str, list[str]] | None = None) -> None:
        self.names = dict(names or {})

    def addresses(self, host: str) -> list[str]:
        if host in self.names:
            return self.names[host]
        try:
            return [str(ipaddress.ip_address(host))]
        except ValueError:
            return []


def after_position(at: datetime, item_id: str, position: tuple[datetime, str] | None) -> bool:
    """Whether an item made at ``at`` comes after a page's last (its time, then its id)."""
    return position is None or (at, item_id) > position
