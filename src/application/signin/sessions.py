"""Session use cases: refresh-token rotation, renewal, logout, the session list."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from application.accounts.accounts import UserRepository as Users
from application.accounts.admin import target_of
from application.ports import NO_WRITES, Audit, AuditEvent, AuditLog, Clock, StagedWrites
from application.signin.authentication import Actor
from application.signin.ports import NO_TOKEN_HOOK, ActiveOrgs, TokenHook, TokenIssuer
from application.signin.tokens import (
    TokenPair,
    TokenPolicy,
    access_claims,
    hash_refresh_secret,
    hook_claims,
    token_pair,
)
from domain.accounts.guest.part import GUEST_TTL
from domain.accounts.users import User
from domain.errors import DomainError, NotFound, Unauthenticated
from domain.hooks.before_token import TokenKind
from domain.ids import is_id
from domain.signin.active_org import ActiveOrg
from domain.signin.claims.sources import ClaimSources
from domain.signin.sessions import Session
from domain.slots import Slot

log = logging.getLogger("firegate.sessions")


@dataclass(frozen=True)
class SessionRead:
    """A session as read, with the store's version of it (opaque): a change built from it
    is written only while the session is still that version."""

    session: Session
    version: object


class SessionRepository(Protocol):
    def add(self, session: Session, staged: StagedWrites = NO_WRITES) -> None:
        """Store a new session, and what ``staged`` writes, in one commit."""
        ...

    def get(self, session_id: str) -> Session | None:
        """The session with this id, or None."""
        ...

    def read(self, session_id: str) -> SessionRead | None:
        """The session with this id and its version, or None."""
        ...

    def read_with_account(
        self, session_id: str, user_id: str
    ) -> tuple[SessionRead | None, User | None]:
        """``read``, and the account ``user_id`` names, in one round trip (a refresh token
        that names its account)."""
        ...

    def update(
        self,
        session_id: str,
        change: Callable[[Session], Session],
        *,
        read: SessionRead | None = None,
    ) -> Session | None:
        """Apply a pure ``change`` atomically and return the result; None if absent. Built
        first from ``read`` when given (no second read while the session is unchanged);
        only the fields the change changes are written."""
        ...

    def set_org(self, session_id: str, org_id: str | None, now: datetime) -> bool:
        """The session acts in ``org_id`` (None: in none) from now on, written without a
        read; False when the session is gone."""
        ...

    def revoke(self, session_id: str, now: datetime) -> None:
        """Mark one session revoked (idempotent)."""
        ...

    def delete(self, session_id: str) -> None:
        """Remove one session (idempotent)."""
        ...

    def list_for_user(self, user_id: str, limit: int) -> list[Session]:
        """Up to ``limit`` sessions of the user, any state."""
        ...

    def delete_for_user(self, user_id: str) -> None:
        """Remove every session of the user, in bounded batches."""
        ...


# fullmatch, never match: "$" also matches before a final newline. "{sid}.{secret}" is the
# untagged format, still accepted until it rotates; "{sid}.{secret}.{generation}.{tag}" the
# tagged one (docs/decisions/0070-one-refresh-chain.md), and ".{account}" after it names the
# session's account (docs/decisions/0588-a-refresh-token-names-its-account.md).
_REFRESH_TOKEN = re.compile(
    r"([A-Za-z0-9_-]{8,64})\.([A-Za-z0-9_-]{32,128})"
    r"(?:\.(0|[1-9][0-9]{0,8})\.([A-Za-z0-9_-]{22})(?:\.([A-Za-z0-9_-]{1,64}))?)?"
)
_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")


def _session_id(value: str) -> bool:
    """Could ``value`` be a session id we made? (Before it names a document.)"""
    return _SESSION_ID.fullmatch(value) is not None and is_id(value)


@dataclass(frozen=True)
class AccessToken:
    access_token: str
    expires_in: int
    token_type: str = "bearer"


@dataclass(frozen=True)
class Refresh:
    refresh_token: str


@dataclass(frozen=True)
class Renew:
    actor: Actor


@dataclass(frozen=True)
class Logout:
    actor: Actor
    everywhere: bool  # every session of the user, not only the caller's


@dataclass(frozen=True)
class ListSessions:
    actor: Actor


@dataclass(frozen=True)
class EndSession:
    actor: Actor
    session_id: str


@dataclass(frozen=True)
class EndUserSessions:
    """An admin ends every session of an account."""

    actor: Actor
    user_id: str


@dataclass(frozen=True)
class EndOtherSessions:
    actor: Actor


def _invalid_refresh() -> Unauthenticated:
    return Unauthenticated("The refresh token is not valid.", code="invalid_refresh_token")


def session_access_token(
    actor: Actor,
    session: Session,
    org: ActiveOrg | None,
    *,
    tokens: TokenIssuer,
    now: datetime,
    sources: ClaimSources,
    hook: TokenHook = NO_TOKEN_HOOK,
    kind: TokenKind = "refresh_access",
) -> AccessToken:
    """A new access token of the caller's session naming ``org``, never past the session's
    expiry (401 once the session has expired), with the claim ``sources``' claims and those
    ``hook`` adds to a token of ``kind``."""
    person = actor.user or {"id": actor.user_id, "username": actor.username, "role": actor.role}
    added = hook_claims(hook, kind, person, reserved=sources.reserved, session=session, org=org)
    access = tokens.issue_access(
        user_id=actor.user_id,
        role=actor.role,
        session_id=session.id,
        now=now,
        not_after=session.expires_at,
        amr=session.amr,
        org=org,
        claims=access_claims(sources, actor.user, session, added),
    )
    expires_in = int((access.expires_at - now).total_seconds())
    if expires_in <= 0:
        raise Unauthenticated("The session has expired.", code="invalid_token")
    return AccessToken(access_token=access.token, expires_in=expires_in)


def end_every_session(
    user_id: str, *, users: Users, sessions: SessionRepository, clock: Clock
) -> None:
    """Every session of the user stops working at once (its owner's logout everywhere, an
    admin's "end sessions")."""
    now = clock.now()
    users.update(user_id, lambda u: u.ending_all_sessions(now))  # atomic cut-off
    sessions.delete_for_user(user_id)  # housekeeping; already unusable


MAX_SESSIONS_LISTED = 100


def _account_as_listed(actor: Actor, listed: list[Session], users: Users) -> User:
    """The account whose token version ``listed`` is checked against. The one authenticate()
    read for this request serves while the caller's own session, as listed, is still at its
    version: a change since that kept the caller's session (ending the others, a new password
    or second factor) moved that session to the new version, so the account is read again."""
    user = actor.user
    own = next((s for s in listed if s.id == actor.session_id), None)
    if user is None or own is None or own.token_version != user.token_version:
        user = users.get(actor.user_id)
    if user is None:
        raise Unauthenticated("The account no longer exists.", code="invalid_token")
    return user


@dataclass(frozen=True, kw_only=True, slots=True)
class Sessions:
    """The use cases of a signed-in user's sessions: refresh-token rotation, renewal,
    logout, the session list, ending one or all of them (docs/reference/sessions.md).
    ``hook``: the ``before_token`` hook, asked for every access token made here."""

    users: Users
    sessions: SessionRepository
    tokens: TokenIssuer
    clock: Clock
    policy: TokenPolicy
    audit: AuditLog
    orgs: ActiveOrgs
    hook: TokenHook = NO_TOKEN_HOOK
    guest_ttl: timedelta = GUEST_TTL  # a guest's use moves its expiry on (GUEST_TTL)

    def refreshing(self, cmd: Refresh) -> str | None:
        """The session a refresh token proves it was issued for, by its tag alone, nothing
        read: whom its refresh counts against in the request limits (docs/security.md); None
        for a token without a tag that checks out."""
        match = _REFRESH_TOKEN.fullmatch(cmd.refresh_token)
        if match is None or not _session_id(match[1]):
            return None
        session_id, secret, generation, tag, _ = match.groups()
        proven = self.policy.proven_generation(session_id, secret, generation, tag)
        return None if proven is None else session_id

    def refresh(self, cmd: Refresh) -> TokenPair:
        """Rotate: a new pair for the same session; the presented refresh token is spent.
        The session's active org stays (its access token names it, with the roles stored
        now), unless the membership ended: the new access token then names none.

        The successor is derived from the presented token, so parallel refreshes with one
        token all get the same one while it is current and the token was spent within
        ``policy.refresh_grace``; any other reuse is a replay and revokes the whole session.
        A token's tag proves its generation, so a replay is recognised however old the token
        is; a forged tag costs one HMAC and is a plain 401.
        """
        policy, sessions = self.policy, self.sessions
        match = _REFRESH_TOKEN.fullmatch(cmd.refresh_token)
        if match is None or not _session_id(match[1]):
            raise _invalid_refresh()
        session_id, secret, claimed_generation, tag, account = match.groups()
        read, user = self._read_for_refresh(session_id, account)
        session = read.session if read is not None else None
        now = self.clock.now().replace(microsecond=0)
        if (
            session is None
            or user is None
            or not user.active
            or not session.valid_for(user.id, user.token_version, now)
        ):
            raise _invalid_refresh()
        generation = policy.proven_generation(session_id, secret, claimed_generation, tag)
        if tag is not None and generation is None:
            raise _invalid_refresh()  # a made-up tag or generation: never a replay or a refresh
        presented = hash_refresh_secret(secret)
        successor_secret = policy.successor_secret(secret)
        successor = hash_refresh_secret(successor_secret)
        after = sessions.update(
            session_id,
            lambda s: s.refreshed(
                presented=presented,
                successor=successor,
                now=now,
                grace=policy.refresh_grace,
                idle_timeout=policy.refresh_ttl,
                generation=generation,
            ),
            read=read,
        )
        if after is None or after.revoked_at is not None or after.refresh_hashes != (successor,):
            if after is not None and after.revoked_at == now:  # this call found the replay
                self.audit.record(
                    AuditEvent(
                        Audit.REFRESH_TOKEN_REUSE,
                        outcome="failure",
                        user_id=session.user_id,
                        session_id=session.id,
                        reason="reused_refresh_token",
                    )
                )
                raise Unauthenticated(
                    "This refresh token was already used; the session has been ended.",
                    code="refresh_token_reused",
                )
            raise _invalid_refresh()
        self._note_guest_use(user, now)
        org = self.orgs.member_org(after.org_id, user.id) if after.org_id is not None else None
        return token_pair(
            user,
            after,
            successor_secret,
            tokens=self.tokens,
            now=now,
            policy=policy,
            org=org,
            claims=hook_claims(
                self.hook,
                "refresh_access",
                user,
                reserved=policy.claims.reserved,
                session=after,
                org=org,
            ),
        )

    def _read_for_refresh(
        self, session_id: str, account: str | None
    ) -> tuple[SessionRead | None, User | None]:
        """The session and its account: in one round trip when the token names the account
        (a token that names another is refused by ``valid_for``, as the session's own
        account is not it); else the session first, then the account it names."""
        if account is not None and is_id(account):
            return self.sessions.read_with_account(session_id, account)
        read = self.sessions.read(session_id)
        user = self.users.get(read.session.user_id) if read is not None else None
        return read, user

    def _note_guest_use(self, user: User, now: datetime) -> None:
        """A guest's refresh moves its expiry on, written at most once a day
        (docs/decisions/0558-a-guests-expiry-and-its-sweep.md); a write that fails leaves it
        to the next refresh."""
        ttl = self.guest_ttl
        if user.guest_use_to_note(now, ttl) is None:
            return
        try:
            self.users.update(user.id, lambda u: u.guest_use_to_note(now, ttl) or u)
        except DomainError as error:
            log.warning("a guest's use not noted (%s)", type(error).__name__)

    def renew(self, cmd: Renew) -> AccessToken:
        """A fresh access token for the caller's session, never past the session's expiry."""
        actor = cmd.actor
        now = self.clock.now().replace(microsecond=0)
        session = self.sessions.update(actor.session_id, lambda s: s.touched(now))
        if session is None:
            raise Unauthenticated("The session has ended.", code="invalid_token")
        # the org read with the account in this request: the token names it while it stands
        org = actor.org if actor.org is not None and actor.org.id == session.org_id else None
        return session_access_token(
            actor,
            session,
            org,
            tokens=self.tokens,
            now=now,
            sources=self.policy.claims,
            hook=self.hook,
        )

    def logout(self, cmd: Logout) -> None:
        """End the caller's session, or (``everywhere``) every session of the user, at once."""
        actor, everywhere = cmd.actor, cmd.everywhere
        if everywhere:
            end_every_session(
                actor.user_id, users=self.users, sessions=self.sessions, clock=self.clock
            )
        else:
            self.sessions.delete(actor.session_id)
        self.audit.record(
            AuditEvent(
                Audit.LOGOUT,
                user_id=actor.user_id,
                session_id=actor.session_id,
                reason="all_sessions" if everywhere else "this_session",
            )
        )

    def end_for_user(self, cmd: EndUserSessions) -> None:
        """An admin's "end sessions": every session of the account ends at once, as its
        owner's logout everywhere does."""
        user = target_of(cmd.actor, cmd.user_id, self.users)
        end_every_session(user.id, users=self.users, sessions=self.sessions, clock=self.clock)
        self.audit.record(
            AuditEvent(
                Audit.LOGOUT, user_id=user.id, actor_id=cmd.actor.user_id, reason="all_sessions"
            )
        )

    def list(self, cmd: ListSessions) -> list[Session]:
        """The user's active sessions, most recently used first."""
        actor = cmd.actor
        listed = self.sessions.list_for_user(actor.user_id, limit=1000)
        user = _account_as_listed(actor, listed, self.users)
        now = self.clock.now()
        active = [
            s
            for s in listed
            if s.valid_for(user.id, user.token_version, now)
            and not s.idle(now, self.policy.refresh_ttl)
        ]
        active.sort(key=lambda s: s.last_used_at, reverse=True)
        return active[:MAX_SESSIONS_LISTED]

    def end(self, cmd: EndSession) -> None:
        """End one of the caller's own sessions; another user's is 'not found'. Recorded as
        the end of that session (``session.ended``, reason ``one_session``): the apps holding
        grants of it are told (back-channel logout, docs/reference/oauth.md)."""
        session_id = cmd.session_id
        session = self.sessions.get(session_id) if _session_id(session_id) else None
        if session is None or session.user_id != cmd.actor.user_id:
            raise NotFound("No such session.", code="session_not_found")
        self.sessions.delete(session_id)
        self.audit.record(
            AuditEvent(
                Audit.LOGOUT, user_id=cmd.actor.user_id, session_id=session_id, reason="one_session"
            )
        )

    def end_others(self, cmd: EndOtherSessions) -> None:
        """The account page's "end all others": every session of the caller's but this one,
        at once: the others were minted at the version this bumps, and this one moves to the
        new version in the same commit. The ended ones are unusable at once; the
        sessions' TTL reaps them."""
        actor = cmd.actor
        now = self.clock.now()
        self.users.update(
            actor.user_id, lambda u: u.ending_all_sessions(now), keep_session=actor.session_id
        )
        self.audit.record(
            AuditEvent(
                Audit.LOGOUT,
                user_id=actor.user_id,
                session_id=actor.session_id,
                reason="other_sessions",
            )
        )


@dataclass(frozen=True, kw_only=True)
class SigninStores:
    """What sign-in offers a unit built on the core's data (support access starts sessions
    of a person), through the kernel once the core is bound (``kernel.offered(SIGNIN_STORES)``,
    bootstrap/unit.py): the accounts, sign-in's sessions, access tokens and token policy (the
    claims the units lend among it)."""

    users: Users
    sessions: SessionRepository
    tokens: TokenIssuer
    token_policy: TokenPolicy


SIGNIN_STORES = Slot[SigninStores]("sign-in's stores")
