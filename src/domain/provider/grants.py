"""The rules of firegate as an OpenID Connect provider (docs/reference/oauth.md): authorization
codes, grants and consents; the clients they are for are domain/clients'."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from domain.clients.oauth import digest

CODE_TTL = timedelta(minutes=5)
# A grant's last use is written at most this often: a token used each request costs no write
USE_NOTED_EVERY = timedelta(hours=1)


def session_sid(session_id: str) -> str:
    """OpenID Connect's ``sid`` of a browser session: stable for the session, and no handle
    on it (its id's SHA-256, cut to 128 bits): an ID token is no secret."""
    return digest("sid:" + session_id)[:32]


@dataclass(frozen=True)
class AuthorizationCode:
    """What a code stands for, stored under its hash; spent once (``spent``)."""

    hash: str
    client_id: str
    user_id: str
    grant_id: str
    redirect_uri: str
    scope: str
    code_challenge: str
    code_challenge_method: str
    created_at: datetime
    auth_time: datetime
    nonce: str | None = None
    resource: str | None = None
    amr: tuple[str, ...] = ()
    spent: bool = False
    dpop_jkt: str | None = None  # RFC 9449 §10: the key the exchange's proof must be of
    # The org the person picked for scope ``organization`` (docs/reference/oauth.md)
    org_id: str | None = None
    sid: str | None = None  # the browser session's ``sid`` (``session_sid``), for the ID token
    # The ``claims`` request's names (domain.provider.claims_request), within the scopes the
    # client may have: for the ID token, and for userinfo (kept by the grant)
    id_token_claims: tuple[str, ...] = ()
    userinfo_claims: tuple[str, ...] = ()
    # Support access: the admin acting as the person in the browser session, and that
    # session's end; its grant keeps both (docs/support-access.md)
    acting_admin_id: str | None = None
    acting_until: datetime | None = None

    @property
    def expires_at(self) -> datetime:
        """``CODE_TTL`` after it was made, and never after its session of support access."""
        ends = self.created_at + CODE_TTL
        return ends if self.acting_until is None else min(ends, self.acting_until)

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    def spend(self, client_id: str, now: datetime) -> CodeSpending:
        """A code is spent once, by the client it was given to, before it expires; spent, it
        reserves its grant. Presented again, it is a reuse: the grant it gave is revoked
        (RFC 6749 §4.1.2, RFC 9700 §4.2.4). A code of another client changes nothing."""
        if self.client_id != client_id:
            return CodeSpending("invalid", self)
        if self.spent:
            return CodeSpending("reused", self)
        if self.expired(now):
            return CodeSpending("invalid", self)
        return CodeSpending("spent", replace(self, spent=True), Grant.reserved_by(self, now))


SpendOutcome = Literal["spent", "reused", "invalid"]
RotateOutcome = Literal["rotated", "reused", "invalid"]


@dataclass(frozen=True)
class CodeSpending:
    """What presenting a code did: ``code`` as it is to be stored, and for "spent" the grant
    it reserves (to be created with the code's change, atomically)."""

    outcome: SpendOutcome
    code: AuthorizationCode
    reserved: Grant | None = None

    @property
    def revokes(self) -> str | None:
        """The grant a reused code revokes."""
        return self.code.grant_id if self.outcome == "reused" else None

    def issuing(
        self,
        token_version: int,
        refresh_hash: str | None,
        refresh_expires_at: datetime | None,
        dpop_jkt: str | None = None,
    ) -> CodeSpending:
        """The same spending, its grant giving its tokens at once (an exchange that passed
        every check): created issued, while the account's sessions are at ``token_version``,
        with its first refresh token's hash (bound to the DPoP key ``dpop_jkt``, if any)."""
        if self.reserved is None:
            return self
        issued = self.reserved.issuing(refresh_hash, refresh_expires_at, dpop_jkt)
        return replace(self, reserved=replace(issued, token_version=token_version))


@dataclass(frozen=True)
class Grant:
    """What a user let one client have, from one code: the refresh token chain (its current
    token's hash) and whether it still holds. It ends when revoked, and when every session of
    the account ends (``token_version`` moves: logout everywhere, disabling, a password
    reset; docs/decisions/0183-grants-end-with-sessions.md)."""

    id: str
    user_id: str
    client_id: str
    scope: str
    created_at: datetime
    token_version: int
    refresh_hash: str | None = None
    refresh_expires_at: datetime | None = None
    issued: bool = False  # tokens were given from it (a code only reserved it)
    revoked: bool = False
    resource: str | None = None  # the RFC 8707 resource authorized: its tokens' audience
    dpop_jkt: str | None = None  # its refresh tokens' DPoP key (RFC 9449 §5), if bound
    # The org its tokens act in (scope ``organization``), the membership read again at each
    org_id: str | None = None
    userinfo_claims: tuple[str, ...] = ()  # its code's ``claims`` request for userinfo
    sid: str | None = None  # its code's browser session (``session_sid``): back-channel logout
    # When a token of it was last used, to the hour (``use_to_note``): /account shows it
    last_used_at: datetime | None = None
    # Support access: the admin its tokens name in ``act``, and the end of the session of
    # support access its code came from, which it never outlives
    # (docs/decisions/0587-support-access-at-the-provider.md)
    acting_admin_id: str | None = None
    acting_until: datetime | None = None
    # The sign-in its first token was of, which its refreshed tokens keep (``amr``, and the
    # ``acr`` made of it; docs/reference/acr.md): its code's or its device request's
    auth_time: datetime | None = None
    amr: tuple[str, ...] = ()

    @staticmethod
    def reserved_by(code: AuthorizationCode, now: datetime) -> Grant:
        """The grant a code reserves when it is spent: nothing given from it yet."""
        return Grant(
            id=code.grant_id,
            user_id=code.user_id,
            client_id=code.client_id,
            scope=code.scope,
            created_at=now,
            token_version=0,
            resource=code.resource,
            org_id=code.org_id,
            userinfo_claims=code.userinfo_claims,
            sid=code.sid,
            acting_admin_id=code.acting_admin_id,
            acting_until=code.acting_until,
            auth_time=code.auth_time,
            amr=code.amr,
        )

    def live(self, token_version: int, now: datetime) -> bool:
        """Issued, not revoked, its account's sessions not ended since; a grant of support
        access only until its session's end (``acting_until``)."""
        return (
            self.issued
            and not self.revoked
            and token_version == self.token_version
            and not self.acted_out(now)
        )

    def acted_out(self, now: datetime) -> bool:
        """A grant of support access whose session has ended: none of its tokens is live."""
        return self.acting_until is not None and now >= self.acting_until

    def _within_acting(self, expires_at: datetime | None) -> datetime | None:
        """A refresh token's end, never past the session of support access's."""
        if self.acting_until is None or expires_at is None:
            return expires_at or self.acting_until
        return min(expires_at, self.acting_until)

    def use_to_note(self, now: datetime) -> bool:
        """Whether a use of its tokens at ``now`` is written down: at most once an
        ``USE_NOTED_EVERY`` (docs/decisions/0555-last-used-to-the-hour.md)."""
        return self.last_used_at is None or now - self.last_used_at >= USE_NOTED_EVERY

    def refresh_valid(self, presented_hash: str, now: datetime) -> bool:
        return (
            self.refresh_hash is not None
            and hmac.compare_digest(self.refresh_hash, presented_hash)
            and (self.refresh_expires_at is None or now < self.refresh_expires_at)
        )

    def issuing(
        self,
        refresh_hash: str | None,
        refresh_expires_at: datetime | None,
        dpop_jkt: str | None = None,
    ) -> Grant:
        return replace(
            self,
            issued=True,
            refresh_hash=refresh_hash,
            refresh_expires_at=self._within_acting(refresh_expires_at),
            dpop_jkt=dpop_jkt,
        )

    def refresh_key_holds(self, jkt: str | None) -> bool:
        """A refresh token bound to a DPoP key is used only with a proof of that key
        (RFC 9449 §5); an unbound one with any proof, or none."""
        if self.dpop_jkt is None:
            return True
        return jkt is not None and hmac.compare_digest(jkt, self.dpop_jkt)

    def rotated(
        self, presented_hash: str, successor_hash: str, expires_at: datetime, now: datetime
    ) -> Rotation:
        """The refresh token presented is replaced by its successor when it is the current one;
        an earlier (or expired) one is a reuse, which revokes the grant (RFC 9700 §4.14.2); a
        revoked grant, or one that never gave tokens, changes nothing."""
        if self.revoked or not self.issued:
            return Rotation("invalid", self)
        if not self.refresh_valid(presented_hash, now):
            return Rotation("reused", replace(self, revoked=True))
        return Rotation(
            "rotated",
            replace(
                self,
                refresh_hash=successor_hash,
                refresh_expires_at=self._within_acting(expires_at),
                last_used_at=now,
            ),
        )


@dataclass(frozen=True)
class Rotation:
    """What presenting a refresh token did: ``grant`` as it is to be stored."""

    outcome: RotateOutcome
    grant: Grant


@dataclass(frozen=True)
class Consent:
    """The scopes a user allowed a client, and the resources (RFC 8707) it may use them at;
    asked again for a scope or a resource outside them."""

    user_id: str
    client_id: str
    scopes: tuple[str, ...]
    at: datetime
    resources: tuple[str, ...] = ()

    def covers(self, scopes: tuple[str, ...], resource: str | None = None) -> bool:
        return set(scopes) <= set(self.scopes) and (resource is None or resource in self.resources)
