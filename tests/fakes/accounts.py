"""Fakes of the accounts' ports: the users, their personal tokens and the breached passwords."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Literal

from application.accounts.breached import BreachCheckFailed
from application.accounts.challenge_gate import Verdict
from application.accounts.profile_schema import ProfileSchemas
from application.ports import NO_WRITES, StagedWrites
from domain.accounts.guest.part import Guest
from domain.accounts.identities import PhoneNumber
from domain.accounts.users import Role, User, holding
from domain.errors import Conflict, NotFound
from domain.provider.claims_request import CLAIM_SCOPES
from domain.signin.personal_tokens import PersonalToken
from infrastructure.re2_patterns import re2_matcher
from tests.fakes.claims import CLAIMS
from tests.fakes.kernel import InMemoryStore


def _email_key(user: User) -> str | None:
    return user.email.normalized if user.email is not None else None


def _name_key(user: User) -> str | None:
    """The username's claim key; None for a guest, which claims no name."""
    return user.username.normalized if user.username is not None else None


class FakeUserRepository:
    def __init__(self, store: InMemoryStore | None = None) -> None:
        self.store = store or InMemoryStore()

    def check_claims(self, user: User) -> None:
        """Conflict when another account holds the new account's username or address."""
        s = self.store
        with s.lock:
            if _name_key(user) in s.usernames:
                raise Conflict(
                    "This username is already registered.", code="username_taken", field="username"
                )
            if user.email is not None and user.email.normalized in s.emails:
                raise Conflict(
                    "This email is already registered.", code="email_taken", field="email"
                )
            number = user.part(PhoneNumber).proven
            if number is not None and number in s.phone_numbers:
                raise Conflict(
                    "This phone number is already registered.",
                    code="phone_number_taken",
                    field="phone_number",
                )

    def add(self, user: User, staged: StagedWrites = NO_WRITES) -> None:
        s = self.store
        with s.lock:
            self.check_claims(user)
            s.users[user.id] = user
            if user.username is not None:
                s.usernames[user.username.normalized] = user.id
            if user.email is not None:
                s.emails[user.email.normalized] = user.id
            number = user.part(PhoneNumber).proven
            if number is not None:
                s.phone_numbers[number] = user.id
            s.commit_staged(staged)  # one commit with the account, as in Firestore

    def get(self, user_id: str) -> User | None:
        return self.store.users.get(user_id)

    def get_many(self, user_ids: Sequence[str]) -> dict[str, User]:
        users = self.store.users
        return {user_id: users[user_id] for user_id in user_ids if user_id in users}

    def find_by_login(self, key: str) -> User | None:
        claims = self.store.emails if "@" in key else self.store.usernames
        user = self.store.users.get(claims.get(key, ""))
        return holding(user if user is not None and user.deleted_at is None else None, key)

    def find_by_phone_number(self, number: str) -> User | None:
        user = self.store.users.get(self.store.phone_numbers.get(number, ""))
        if user is None or user.deleted_at is not None or user.part(PhoneNumber).proven != number:
            return None
        return user

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
                (s.usernames, _name_key(old), _name_key(new), "username"),
                (s.emails, _email_key(old), _email_key(new), "email"),
                (
                    s.phone_numbers,
                    old.part(PhoneNumber).proven,
                    new.part(PhoneNumber).proven,
                    "phone_number",
                ),
            ]
            for claims, before, after, field in moves:
                if before != after and after is not None and after in claims:
                    said = field.replace("_", " ")
                    raise Conflict(
                        f"This {said} is already registered.", code=f"{field}_taken", field=field
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
            found = _email_key(user) if "@" in prefix else _name_key(user)
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
                (s.usernames, _name_key(user)),
                (s.emails, _email_key(user)),
                (s.phone_numbers, user.part(PhoneNumber).proven),
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

    def expired_guests(self, now: datetime, limit: int) -> list[str]:
        expired: list[tuple[datetime, str]] = []
        for user in self.store.users.values():
            guest = user.part(Guest)
            if guest.is_guest and guest.expires_at is not None and guest.expires_at <= now:
                expired.append((guest.expires_at, user.id))
        return [user_id for _, user_id in sorted(expired)][:limit]

    def pending_deletions(self, limit: int) -> list[str]:
        return [u.id for u in self.store.users.values() if u.deleted_at is not None][:limit]


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

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        with self.store.lock:
            for token in [t for t in self.store.personal_tokens.values() if t.org_id == org_id]:
                del self.store.personal_tokens[token.id]


class FakeSpentChallenges:
    """Challenge tokens presented, by hash: the first caller wins."""

    def __init__(self) -> None:
        self.spent: dict[str, datetime] = {}

    def spend(self, token_hash: str, expires_at: datetime) -> bool:
        return self.spent.setdefault(token_hash, expires_at) is expires_at


class FakeChallengeVerifier:
    """A provider that knows ``valid`` tokens (for any action), or cannot be reached, or
    says ``said`` of every token (a low score, an answer that is no verdict)."""

    def __init__(
        self, valid: Sequence[str] = (), *, reachable: bool = True, said: Verdict | None = None
    ) -> None:
        self.valid = set(valid)
        self.reachable = reachable
        self.said = said
        self.asked: list[tuple[str, str, str]] = []  # (token, action, remote_ip)

    def verify(self, token: str, *, action: str, remote_ip: str) -> Verdict:
        self.asked.append((token, action, remote_ip))
        if not self.reachable:
            return Verdict.UNREACHABLE
        if self.said is not None:
            return self.said
        return Verdict.VALID if token in self.valid else Verdict.INVALID


class FakeBreachedPasswords:
    """The breached passwords as a dict of password → times seen; ``failing`` makes every
    check fail as a slow or dead range API would (BreachCheckFailed with that outcome)."""

    def __init__(self, seen: dict[str, int] | None = None) -> None:
        self.seen: dict[str, int] = dict(seen or {})
        self.failing: Literal["timeout", "error"] | None = None
        self.checks = 0

    def seen_at_least(self, password: str, times: int) -> bool:
        self.checks += 1
        if self.failing is not None:
            raise BreachCheckFailed(self.failing, "the fake range API fails")
        return self.seen.get(password, 0) >= times


class FakeProfileSchemaStore:
    """The stored profile schema, kept as the Firestore adapter keeps it: its JSON text."""

    def __init__(self) -> None:
        self._text: str | None = None

    def get(self) -> Mapping[str, object] | None:
        if self._text is None:
            return None
        document: dict[str, object] = json.loads(self._text)
        return document

    def put(self, document: Mapping[str, object]) -> None:
        self._text = json.dumps(document)


def profile_schemas(
    store: FakeProfileSchemaStore | None = None, pinned: Mapping[str, object] | None = None
) -> ProfileSchemas:
    """The schemas as the app binds them (the provider's scopes and claims), over ``store``."""
    return ProfileSchemas(
        store=store or FakeProfileSchemaStore(),
        pinned=pinned,
        scopes=CLAIM_SCOPES,
        claims=CLAIMS.reserved,  # the token frame's and the claim sources'
        patterns=re2_matcher,
    )
