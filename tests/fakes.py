"""In-memory adapters for unit tests; tests/contract keeps each honest against Firestore."""

from __future__ import annotations

import base64
import ipaddress
import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import BinaryIO

from application.events.webhooks.ports import WebhookUnreachable
from application.jobs import JobHandler
from application.mail.sending import NEW_DEVICE_MAIL_EVERY
from application.migration.ports import Arrival, Holders, Link
from application.ports import (
    NO_WRITES,
    AuditEvent,
    ExternalIdentity,
    Job,
    Mail,
    MailUndelivered,
    StagedWrites,
)
from application.resources.dogs import PictureUnavailable
from application.signin.login import LoginRecords
from application.signin.sessions import SessionRead
from application.signin.throttle import Reservation
from bootstrap.adapters import (
    Adapters,
    passkey_ceremonies,
    provider_tokens,
    secret_box,
    token_issuer,
)
from domain.accounts.users import Role, User
from domain.errors import Conflict, DomainError, NotFound, Unauthenticated
from domain.events.security_events import SecurityEvent
from domain.events.webhooks import Delivery, WebhookEndpoint
from domain.federation.identities import IdentityLink, PendingLink
from domain.federation.upstream import UpstreamProvider
from domain.mail.action_tokens import ActionToken, InvalidToken, Purpose, SendLog
from domain.provider.device_flow import Decision as DeviceDecision
from domain.provider.device_flow import DeviceAuthorization
from domain.provider.device_flow import Poll as DevicePoll
from domain.provider.dpop import InvalidProof, SpentProof
from domain.provider.oauth import (
    AuthorizationCode,
    CodeSpending,
    Consent,
    Grant,
    OAuthClient,
    Rotation,
)
from domain.resources.datasets import Dataset, DatasetRow
from domain.resources.dogs import Dog
from domain.resources.files import StoredFile
from domain.resources.tasks import Task
from domain.signin.mfa import MfaChallenge, TotpFactor
from domain.signin.passkeys import Challenge, Passkey
from domain.signin.personal_tokens import PersonalToken
from domain.signin.sessions import Session
from domain.signin.throttling import FailureRecord, ThrottleRule, refusal, released
from infrastructure.events.audit import LoggingAuditLog
from infrastructure.federation.upstream_oidc import AuthlibUpstreamClient
from infrastructure.mail.render import JinjaMailRenderer
from infrastructure.request_counts import InMemoryRequestCounter
from infrastructure.settings import Settings
from infrastructure.signin.one_time_passwords import PyotpOneTimePasswords
from interfaces.web import TRANSLATIONS


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


class InMemoryStore:
    """The documents both fake repositories share, like collections in one database."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.users: dict[str, User] = {}
        self.usernames: dict[str, str] = {}  # normalized -> user id
        self.emails: dict[str, str] = {}
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
        self.personal_tokens: dict[str, PersonalToken] = {}

    def commit_staged(self, staged: StagedWrites) -> None:
        """What ``staged`` writes, in the commit of the change the caller makes."""
        with self.lock:
            for event in staged.events:
                self.security_events[event.id] = event
            for delivery in staged.deliveries:
                self.webhook_deliveries.setdefault(delivery.id, delivery)


def _email_key(user: User) -> str | None:
    return user.email.normalized if user.email is not None else None


class FakeUserRepository:
    def __init__(self, store: InMemoryStore | None = None) -> None:
        self.store = store or InMemoryStore()

    def add(self, user: User, staged: StagedWrites = NO_WRITES) -> None:
        s = self.store
        with s.lock:
            if user.username.normalized in s.usernames:
                raise Conflict(
                    "This username is already registered.", code="username_taken", field="username"
                )
            if user.email is not None and user.email.normalized in s.emails:
                raise Conflict(
                    "This email is already registered.", code="email_taken", field="email"
                )
            s.users[user.id] = user
            s.usernames[user.username.normalized] = user.id
            if user.email is not None:
                s.emails[user.email.normalized] = user.id
            s.commit_staged(staged)  # one commit with the account, as in Firestore

    def get(self, user_id: str) -> User | None:
        return self.store.users.get(user_id)

    def find_by_login(self, key: str) -> User | None:
        claims = self.store.emails if "@" in key else self.store.usernames
        user = self.store.users.get(claims.get(key, ""))
        return user if user is not None and user.deleted_at is None else None

    def update(
        self, user_id: str, change: Callable[[User], User], *, keep_session: str | None = None
    ) -> User:
        s = self.store
        with s.lock:
            old = s.users.get(user_id)
            if old is None or old.deleted_at is not None:
                raise NotFound("The account no longer exists.", code="user_not_found")
            new = change(old)
            moves = [
                (s.usernames, old.username.normalized, new.username.normalized, "username"),
                (s.emails, _email_key(old), _email_key(new), "email"),
            ]
            for claims, before, after, field in moves:
                if before != after and after is not None and after in claims:
                    raise Conflict(
                        f"This {field} is already registered.", code=f"{field}_taken", field=field
                    )
            for claims, before, after, _ in moves:
                if before != after:
                    if before is not None:
                        del claims[before]
                    if after is not None:
                        claims[after] = user_id
            s.users[user_id] = new
            if keep_session and new.token_version != old.token_version:
                kept = s.sessions.get(keep_session)
                if kept is not None:  # ended meanwhile: nothing to keep
                    s.sessions[keep_session] = replace(kept, token_version=new.token_version)
            return new

    def list_page(self, after: str | None, limit: int) -> list[User]:
        live = sorted(
            (u for u in self.store.users.values() if u.deleted_at is None), key=lambda u: u.id
        )
        return [u for u in live if after is None or u.id > after][:limit]

    def list_admins(self, limit: int) -> list[User]:
        live = (u for u in self.store.users.values() if u.deleted_at is None)
        return sorted((u for u in live if u.role is Role.ADMIN), key=lambda u: u.id)[:limit]

    def list_by_prefix(self, prefix: str, after: str | None, limit: int) -> list[User]:
        def key(user: User) -> str:
            found = _email_key(user) if "@" in prefix else user.username.normalized
            return found if found is not None else ""

        live = (u for u in self.store.users.values() if u.deleted_at is None)
        found = [u for u in live if key(u).startswith(prefix) and (after is None or key(u) > after)]
        return sorted(found, key=key)[:limit]

    def mark_deleted(self, user_id: str, now: datetime) -> User | None:
        s = self.store
        with s.lock:
            user = s.users.get(user_id)
            if user is None or user.deleted_at is not None:
                return user
            for claims, key in (
                (s.usernames, user.username.normalized),
                (s.emails, _email_key(user)),
            ):
                if key is not None and claims.get(key) == user_id:
                    del claims[key]
            s.users[user_id] = replace(user, deleted_at=now, updated_at=now)
            return user

    def purge(self, user_id: str, batch_size: int) -> None:
        s = self.store
        with s.lock:
            for sid in [sid for sid, x in s.sessions.items() if x.user_id == user_id]:
                del s.sessions[sid]
            for key in [key for key, x in s.identities.items() if x == user_id]:
                del s.identities[key]
            for hashed in [h for h, t in s.action_tokens.items() if t.user_id == user_id]:
                del s.action_tokens[hashed]
            s.mail_sends.pop(user_id, None)
            s.users.pop(user_id, None)

    def pending_deletions(self, limit: int) -> list[str]:
        return [u.id for u in self.store.users.values() if u.deleted_at is not None][:limit]


class FakeSessionRepository:
    def __init__(self, store: InMemoryStore | None = None) -> None:
        self.store = store or InMemoryStore()

    def add(self, session: Session, staged: StagedWrites = NO_WRITES) -> None:
        with self.store.lock:
            if session.id in self.store.sessions:
                return  # as in Firestore: the fresh id can only be a retried commit's
            self.store.sessions[session.id] = session
            self.store.commit_staged(staged)  # one commit with the session, as in Firestore

    def get(self, session_id: str) -> Session | None:
        return self.store.sessions.get(session_id)

    def read(self, session_id: str) -> SessionRead | None:
        session = self.store.sessions.get(session_id)
        return SessionRead(session, version=session) if session is not None else None

    def update(
        self,
        session_id: str,
        change: Callable[[Session], Session],
        *,
        read: SessionRead | None = None,
    ) -> Session | None:
        # Under the lock the stored session is always current: what ``read`` saw is used
        # when it still is, as Firestore's precondition would let it through.
        with self.store.lock:
            session = self.store.sessions.get(session_id)
            if session is None:
                return None
            if read is not None and read.version is session:
                session = read.session
            self.store.sessions[session_id] = after = change(session)
            return after

    def revoke(self, session_id: str, now: datetime) -> None:
        with self.store.lock:
            session = self.store.sessions.get(session_id)
            if session is not None and session.revoked_at is None:
                self.store.sessions[session_id] = session.revoked(now)

    def delete(self, session_id: str) -> None:
        with self.store.lock:
            self.store.sessions.pop(session_id, None)

    def list_for_user(self, user_id: str, limit: int) -> list[Session]:
        return [s for s in self.store.sessions.values() if s.user_id == user_id][:limit]

    def delete_for_user(self, user_id: str) -> None:
        with self.store.lock:
            for sid in [sid for sid, s in self.store.sessions.items() if s.user_id == user_id]:
                del self.store.sessions[sid]


class FakeMfaRepository:
    def __init__(self, store: InMemoryStore | None = None) -> None:
        self.store = store or InMemoryStore()

    def get(self, user_id: str) -> TotpFactor | None:
        return self.store.factors.get(user_id)

    def begin(self, factor: TotpFactor) -> bool:
        with self.store.lock:
            current = self.store.factors.get(factor.user_id)
            if current is not None and current.active:
                return False
            self.store.factors[factor.user_id] = factor
            return True

    def update(
        self, user_id: str, change: Callable[[TotpFactor], TotpFactor | None]
    ) -> TotpFactor | None:
        with self.store.lock:
            factor = self.store.factors.get(user_id)
            after = change(factor) if factor is not None else None
            if after is not None:
                self.store.factors[user_id] = after
            return after

    def delete(self, user_id: str) -> None:
        with self.store.lock:
            self.store.factors.pop(user_id, None)

    def add_challenge(self, challenge: MfaChallenge) -> None:
        with self.store.lock:
            self.store.challenges[challenge.token_hash] = challenge

    def get_challenge(self, token_hash: str) -> MfaChallenge | None:
        return self.store.challenges.get(token_hash)

    def update_challenge(
        self, token_hash: str, change: Callable[[MfaChallenge], MfaChallenge]
    ) -> MfaChallenge | None:
        with self.store.lock:
            challenge = self.store.challenges.get(token_hash)
            if challenge is None:
                return None
            self.store.challenges[token_hash] = after = change(challenge)
            return after

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        self.delete(user_id)


class FakePrincipals:
    def __init__(self, store: InMemoryStore) -> None:
        self.store = store

    def load(self, user_id: str, session_id: str) -> tuple[User | None, Session | None]:
        return self.store.users.get(user_id), self.store.sessions.get(session_id)

    def load_with_factor(
        self, user_id: str, session_id: str
    ) -> tuple[User | None, Session | None, TotpFactor | None]:
        return (*self.load(user_id, session_id), self.store.factors.get(user_id))

    def load_personal(
        self, user_id: str, token_id: str
    ) -> tuple[User | None, PersonalToken | None]:
        return self.store.users.get(user_id), self.store.personal_tokens.get(token_id)


class FakePersonalTokens:
    def __init__(self, store: InMemoryStore) -> None:
        self.store = store

    def add(self, token: PersonalToken) -> None:
        with self.store.lock:
            self.store.personal_tokens[token.id] = token

    def get(self, token_id: str) -> PersonalToken | None:
        return self.store.personal_tokens.get(token_id)

    def list_page(
        self, user_id: str, before: tuple[datetime, str] | None, limit: int
    ) -> list[PersonalToken]:
        with self.store.lock:
            rows = sorted(
                (t for t in self.store.personal_tokens.values() if t.user_id == user_id),
                key=lambda t: (t.created_at, t.id),
                reverse=True,
            )
        return [t for t in rows if before is None or (t.created_at, t.id) < before][:limit]

    def remove(self, token_id: str) -> bool:
        with self.store.lock:
            return self.store.personal_tokens.pop(token_id, None) is not None

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        with self.store.lock:
            for token in [t for t in self.store.personal_tokens.values() if t.user_id == user_id]:
                del self.store.personal_tokens[token.id]


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


class FakeIdentityRepository:
    def __init__(self, store: InMemoryStore | None = None) -> None:
        self.store = store or InMemoryStore()

    def _live(self, user_id: str | None) -> User | None:
        user = self.store.users.get(user_id or "")
        return user if user is not None and user.deleted_at is None else None

    def _store_link(
        self, key: str, user_id: str, email: str | None, at: datetime, made_unproven: bool = False
    ) -> None:
        self.store.identities[key] = user_id
        self.store.identity_details[key] = (email, at, made_unproven)

    def find_by_identity(self, provider: str, subject: str) -> User | None:
        return self._live(self.store.identities.get(f"{provider}:{subject}"))

    def add_with_identity(
        self, user: User, provider: str, subject: str, email: str | None = None
    ) -> User:
        key = f"{provider}:{subject}"
        with self.store.lock:
            linked = self._live(self.store.identities.get(key))
            if linked is not None:
                return linked  # linked first by a concurrent sign-in
            FakeUserRepository(self.store).add(user)  # Conflict when a claim is taken
            # replaces a link to a deleted account
            self._store_link(key, user.id, email, user.created_at, not user.email_verified)
            return user

    def link_existing(
        self,
        user_id: str,
        provider: str,
        subject: str,
        change: Callable[[User], User | None],
        email: str | None = None,
    ) -> User | None:
        key = f"{provider}:{subject}"
        with self.store.lock:
            linked = self._live(self.store.identities.get(key))
            if linked is not None:
                return linked  # linked first by a concurrent sign-in
            user = self._live(user_id)
            new = change(user) if user is not None else None
            if user is None or new is None:
                return None
            if (new.username, new.email) != (user.username, user.email):
                raise ValueError("a link leaves the names as they are")
            self.store.users[user_id] = new
            self._store_link(key, user_id, email, new.updated_at)
            return new

    def list_for(self, user_id: str) -> list[IdentityLink]:
        with self.store.lock:
            links = []
            for key, owner in self.store.identities.items():
                if owner != user_id:
                    continue
                provider, _, subject = key.partition(":")
                email, at, made = self.store.identity_details.get(key, (None, datetime.min, False))
                links.append(
                    IdentityLink(provider, subject, owner, email, at.replace(tzinfo=UTC), made)
                )
        return sorted(links, key=lambda link: (link.linked_at, link.provider, link.subject))

    def unlink(
        self,
        user_id: str,
        decide: Callable[[User, list[IdentityLink]], list[IdentityLink]],
        now: datetime,
    ) -> list[IdentityLink]:
        with self.store.lock:
            user = self._live(user_id)
            if user is None:
                raise NotFound("This account does not exist.", code="user_not_found")
            going = decide(user, self.list_for(user_id))
            for link in going:
                self.store.identities.pop(f"{link.provider}:{link.subject}", None)
            self.store.users[user_id] = replace(user, updated_at=now)
            return going

    def hold(self, key: str, pending: PendingLink) -> None:
        with self.store.lock:
            self.store.pending_links[key] = pending

    def pending(self, key: str) -> PendingLink | None:
        return self.store.pending_links.get(key)

    def take(self, key: str) -> PendingLink | None:
        with self.store.lock:
            return self.store.pending_links.pop(key, None)

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        with self.store.lock:
            for key in [k for k, owner in self.store.identities.items() if owner == user_id]:
                del self.store.identities[key]


class FakeIdentityVerifier:
    """Firebase under the test's control: ``issue`` mints a token, ``refuse`` makes one fail."""

    def __init__(self) -> None:
        self.tokens: dict[str, ExternalIdentity | DomainError] = {}

    def issue(
        self,
        subject: str,
        *,
        email: str | None = None,
        email_verified: bool = True,
        display_name: str | None = None,
    ) -> str:
        token = f"id-token-{len(self.tokens)}-{subject}"
        self.tokens[token] = ExternalIdentity(
            provider="firebase",
            subject=subject,
            email=email,
            email_verified=email_verified,
            display_name=display_name,
            preferred_username=display_name,  # as the Firebase adapter makes it
        )
        return token

    def refuse(self, token: str, error: DomainError) -> None:
        self.tokens[token] = error

    def verify(self, id_token: str) -> ExternalIdentity:
        found = self.tokens.get(id_token)
        if found is None:
            raise Unauthenticated("The Firebase ID token is not valid.", code="invalid_id_token")
        if isinstance(found, DomainError):
            raise found
        return found


# What firebase-admin puts in a custom token (firebase_admin/_token_gen.py).
CUSTOM_TOKEN_AUDIENCE = (
    "https://identitytoolkit.googleapis.com/google.identity.identitytoolkit.v1.IdentityToolkit"
)
EMULATOR_SIGNER = "firebase-auth-emulator@example.com"


def _segment(value: Mapping[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


class FakeCustomTokens:
    """Custom tokens as firebase-admin mints them on the Auth emulator (unsigned, ``alg:
    none``), so the emulator accepts them too (tests/contract/test_custom_token_minter.py);
    ``fail_with`` makes the next mints fail."""

    def __init__(self) -> None:
        self.minted: list[tuple[str, dict[str, str | int]]] = []
        self.error: DomainError | None = None

    def fail_with(self, error: DomainError | None) -> None:
        self.error = error

    def mint(self, uid: str, claims: Mapping[str, str | int]) -> str:
        if self.error is not None:
            raise self.error
        self.minted.append((uid, dict(claims)))
        now = int(time.time())
        payload = {
            "iss": EMULATOR_SIGNER,
            "sub": EMULATOR_SIGNER,
            "aud": CUSTOM_TOKEN_AUDIENCE,
            "uid": uid,
            "iat": now,
            "exp": now + 3600,
            "claims": dict(claims),
        }
        return f"{_segment({'alg': 'none', 'typ': 'JWT'})}.{_segment(payload)}."


class FakeLoginThrottle:
    """Failure records in a dict, counted and taken back under a lock (the Firestore
    adapter's compare-and-set)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.records: dict[str, FailureRecord] = {}

    def load(self, keys: Sequence[str]) -> dict[str, FailureRecord]:
        return {key: self.records[key] for key in keys if key in self.records}

    def reserve(
        self,
        rules: Sequence[tuple[str, ThrottleRule]],
        now: datetime,
        seen: Mapping[str, FailureRecord] | None = None,
    ) -> Reservation:
        with self.lock:
            before = {key: self.records.get(key) for key, _ in rules}
            refused = refusal({k: r for k, r in before.items() if r is not None}, now)
            if refused is not None:
                raise refused
            for key, rule in rules:
                old = before[key]
                self.records[key] = (
                    old.after_failure(now, rule) if old else FailureRecord.first(now, rule)
                )
            return Reservation(
                rules=tuple(rules),
                before=before,
                after={key: self.records[key] for key, _ in rules},
            )

    def release(self, reservation: Reservation, clear: Sequence[str] = ()) -> None:
        with self.lock:
            for key in clear:
                self.records.pop(key, None)
            for key, _ in reservation.rules:
                now = self.records.get(key)
                if key in clear or now is None:
                    continue
                then = released(now, reservation.before[key], reservation.after[key])
                if then is None:
                    del self.records[key]
                else:
                    self.records[key] = then

    def reset(self, key: str) -> None:
        with self.lock:
            self.records.pop(key, None)


class FakeLoginLookup:
    """The login's reads from the fake users' store and the fake throttle."""

    def __init__(self, store: InMemoryStore, throttle: FakeLoginThrottle) -> None:
        self.store = store
        self.throttle = throttle

    def load(self, login_key: str, throttle_keys: Sequence[str]) -> LoginRecords:
        claims = self.store.emails if "@" in login_key else self.store.usernames
        return LoginRecords(self.throttle.load(throttle_keys), claims.get(login_key))

    def user(self, user_id: str | None) -> User | None:
        user = self.store.users.get(user_id or "")
        return user if user is not None and user.deleted_at is None else None


class RecordingAuditLog:
    """Keeps the audit events so tests assert on them, not on log text."""

    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    def record(self, event: AuditEvent) -> None:
        self.events.append(event)

    def stage(self, events: Sequence[AuditEvent]) -> StagedWrites:
        return StagedWrites(audit=tuple(events))

    def committed(self, staged: StagedWrites) -> None:
        self.events.extend(staged.audit)


def _after(at: datetime, item_id: str, position: tuple[datetime, str] | None) -> bool:
    return position is None or (at, item_id) > position


class FakeTaskRepository:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.tasks: dict[str, Task] = {}

    def add(self, task: Task) -> None:
        with self.lock:
            self.tasks[task.id] = task

    def get(self, task_id: str) -> Task | None:
        return self.tasks.get(task_id)

    def update(self, task_id: str, change: Callable[[Task], Task]) -> Task | None:
        with self.lock:
            task = self.tasks.get(task_id)
            if task is None:
                return None
            self.tasks[task_id] = after = change(task)
            return after

    def delete(self, task_id: str, check: Callable[[Task], None]) -> bool:
        with self.lock:
            task = self.tasks.get(task_id)
            if task is None:
                return False
            check(task)
            del self.tasks[task_id]
            return True

    def list_page(
        self, owner_id: str, done: bool | None, after: tuple[datetime, str] | None, limit: int
    ) -> list[Task]:
        with self.lock:
            rows = sorted(
                (
                    t
                    for t in self.tasks.values()
                    if t.owner_id == owner_id and (done is None or t.done == done)
                ),
                key=lambda t: (t.created_at, t.id),
            )
        return [t for t in rows if _after(t.created_at, t.id, after)][:limit]

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        with self.lock:
            for task_id in [i for i, t in self.tasks.items() if t.owner_id == user_id]:
                del self.tasks[task_id]


class FakeSecurityEvents:
    """Events, with their webhook deliveries, in the store's collections under its lock."""

    def __init__(
        self,
        store: InMemoryStore | None = None,
        deliveries: FakeWebhookDeliveries | None = None,
    ) -> None:
        self.store = store or InMemoryStore()
        self.lock = self.store.lock
        self.events: dict[str, SecurityEvent] = self.store.security_events
        self.deliveries = deliveries or FakeWebhookDeliveries(self.store)
        self.broken = False

    def add(self, event: SecurityEvent, deliveries: Sequence[Delivery] = ()) -> None:
        if self.broken:
            raise RuntimeError("the fake security events are broken")
        with self.lock, self.deliveries.lock:
            self.events[event.id] = event
            for delivery in deliveries:
                self.deliveries.deliveries.setdefault(delivery.id, delivery)

    def list_page(
        self, user_id: str, type: str | None, before: tuple[datetime, str] | None, limit: int
    ) -> list[SecurityEvent]:
        with self.lock:
            rows = sorted(
                (
                    e
                    for e in self.events.values()
                    if e.user_id == user_id and (type is None or e.type == type)
                ),
                key=lambda e: (e.at, e.id),
                reverse=True,
            )
        return [e for e in rows if before is None or (e.at, e.id) < before][:limit]


class FakeWebhookEndpoints:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.endpoints: dict[str, WebhookEndpoint] = {}
        self.reads = 0  # list_all calls: the outbox's cache keeps them few

    def add(self, endpoint: WebhookEndpoint) -> None:
        with self.lock:
            if endpoint.id in self.endpoints:
                raise Conflict("exists")
            self.endpoints[endpoint.id] = endpoint

    def get(self, endpoint_id: str) -> WebhookEndpoint | None:
        return self.endpoints.get(endpoint_id)

    def list_all(self) -> list[WebhookEndpoint]:
        with self.lock:
            self.reads += 1
            return sorted(self.endpoints.values(), key=lambda e: (e.created_at, e.id))

    def delete(self, endpoint_id: str) -> bool:
        with self.lock:
            return self.endpoints.pop(endpoint_id, None) is not None

    def set_health(self, endpoint_id: str, enabled: bool, failing_since: datetime | None) -> None:
        with self.lock:
            endpoint = self.endpoints.get(endpoint_id)
            if endpoint is not None:
                self.endpoints[endpoint_id] = replace(
                    endpoint, enabled=enabled, failing_since=failing_since
                )


class FakeWebhookDeliveries:
    def __init__(self, store: InMemoryStore | None = None) -> None:
        self.store = store or InMemoryStore()
        self.lock = self.store.lock
        self.deliveries: dict[str, Delivery] = self.store.webhook_deliveries

    def get(self, delivery_id: str) -> Delivery | None:
        return self.deliveries.get(delivery_id)

    def claim(self, delivery_id: str, now: datetime, until: datetime) -> Delivery | None:
        with self.lock:
            delivery = self.deliveries.get(delivery_id)
            if delivery is None or not delivery.due(now):
                return None
            self.deliveries[delivery_id] = replace(delivery, next_attempt_at=until)
            return delivery

    def save(self, delivery: Delivery) -> None:
        with self.lock:
            if delivery.id in self.deliveries:
                self.deliveries[delivery.id] = delivery

    def list_page(
        self, endpoint_id: str, before: tuple[datetime, str] | None, limit: int
    ) -> list[Delivery]:
        with self.lock:
            rows = sorted(
                (d for d in self.deliveries.values() if d.endpoint_id == endpoint_id),
                key=lambda d: (d.created_at, d.id),
                reverse=True,
            )
        return [d for d in rows if before is None or (d.created_at, d.id) < before][:limit]

    def due(self, now: datetime, limit: int) -> list[str]:
        with self.lock:
            rows = sorted(
                (d for d in self.deliveries.values() if d.due(now)),
                key=lambda d: (d.next_attempt_at, d.id),
            )
        return [d.id for d in rows][:limit]


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


class FakeWebhookSender:
    """Answers each POST with the next of ``answers`` (then the last again); an int is a
    status code, None no answer at all. Keeps what was sent."""

    def __init__(self, *answers: int | None) -> None:
        self.answers = list(answers) or [200]
        self.sent: list[tuple[str, str, dict[str, str]]] = []
        self.addresses: list[str | None] = []  # where each POST connected (None: the host)

    def post(self, url: str, body: str, headers: dict[str, str], address: str | None = None) -> int:
        self.sent.append((url, body, headers))
        self.addresses.append(address)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if answer is None:
            raise WebhookUnreachable("ConnectionError")
        return answer


class FakeScheduler:
    """Keeps the periodic tasks; tests run them."""

    def __init__(self) -> None:
        self.tasks: list[tuple[float, Callable[[], None]]] = []

    def every(self, seconds: float, task: Callable[[], None]) -> None:
        self.tasks.append((seconds, task))

    def run_all(self) -> None:
        for _, task in self.tasks:
            task()


class FakeDogRepository:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.dogs: dict[str, Dog] = {}
        self.names: dict[str, str] = {}  # name key -> dog id, like the claim documents

    def _taken(self) -> Conflict:
        return Conflict("A dog with this name exists already.", code="dog_name_taken", field="name")

    def add(self, dog: Dog) -> None:
        with self.lock:
            if dog.name.key in self.names:
                raise self._taken()
            self.dogs[dog.id] = dog
            self.names[dog.name.key] = dog.id

    def get(self, dog_id: str) -> Dog | None:
        return self.dogs.get(dog_id)

    def find_by_name(self, key: str) -> Dog | None:
        return self.dogs.get(self.names.get(key, ""))

    def update(self, dog_id: str, change: Callable[[Dog], Dog]) -> Dog | None:
        with self.lock:
            before = self.dogs.get(dog_id)
            if before is None:
                return None
            after = change(before)
            if after.name.key != before.name.key:
                if after.name.key in self.names:
                    raise self._taken()
                del self.names[before.name.key]
                self.names[after.name.key] = dog_id
            self.dogs[dog_id] = after
            return after

    def delete(self, dog_id: str, check: Callable[[Dog], None]) -> bool:
        with self.lock:
            dog = self.dogs.get(dog_id)
            if dog is None:
                return False
            check(dog)
            del self.dogs[dog_id]
            del self.names[dog.name.key]
            return True

    def list_page(
        self, adopted: bool | None, after: tuple[datetime, str] | None, limit: int
    ) -> list[Dog]:
        with self.lock:
            rows = sorted(
                (d for d in self.dogs.values() if adopted is None or d.is_adopted == adopted),
                key=lambda d: (d.created_at, d.id),
            )
        return [d for d in rows if _after(d.created_at, d.id, after)][:limit]

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        with self.lock:
            for dog in [d for d in self.dogs.values() if d.owner_id == user_id]:
                del self.dogs[dog.id]
                del self.names[dog.name.key]


class FakePictureSource:
    """Answers ``url``, or fails with PictureUnavailable while ``failing`` is set."""

    def __init__(self, url: str = "https://images.dog.ceo/breeds/hound/1.jpg") -> None:
        self.url = url
        self.failing = False
        self.calls = 0

    def random_picture(self) -> str:
        self.calls += 1
        if self.failing:
            raise PictureUnavailable("the fake picture source is failing")
        return self.url


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


# -- mail ------------------------------------------------------------------------------------


class FakeActionTokenRepository:
    """Tokens and send logs in the shared store, spent in the adapter's steps: claim the
    token, then check it and change the user under the lock; a void token stays spent, a
    failed change releases the claim."""

    def __init__(self, store: InMemoryStore) -> None:
        self.store = store

    def add(self, token: ActionToken, job_id: str, now: datetime, *, always: bool = False) -> bool:
        return self._count(token.user_id, job_id, now, token=token, always=always)

    def count_mail(self, user_id: str, job_id: str, now: datetime, *, always: bool = False) -> bool:
        return self._count(user_id, job_id, now, always=always)

    def _count(
        self,
        user_id: str,
        job_id: str,
        now: datetime,
        *,
        token: ActionToken | None = None,
        always: bool = False,
    ) -> bool:
        s = self.store
        with s.lock:
            sends = s.mail_sends.get(user_id, SendLog()).counting(job_id, now, token, always=always)
            if sends is None:
                return False
            s.mail_sends[user_id] = sends
            if token is not None:
                s.action_tokens[token.hash] = token
            return True

    def get(self, hashed: str) -> ActionToken | None:
        return self.store.action_tokens.get(hashed)

    def spend(
        self, hashed: str, purpose: Purpose, change: Callable[[User], User], now: datetime
    ) -> User:
        s = self.store
        with s.lock:  # the claim
            token = s.action_tokens.get(hashed)
            if token is None or token.spent_at is not None or token.purpose is not purpose:
                raise InvalidToken()
            s.action_tokens[hashed] = token.spent(now)
        try:
            with s.lock:  # the transaction
                latest = s.mail_sends.get(token.user_id, SendLog()).latest_of(purpose)
                user = token.check(purpose, s.users.get(token.user_id), now, latest)
                changed = change(user)
                s.users[user.id] = changed
                return changed
        except InvalidToken:
            raise
        except Exception:
            with s.lock:
                s.action_tokens[hashed] = token
            raise


class FakeNewDeviceMails:
    """The devices each account was told of, under a lock: one claim per key and day."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.claims: dict[str, tuple[str, datetime]] = {}  # key -> (job id, when)

    def claim(self, key: str, user_id: str, job_id: str, now: datetime) -> bool:
        with self.lock:
            found = self.claims.get(key)
            if found is not None and (found[0] == job_id or now < found[1] + NEW_DEVICE_MAIL_EVERY):
                return found[0] == job_id
            self.claims[key] = (job_id, now)
            return True


class FakeMailer:
    """Keeps what it is given, like a mailbox; fails while ``failing`` is set."""

    def __init__(self) -> None:
        self.sent: list[Mail] = []
        self.failing = False

    def send(self, mail: Mail) -> None:
        if self.failing:
            raise MailUndelivered("the fake mail server is down")
        self.sent.append(mail)

    def to(self, address: str) -> list[Mail]:
        return [mail for mail in self.sent if mail.to == address]


# -- datasets and files ------------------------------------------------------------


class FakeFileStore:
    """Objects in a dict; ``open`` answers chunks, like the Cloud Storage adapter."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.objects: dict[str, tuple[bytes, str]] = {}  # key -> (bytes, content type)

    def save(self, key: str, data: BinaryIO, *, size: int, content_type: str) -> None:
        data.seek(0)
        body = data.read(size)
        with self.lock:
            self.objects[key] = (body, content_type)

    def open(self, key: str) -> Iterator[bytes]:
        found = self.objects.get(key)
        if found is None:
            raise NotFound("No such object.", code="object_not_found")
        body = found[0]
        return iter([body[i : i + 65_536] for i in range(0, len(body), 65_536)])

    def delete(self, key: str) -> None:
        with self.lock:
            self.objects.pop(key, None)

    def delete_prefix(self, prefix: str) -> int:
        with self.lock:
            keys = [key for key in self.objects if key.startswith(prefix)]
            for key in keys:
                del self.objects[key]
        return len(keys)


class FakeDatasetRepository:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.datasets: dict[str, Dataset] = {}
        self.rows: dict[str, list[DatasetRow]] = {}

    def add(self, dataset: Dataset) -> None:
        with self.lock:
            if dataset.id in self.datasets:
                raise Conflict("dataset exists")
            self.datasets[dataset.id] = dataset

    def get(self, dataset_id: str) -> Dataset | None:
        return self.datasets.get(dataset_id)

    def save(self, dataset: Dataset) -> None:
        with self.lock:
            if dataset.id not in self.datasets:
                raise NotFound("The dataset was deleted.", code="dataset_not_found")
            self.datasets[dataset.id] = dataset

    def list_page(self, owner_id: str | None, after: str | None, limit: int) -> list[Dataset]:
        found = sorted(
            (d for d in self.datasets.values() if owner_id is None or d.owner_id == owner_id),
            key=lambda d: d.id,
        )
        return [d for d in found if after is None or d.id > after][:limit]

    def add_rows(self, dataset_id: str, rows: Iterable[DatasetRow]) -> int:
        count = 0
        for row in rows:
            with self.lock:
                self.rows.setdefault(dataset_id, []).append(row)
            count += 1
        return count

    def rows_page(self, dataset_id: str, after: int, limit: int) -> list[DatasetRow]:
        return [r for r in self.rows.get(dataset_id, []) if r.number > after][:limit]

    def delete(self, dataset_id: str, batch_size: int) -> None:
        with self.lock:
            self.rows.pop(dataset_id, None)
            self.datasets.pop(dataset_id, None)

    def ids_owned_by(self, owner_id: str, limit: int) -> list[str]:
        return [d.id for d in self.datasets.values() if d.owner_id == owner_id][:limit]


class FakeFileRepository:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.files: dict[str, StoredFile] = {}

    def add(self, stored: StoredFile) -> None:
        with self.lock:
            if stored.id in self.files:
                raise Conflict("file exists")
            self.files[stored.id] = stored

    def get(self, file_id: str) -> StoredFile | None:
        return self.files.get(file_id)

    def delete(self, file_id: str) -> None:
        with self.lock:
            self.files.pop(file_id, None)

    def owned_by(self, owner_id: str, limit: int) -> list[StoredFile]:
        return [f for f in self.files.values() if f.owner_id == owner_id][:limit]


# -- passkeys ---------------------------------------------------------------------------


class FakePasskeyRepository:
    """Passkeys in a dict; one lock stands for the compare-and-set of the Firestore adapter
    (the store's, for a deletion guarded by the account, as the identities' unlink)."""

    def __init__(self, store: InMemoryStore | None = None) -> None:
        self.store = store or InMemoryStore()
        self.lock = self.store.lock
        self.passkeys: dict[str, Passkey] = {}

    def add(self, passkey: Passkey) -> None:
        with self.lock:
            if passkey.id in self.passkeys:
                raise Conflict("This passkey is registered already.", code="passkey_exists")
            self.passkeys[passkey.id] = passkey

    def get(self, passkey_id: str) -> Passkey | None:
        return self.passkeys.get(passkey_id)

    def list_for_user(self, user_id: str, limit: int) -> list[Passkey]:
        mine = [p for p in self.passkeys.values() if p.user_id == user_id]
        return sorted(mine, key=lambda p: (p.created_at, p.id))[:limit]

    def update(self, passkey_id: str, change: Callable[[Passkey], Passkey]) -> Passkey | None:
        with self.lock:
            before = self.passkeys.get(passkey_id)
            if before is None:
                return None
            self.passkeys[passkey_id] = after = change(before)
            return after

    def delete(self, passkey_id: str) -> None:
        with self.lock:
            self.passkeys.pop(passkey_id, None)

    def delete_guarded(
        self, passkey_id: str, user_id: str, decide: Callable[[User], None], now: datetime
    ) -> None:
        with self.lock:
            user = self.store.users.get(user_id)
            if user is None or user.deleted_at is not None:
                raise NotFound("This account does not exist.", code="user_not_found")
            decide(user)
            self.passkeys.pop(passkey_id, None)
            self.store.users[user_id] = replace(user, updated_at=now)

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        with self.lock:
            for key in [k for k, p in self.passkeys.items() if p.user_id == user_id]:
                del self.passkeys[key]


class FakeChallengeRepository:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.challenges: dict[str, Challenge] = {}

    def add(self, challenge: Challenge) -> None:
        with self.lock:
            self.challenges[challenge.key] = challenge

    def spend(self, key: str) -> Challenge | None:
        with self.lock:
            return self.challenges.pop(key, None)


class FakeOAuthClients:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.clients: dict[str, OAuthClient] = {}

    def add(self, client: OAuthClient) -> None:
        with self.lock:
            if client.client_id in self.clients:
                raise Conflict("The client exists.", code="client_exists")
            self.clients[client.client_id] = client

    def get(self, client_id: str) -> OAuthClient | None:
        return self.clients.get(client_id)

    def list(self, limit: int) -> list[OAuthClient]:
        return sorted(self.clients.values(), key=lambda c: c.created_at)[:limit]

    def delete(self, client_id: str) -> bool:
        with self.lock:
            return self.clients.pop(client_id, None) is not None


class FakeOAuthGrants:
    def __init__(self, store: InMemoryStore | None = None) -> None:
        self.lock = threading.Lock()
        self.store = store or InMemoryStore()  # where the staged events go
        self.codes: dict[str, AuthorizationCode] = {}
        self.grants: dict[str, Grant] = {}
        self.consents: dict[tuple[str, str], Consent] = {}
        self.revoked_tokens: dict[str, datetime] = {}
        self.spent_proofs: dict[str, datetime] = {}

    def add_code(self, code: AuthorizationCode) -> None:
        with self.lock:
            self.codes[code.hash] = code

    def get_code(self, code_hash: str) -> AuthorizationCode | None:
        return self.codes.get(code_hash)

    def spend_code(
        self,
        code_hash: str,
        spend: Callable[[AuthorizationCode], CodeSpending],
        staged: StagedWrites = NO_WRITES,
        read: AuthorizationCode | None = None,
    ) -> CodeSpending | None:
        with self.lock:
            code = self.codes.get(code_hash)
            if code is None:
                return None
            spending = spend(code)  # as stored now (``read`` spares Firestore a read)
            if spending.revokes is not None:
                grant = self.grants.get(spending.revokes)
                if grant is not None:
                    self.grants[grant.id] = replace(grant, revoked=True)
            elif spending.reserved is not None:
                self.codes[code_hash] = spending.code
                self.grants[spending.reserved.id] = spending.reserved
                self.store.commit_staged(staged)  # one commit with the code, as in Firestore
            return spending

    def rotate(
        self,
        grant_id: str,
        rotate: Callable[[Grant], Rotation],
        spent_proof: SpentProof | None = None,
    ) -> Rotation | None:
        with self.lock:
            grant = self.grants.get(grant_id)
            if grant is None:
                return None
            rotation = rotate(grant)
            if rotation.outcome == "rotated" and spent_proof is not None:
                if spent_proof.key in self.spent_proofs:  # one commit: nothing is stored
                    raise InvalidProof("The DPoP proof was already used.")
                self.spent_proofs[spent_proof.key] = spent_proof.expires_at
            if rotation.outcome != "invalid":
                self.grants[grant_id] = rotation.grant
            return rotation

    def spend_proof(self, proof: SpentProof) -> bool:
        with self.lock:
            if proof.key in self.spent_proofs:
                return False
            self.spent_proofs[proof.key] = proof.expires_at
            return True

    def get(self, grant_id: str) -> Grant | None:
        return self.grants.get(grant_id)

    def revoke(self, grant_id: str) -> bool:
        with self.lock:
            grant = self.grants.get(grant_id)
            if grant is None or grant.revoked:
                return False
            self.grants[grant_id] = replace(grant, revoked=True)
            return True

    def revoke_token(self, jti: str, client_id: str, expires_at: datetime) -> None:
        with self.lock:
            self.revoked_tokens[jti] = expires_at

    def token_revoked(self, jti: str) -> bool:
        return jti in self.revoked_tokens

    def list_for_user(self, user_id: str, limit: int) -> list[Grant]:
        found = [g for g in self.grants.values() if g.user_id == user_id]
        return sorted(found, key=lambda g: g.created_at, reverse=True)[:limit]

    def get_consent(self, user_id: str, client_id: str) -> Consent | None:
        return self.consents.get((user_id, client_id))

    def put_consent(self, consent: Consent) -> None:
        self.consents[(consent.user_id, consent.client_id)] = consent

    def delete_consent(self, user_id: str, client_id: str) -> None:
        self.consents.pop((user_id, client_id), None)

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        with self.lock:
            self.grants = {k: g for k, g in self.grants.items() if g.user_id != user_id}
            self.codes = {k: c for k, c in self.codes.items() if c.user_id != user_id}
            self.consents = {k: c for k, c in self.consents.items() if k[0] != user_id}


class FakeUpstreamProviders:
    def __init__(self) -> None:
        self.providers: dict[str, UpstreamProvider] = {}
        self.lock = threading.Lock()

    def add(self, provider: UpstreamProvider) -> None:
        with self.lock:
            if provider.id in self.providers:
                raise Conflict("A provider has this id.", code="provider_exists", field="id")
            self.providers[provider.id] = provider

    def get(self, provider_id: str) -> UpstreamProvider | None:
        return self.providers.get(provider_id)

    def list_all(self) -> list[UpstreamProvider]:
        return [self.providers[key] for key in sorted(self.providers)]

    def delete(self, provider_id: str) -> bool:
        with self.lock:
            return self.providers.pop(provider_id, None) is not None


class FakeDeviceAuthorizations:
    """Device authorization requests beside the grants they make (one lock, one dict of
    grants), as in Firestore."""

    def __init__(self, grants: FakeOAuthGrants) -> None:
        self.grants = grants
        self.requests: dict[str, DeviceAuthorization] = {}

    def add(self, request: DeviceAuthorization) -> bool:
        with self.grants.lock:
            if request.key in self.requests:
                return False
            self.requests[request.key] = request
            return True

    def get(self, key: str) -> DeviceAuthorization | None:
        return self.requests.get(key)

    def decide(
        self, key: str, decide: Callable[[DeviceAuthorization], DeviceDecision]
    ) -> DeviceDecision | None:
        with self.grants.lock:
            request = self.requests.get(key)
            if request is None:
                return None
            decision = decide(request)
            if decision.outcome == "decided":
                self.requests[key] = decision.request
            return decision

    def slow_down(self, key: str, interval: int) -> None:
        with self.grants.lock:
            request = self.requests.get(key)
            if request is not None:
                self.requests[key] = replace(request, interval=interval)

    def spend(
        self,
        key: str,
        poll: Callable[[DeviceAuthorization], DevicePoll],
        grant: Callable[[DeviceAuthorization], Grant],
        staged: StagedWrites = NO_WRITES,
        read: DeviceAuthorization | None = None,
    ) -> DevicePoll | None:
        with self.grants.lock:
            request = self.requests.get(key)
            if request is None:
                return None
            polled = poll(request)  # as stored now (``read`` spares Firestore a read)
            if polled.outcome == "issue":
                made = grant(polled.request)
                self.requests[key] = polled.request
                self.grants.grants[made.id] = made
                self.grants.store.commit_staged(staged)
            return polled


class FakeGrantHolders:
    def __init__(self, grants: FakeOAuthGrants, store: InMemoryStore) -> None:
        self.grants, self.store = grants, store

    def load(self, grant_id: str, user_id: str) -> tuple[Grant | None, User | None]:
        return self.grants.grants.get(grant_id), self.store.users.get(user_id)

    def load_code(
        self, code_hash: str, user_id: str
    ) -> tuple[AuthorizationCode | None, User | None]:
        return self.grants.codes.get(code_hash), self.store.users.get(user_id)

    def load_revocable(
        self, grant_id: str, user_id: str, jti: str
    ) -> tuple[Grant | None, User | None, bool]:
        grant, user = self.load(grant_id, user_id)
        return grant, user, self.grants.token_revoked(jti)


class FakeUserMoves:
    """Users moving in and out, on the documents of FakeUserRepository and
    FakeIdentityRepository (one link per "provider:subject")."""

    def __init__(self, store: InMemoryStore | None = None) -> None:
        self.store = store or InMemoryStore()

    def holders(
        self, ids: Sequence[str], usernames: Sequence[str], emails: Sequence[str]
    ) -> Holders:
        s = self.store
        with s.lock:
            return Holders(
                {i: s.users[i] for i in ids if i in s.users},
                {k: s.usernames[k] for k in usernames if k in s.usernames},
                {k: s.emails[k] for k in emails if k in s.emails},
            )

    def _taken(self, arrival: Arrival) -> str | None:
        s, user = self.store, arrival.user
        if user.id in s.users:
            return "id_taken"
        if user.username.normalized in s.usernames:
            return "username_taken"
        if user.email is not None and user.email.normalized in s.emails:
            return "email_taken"
        if any(f"{link.provider}:{link.subject}" in s.identities for link in arrival.links):
            return "identity_taken"
        return None

    def add_all(self, arrivals: Sequence[Arrival]) -> list[Conflict | None]:
        outcomes: list[Conflict | None] = []
        s = self.store
        with s.lock:
            for arrival in arrivals:
                taken = self._taken(arrival)
                if taken is not None:
                    outcomes.append(Conflict("Taken meanwhile.", code=taken))
                    continue
                user = arrival.user
                s.users[user.id] = user
                s.usernames[user.username.normalized] = user.id
                if user.email is not None:
                    s.emails[user.email.normalized] = user.id
                for link in arrival.links:
                    s.identities[f"{link.provider}:{link.subject}"] = user.id
                outcomes.append(None)
        return outcomes

    def link(self, user_id: str, links: Sequence[Link]) -> None:
        with self.store.lock:
            if user_id in self.store.users:
                for link in links:
                    self.store.identities.setdefault(f"{link.provider}:{link.subject}", user_id)

    def stream(self, page_size: int) -> Iterator[tuple[User, tuple[Link, ...]]]:
        s = self.store
        with s.lock:
            users = sorted((u for u in s.users.values() if not u.deleted_at), key=lambda u: u.id)
            links = [(key.split(":", 1), owner) for key, owner in s.identities.items()]
        for user in users:
            held = tuple(Link(p, subject) for (p, subject), owner in links if owner == user.id)
            yield user, held


def fake_adapters(settings: Settings, store: InMemoryStore | None = None) -> Adapters:
    """Every port on in-memory fakes sharing ``store`` and a fake clock (a microsecond passes
    at each reading, so what is made in turn sorts in turn), but for a real audit log and
    token issuer (from ``settings``); tests swap fields with ``dataclasses.replace``."""
    store = store or InMemoryStore()
    throttle = FakeLoginThrottle()
    deliveries = FakeWebhookDeliveries(store)
    grants = FakeOAuthGrants(store)
    return Adapters(
        users=FakeUserRepository(store),
        sessions=FakeSessionRepository(store),
        principals=FakePrincipals(store),
        personal_tokens=FakePersonalTokens(store),
        identities=FakeIdentityRepository(store),
        user_moves=FakeUserMoves(store),
        identity_verifier=FakeIdentityVerifier(),
        custom_tokens=FakeCustomTokens(),
        login_lookup=FakeLoginLookup(store, throttle),
        throttle=throttle,
        hasher=FakeHasher(),
        tokens=token_issuer(settings),
        clock=FakeClock(tick=timedelta(microseconds=1)),
        audit=LoggingAuditLog(),
        ready=lambda: True,
        tasks=FakeTaskRepository(),
        dogs=FakeDogRepository(),
        pictures=FakePictureSource(),
        datasets=FakeDatasetRepository(),
        files=FakeFileRepository(),
        file_store=FakeFileStore(),
        job_queue=FakeJobQueue().attach,
        push_verifier=None,
        request_counter=InMemoryRequestCounter(),
        action_tokens=FakeActionTokenRepository(store),
        mail_renderer=JinjaMailRenderer(translations_dir=str(TRANSLATIONS)),
        mailer=FakeMailer(),
        passkeys=FakePasskeyRepository(store),
        challenges=FakeChallengeRepository(),
        ceremonies=passkey_ceremonies(settings),
        factors=FakeMfaRepository(store),
        otp=PyotpOneTimePasswords(),  # pure computation: the real one
        secret_box=secret_box(settings),
        security_events=FakeSecurityEvents(store, deliveries),
        new_device_mails=FakeNewDeviceMails(),
        oauth_clients=FakeOAuthClients(),
        oauth_grants=grants,
        grant_holders=FakeGrantHolders(grants, store),
        device_authorizations=FakeDeviceAuthorizations(grants),
        provider_tokens=provider_tokens(settings),  # pure computation: the real one
        upstream_providers=FakeUpstreamProviders(),
        upstream_client=AuthlibUpstreamClient(),  # no request until a provider is used
        webhook_endpoints=FakeWebhookEndpoints(),
        webhook_deliveries=deliveries,
        host_resolver=FakeHostResolver(),
        webhook_sender=FakeWebhookSender(),
        scheduler=FakeScheduler(),
    )
