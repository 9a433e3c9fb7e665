"""Login sessions: one per login, referenced by access tokens (``sid``) and refresh tokens.

Refresh tokens rotate on every use. A token's successor is derived from it, so every caller
that presents one token gets the same successor, and a session recognises its current
token's predecessor by that alone: the predecessor presented inside the grace window after
its rotation (parallel refreshes of one client) gets that successor again; any other reuse
revokes the session. One chain stays live, never a fork.

The session also counts its rotations. Every refresh token carries the count at which it
was issued (its generation) under a server MAC, so any older token of the chain proves it
is spent, however long ago, and its replay revokes the session. What a session keeps for
this does not grow with its rotations: the current hash, the count, when it last rotated,
and the last token spent without a generation (docs/decisions/0070-one-refresh-chain.md,
docs/decisions/0250-refresh-in-one-read-and-a-small-write.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import MappingProxyType

from domain.errors import PermissionDenied


@dataclass(frozen=True)
class Acting:
    """Who acts in a session for the person, where someone else does (support access,
    docs/decisions/0765-support-access-is-a-unit.md): the admin (their id, and their username
    as the banner names them), and the org whose admin began it, where one did."""

    admin_id: str
    admin_name: str
    org_id: str | None = None


@dataclass(frozen=True)
class Session:
    id: str
    user_id: str
    token_version: int
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    refresh_hashes: tuple[str, ...]
    user_agent: str = ""
    revoked_at: datetime | None = None
    # How the user proved who they are when the session began (RFC 8176 values, e.g. "pwd",
    # "otp"); every access token of the session carries it (docs/reference/sessions.md).
    amr: tuple[str, ...] = ()
    # Rotations so far: the generation of the current refresh token (the first one is 0).
    rotations: int = 0
    # When the current refresh token became current (None: never rotated): its predecessor
    # gets it again until the grace window after this has passed.
    rotated_at: datetime | None = None
    # The hash of the last token presented without a generation (the ``{sid}.{secret}``
    # form) and spent: nothing else could prove it spent once its successor rotates too.
    spent_untagged: str | None = None
    # Hashes of spent tokens (and when) that sessions stored before 0250 listed; read to
    # recognise their replays, never written again (docs/decisions/0250-...).
    spent_before: tuple[tuple[str, datetime], ...] = ()
    # The org the session acts in (POST /auth/org), at most one; None: the person's own
    # account. Refreshes keep it; each request still reads the membership
    # (docs/reference/orgs.md, "The active organization").
    org_id: str | None = None
    # The claims the before_sign_in hooks gave the session: every token of the session
    # carries them (docs/hooks.md, "before_sign_in").
    claims: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    # The admin acting as the person (support access, docs/support-access.md): every token
    # of the session names them in ``act`` (RFC 8693); None: the person's own session.
    acting_admin_id: str | None = None
    # The admin's username when the session began, which its pages' banner shows.
    acting_admin_name: str = ""
    # The org whose admin began it, where one did: the session acts in no other
    # (docs/support-access.md, "In an organization").
    acting_org_id: str | None = None

    @classmethod
    def start(
        cls,
        *,
        id: str,
        user_id: str,
        token_version: int,
        refresh_hash: str,
        now: datetime,
        lifetime: timedelta,
        user_agent: str = "",
        amr: tuple[str, ...] = (),
        claims: Mapping[str, object] | None = None,
        acting_admin_id: str | None = None,
        acting_admin_name: str = "",
        acting_org_id: str | None = None,
    ) -> Session:
        return cls(
            id=id,
            user_id=user_id,
            token_version=token_version,
            created_at=now,
            last_used_at=now,
            expires_at=now + lifetime,
            refresh_hashes=(refresh_hash,),
            user_agent=user_agent[:256],
            amr=amr,
            claims=MappingProxyType(dict(claims or {})),
            acting_admin_id=acting_admin_id,
            acting_admin_name=acting_admin_name if acting_admin_id is not None else "",
            acting_org_id=acting_org_id if acting_admin_id is not None else None,
        )

    @property
    def impersonated(self) -> bool:
        """Is someone else (an admin, for support) acting as the person in this session?"""
        return self.acting_admin_id is not None

    def may_act_in(self, org_id: str, *, org_allows: bool) -> bool:
        """``check_acting_in`` as a yes or no."""
        try:
            self.check_acting_in(org_id, org_allows=org_allows)
        except PermissionDenied:
            return False
        return True

    def check_acting_in(self, org_id: str, *, org_allows: bool) -> None:
        """May this session act in the org ``org_id``? The person's own: wherever they are a
        member. One of support access: only where the org lets anyone act as its members
        (``org_allows``, its ``impersonation`` setting, read as the request reads the org:
        403 ``org_forbids_impersonation``), and, where an org's admin began it, in that org
        alone (403 ``impersonation_bound_to_org``) (docs/support-access.md, "In an
        organization")."""
        if not self.impersonated:
            return
        if self.acting_org_id is not None and self.acting_org_id != org_id:
            raise PermissionDenied(
                "This session of support access acts only in the organization that began it.",
                code="impersonation_bound_to_org",
            )
        if not org_allows:
            raise PermissionDenied(
                "This organization does not let anyone act as its members.",
                code="org_forbids_impersonation",
            )

    def valid_for(self, user_id: str, token_version: int, now: datetime) -> bool:
        """Still usable by this user: not revoked, not expired, not ended by a version bump."""
        return (
            self.user_id == user_id
            and self.revoked_at is None
            and self.token_version == token_version
            and now < self.expires_at
        )

    def signed_in_within(self, max_age: timedelta, now: datetime) -> bool:
        """Were the credentials checked at most ``max_age`` ago? A session's sign-in is its
        only check: a refresh proves the token, not the person."""
        return now - self.created_at <= max_age

    def idle(self, now: datetime, idle_timeout: timedelta) -> bool:
        return now - self.last_used_at > idle_timeout

    def revoked(self, now: datetime) -> Session:
        return replace(self, revoked_at=now)

    def in_org(self, org_id: str | None, now: datetime) -> Session:
        """The session acting in ``org_id`` (None: in no org) from now on."""
        return replace(self, org_id=org_id, last_used_at=now)

    def touched(self, now: datetime) -> Session:
        return replace(self, last_used_at=now)

    def refreshed(
        self,
        *,
        presented: str,
        successor: str,
        now: datetime,
        grace: timedelta,
        idle_timeout: timedelta,
        generation: int | None = None,
    ) -> Session:
        """The session after presenting refresh-token hash ``presented``, whose successor
        (derived from the token itself) hashes to ``successor``. ``generation`` is the
        rotation count at which the presented token was issued, when the token proves it
        (its MAC checked out); None when it cannot.

        - a current token: rotated — ``successor`` is the only valid token;
        - the current token's predecessor (its successor is current) less than ``grace``
          after that rotation: unchanged (the caller gets that successor again: parallel
          refreshes share one chain); later, a replay: the session is revoked;
        - a token of an earlier generation, however long ago it was spent, or a spent one
          the session remembers by its hash: a replay, revoked too;
        - anything else, or an unusable session: unchanged (the caller answers 401).
        """
        if not self.active(now, idle_timeout):
            return self
        if presented in self.refresh_hashes:
            return replace(
                self,
                refresh_hashes=(successor,),
                last_used_at=now,
                rotations=self.rotations + 1,
                rotated_at=now,
                spent_untagged=presented if generation is None else self.spent_untagged,
            )
        if self.refresh_hashes == (successor,):
            rotated_at = self.last_rotated_at()
            if rotated_at is not None and now - rotated_at <= grace:
                return self
            return self.revoked(now)
        earlier = generation is not None and generation < self.rotations
        return self.revoked(now) if earlier or self.remembers_spent(presented) else self

    def remembers_spent(self, presented: str) -> bool:
        """A spent token's hash this session keeps: the last one spent without a generation,
        or one of those a session stored before 0250 listed."""
        return presented == self.spent_untagged or any(h == presented for h, _ in self.spent_before)

    def last_rotated_at(self) -> datetime | None:
        """When the current token became current; for a session stored before
        ``rotated_at`` was kept, when its newest listed token was spent."""
        if self.rotated_at is not None:
            return self.rotated_at
        return max((at for _, at in self.spent_before), default=None)

    def active(self, now: datetime, idle_timeout: timedelta) -> bool:
        return (
            self.revoked_at is None and now < self.expires_at and not self.idle(now, idle_timeout)
        )
