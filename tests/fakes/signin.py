"""Fakes of the sign-in ports: sessions and the principals a token names, the login's
throttle and reads, the second factor, passkeys and their challenges, the flows of sign-in
by a code (in ``signin_codes.py``)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from application.ports import NO_WRITES, StagedWrites
from application.signin.login import LoginRecords
from application.signin.sessions import SessionRead
from application.signin.throttle import Reservation
from domain.accounts.users import User
from domain.errors import Conflict, NotFound
from domain.hooks.before_token import TokenHookRequest
from domain.signin.active_org import ActiveOrg
from domain.signin.mfa import MfaChallenge, TotpFactor
from domain.signin.passkeys import Challenge, Passkey
from domain.signin.personal_tokens import PersonalToken
from domain.signin.sessions import Session
from domain.signin.throttling import FailureRecord, ThrottleRule, refusal, released
from tests.fakes.kernel import InMemoryStore
from tests.fakes.signin_codes import FakeEmailCodeFlows

__all__ = ["FakeEmailCodeFlows"]  # by the name the contract test imports it


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

    def read_with_account(
        self, session_id: str, user_id: str
    ) -> tuple[SessionRead | None, User | None]:
        with self.store.lock:  # one read of both, as Firestore's batch read
            return self.read(session_id), self.store.users.get(user_id)

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

    def set_org(self, session_id: str, org_id: str | None, now: datetime) -> bool:
        with self.store.lock:
            session = self.store.sessions.get(session_id)
            if session is not None:
                self.store.sessions[session_id] = session.in_org(org_id, now)
            return session is not None

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


class FakePrincipals:
    def __init__(self, store: InMemoryStore) -> None:
        self.store = store

    def load(self, user_id: str, session_id: str) -> tuple[User | None, Session | None]:
        return self.store.users.get(user_id), self.store.sessions.get(session_id)

    def load_with_factor(
        self, user_id: str, session_id: str
    ) -> tuple[User | None, Session | None, TotpFactor | None]:
        return (*self.load(user_id, session_id), self.store.factors.get(user_id))

    def load_in_org(
        self, user_id: str, session_id: str, org_id: str, *, factor: bool
    ) -> tuple[User | None, Session | None, TotpFactor | None, ActiveOrg | None]:
        user, session, stored = self.load_with_factor(user_id, session_id)
        org = FakeActiveOrgs(self.store).member_org(org_id, user_id)
        return user, session, stored if factor else None, org

    def load_personal(
        self, user_id: str, token_id: str
    ) -> tuple[User | None, PersonalToken | None]:
        return self.store.users.get(user_id), self.store.personal_tokens.get(token_id)

    def load_personal_in_org(
        self, user_id: str, token_id: str, org_id: str
    ) -> tuple[User | None, PersonalToken | None, ActiveOrg | None]:
        org = FakeActiveOrgs(self.store).member_org(org_id, user_id)
        return (*self.load_personal(user_id, token_id), org)


class FakeActiveOrgs:
    """A person's memberships of live orgs as the per-request check sees them:
    ``store.active_orgs[(org_id, user_id)]``; a test removes one, or replaces it with other
    roles and the next version, as the org repository's commits do."""

    def __init__(self, store: InMemoryStore) -> None:
        self.store = store

    def member_org(self, id_or_slug: str, user_id: str) -> ActiveOrg | None:
        with self.store.lock:
            for (org_id, member), org in self.store.active_orgs.items():
                if member == user_id and id_or_slug in (org_id, org.slug):
                    return org
        return None

    def orgs_of(self, user_id: str, limit: int) -> list[ActiveOrg]:
        with self.store.lock:
            mine = [org for (_, member), org in self.store.active_orgs.items() if member == user_id]
        return sorted(mine, key=lambda org: org.slug)[:limit]


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

    def create(self, factor: TotpFactor) -> bool:
        with self.store.lock:
            if factor.user_id in self.store.factors:
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


class FakeTokenHook:
    """A ``before_token`` hook that answers ``claims`` to every request and keeps the
    requests it was asked, in order."""

    def __init__(self, claims: Mapping[str, object] | None = None) -> None:
        self.claims: Mapping[str, object] = claims if claims is not None else {}
        self.asked: list[TokenHookRequest] = []

    def before_token(self, request: TokenHookRequest) -> Mapping[str, object]:
        self.asked.append(request)
        return self.claims
