"""Codes and grants: a code saved and spent once, the grant it reserves, its refresh tokens
rotated, and whether it still holds (docs/reference/oauth.md, "Codes", "Refresh tokens")."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from application.accounts.accounts import UserRepository
from application.ports import Audit, AuditEvent, AuditLog, Clock
from application.provider.claims import enabled_account
from application.provider.ports import GrantHolders, GrantRead, OAuthGrants, OAuthPolicy
from domain.accounts.users import User
from domain.clients.oauth import digest
from domain.ids import is_id, new_id
from domain.provider.dpop import InvalidProof, Proof, SpentProof
from domain.provider.grants import AuthorizationCode, Grant


@dataclass(frozen=True)
class NewCode:
    code: str
    client_id: str
    user_id: str
    redirect_uri: str
    scope: str
    code_challenge: str
    code_challenge_method: str
    auth_time: datetime | None  # when the person signed in; None: unknown, so now
    nonce: str | None = None
    resource: str | None = None
    amr: tuple[str, ...] = ()
    dpop_jkt: str | None = None
    org_id: str | None = None  # scope ``organization``: the org the person picked
    sid: str | None = None  # the browser session's ``sid``
    id_token_claims: tuple[str, ...] = ()  # the ``claims`` request's, within the client's scopes
    userinfo_claims: tuple[str, ...] = ()
    # The browser session's acting admin (support access) and the session's end: the code's
    # grant names the admin in ``act`` and ends with the session (docs/support-access.md)
    acting_admin_id: str | None = None
    acting_until: datetime | None = None


@dataclass(frozen=True)
class SpendCode:
    code: str
    client_id: str


def _audit_reused_code(audit: AuditLog, user_id: str) -> None:
    audit.record(
        AuditEvent(Audit.OAUTH_REVOKED, user_id=user_id, reason="reused_code", outcome="failure")
    )


@dataclass(frozen=True)
class PresentedCode:
    """A code its client presented, unspent and in time, with its enabled account, as read:
    spent once the exchange has passed every check (``exchange_code``)."""

    code: AuthorizationCode
    client_id: str
    account: User


def new_code(user_id: str) -> str:
    """A code: the account's id, then 256 random bits, stored only as a hash; the exchange
    reads the code and its account in one round trip
    (docs/decisions/0269-a-code-names-its-account.md)."""
    random = secrets.token_urlsafe(32)
    return f"{user_id}.{random}" if is_id(user_id) else random


@dataclass(frozen=True)
class ExchangeCode:
    presented: PresentedCode
    with_refresh: bool
    dpop_jkt: str | None = None  # the DPoP key its refresh tokens are bound to, if any


@dataclass(frozen=True)
class Exchanged:
    refresh_token: str | None  # the grant's first, when asked for


def new_refresh_token(grant_id: str, user_id: str) -> str:
    """The grant's and the account's ids, then 256 random bits: both are read by key in one
    round trip, and the token is stored only as a hash
    (docs/decisions/0201-grant-and-account-read-together.md)."""
    holder = f"{grant_id}~{user_id}" if is_id(user_id) else grant_id
    return f"{holder}.{secrets.token_urlsafe(32)}"


def _ids_of(refresh_token: str) -> tuple[str, str | None]:
    """The grant's id, and the account's if the token names it (tokens made before it did
    name only the grant)."""
    grant_id, _, user_id = refresh_token.partition(".")[0].partition("~")
    return grant_id, user_id or None


@dataclass(frozen=True)
class FindRefresh:
    refresh_token: str
    client_id: str


def _audit_reuse(audit: AuditLog, grant: Grant) -> None:
    audit.record(
        AuditEvent(
            Audit.OAUTH_REVOKED,
            user_id=grant.user_id,
            reason="reused_refresh_token",
            outcome="failure",
        )
    )


@dataclass(frozen=True)
class RotateRefresh:
    grant_id: str
    user_id: str
    refresh_token: str
    proof: Proof | None = None  # the request's DPoP proof: spent in the rotation's commit
    # The grant as ``find_refresh`` read it: rotated from it, no second read while unchanged
    read: GrantRead | None = None


class UsedOnce(Protocol):
    """A value a client presents once: a DPoP proof (RFC 9449 §11.1), or any other whose
    second use is a replay (a signed assertion's ``jti``)."""

    def spent(self, now: datetime) -> SpentProof:
        """What is kept of it once used, and until when."""
        ...


@dataclass(frozen=True)
class SpendProof:
    proof: UsedOnce


@dataclass(frozen=True)
class GrantWithAccount:
    """A live grant and its account, as read together for the liveness check."""

    grant: Grant
    account: User
    read: GrantRead | None = None  # the grant with its version, when read for a rotation


def read_live_grant(
    grant_id: str,
    user_id: str | None,
    *,
    grants: OAuthGrants,
    users: UserRepository,
    holders: GrantHolders,
    jti: str | None = None,
    versioned: bool = False,
    now: datetime,
    agent_grants: tuple[str, ...] = (),
    used_at: datetime | None = None,
) -> GrantWithAccount | None:
    """The grant and its account while the grant holds: not revoked, its account there,
    enabled, its sessions not ended since; with ``jti``, an access token revoked by itself
    too (one from an exchange) is none. With the account's id known (an access token's
    ``sub``, a refresh token that names it), the grant, the account (and the token's
    revocation) are read in one round trip; a grant of another account than the one named is
    none. ``versioned``: the grant's version too, for a rotation to be written under. With
    ``agent_grants`` (a delegated token's, with its ``jti`` and account), the person's grant
    to each agent of its chain must hold too: read in the same round trip
    (docs/decisions/0553-act-chains-may-act-and-their-end.md). ``used_at``: a token of it is
    used now (introspection, userinfo, an exchange, an agent's custom token), written down at
    most once an hour (``Grant.use_to_note``). ``now``: a grant of support access holds
    only until its session's end (``Grant.live``)."""
    revoked, read = False, None
    if agent_grants and user_id is not None and jti is not None:
        grant, user, revoked, agents = holders.load_chain(grant_id, user_id, jti, agent_grants)
        if user is not None and not all(
            agent is not None and agent.user_id == user.id and agent.live(user.token_version, now)
            for agent in agents
        ):
            return None
    elif agent_grants:
        return None  # a chain is read with its account and jti, never without
    elif user_id is None:
        grant = grants.get(grant_id)
        user = users.get(grant.user_id) if grant is not None else None
        revoked = jti is not None and grants.token_revoked(jti)
    elif jti is not None:
        grant, user, revoked = holders.load_revocable(grant_id, user_id, jti)
    elif versioned:
        read, user = holders.load_versioned(grant_id, user_id)
        grant = read.grant if read is not None else None
    else:
        grant, user = holders.load(grant_id, user_id)
    if revoked or grant is None or user is None or user.id != grant.user_id or user.disabled:
        return None
    if not grant.live(user.token_version, now):
        return None
    if used_at is not None and grant.use_to_note(used_at):
        grants.note_use(grant.id, used_at)
    return GrantWithAccount(grant, user, read)


@dataclass(frozen=True)
class LiveGrant:
    grant_id: str
    user_id: str | None = None  # the account the token names, when it names one
    jti: str | None = None  # an access token revoked by itself too (from an exchange)


@dataclass(frozen=True)
class LiveRefresh:
    refresh_token: str


def live_refresh(
    cmd: LiveRefresh,
    *,
    grants: OAuthGrants,
    users: UserRepository,
    holders: GrantHolders,
    clock: Clock,
) -> Grant | None:
    """The live grant whose current refresh token this is (for introspection and
    revocation); None for an earlier one or any other string, with no side effect."""
    grant_id, user_id = _ids_of(cmd.refresh_token)
    now = clock.now()
    holding = read_live_grant(
        grant_id, user_id, grants=grants, users=users, holders=holders, now=now
    )
    if holding is None or not holding.grant.refresh_valid(digest(cmd.refresh_token), now):
        return None
    return holding.grant


@dataclass(frozen=True)
class RevokeGrant:
    grant_id: str
    client_id: str  # only the client the grant belongs to may revoke it (RFC 7009 §2.1)


@dataclass(frozen=True)
class RevokeClientToken:
    """An access token of a client's own (``client_credentials``), which no user's grant
    holds, or one from a token exchange, whose grant is the subject's: each is revoked by
    itself (docs/decisions/0225-a-clients-own-tokens.md)."""

    jti: str
    token_client_id: str  # the client the token was issued to
    client_id: str  # the client asking: only the token's own may revoke it (RFC 7009 §2.1)
    expires_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class CodesAndGrants:
    """A code saved and spent once, the grant it reserves, its refresh tokens rotated,
    whether it still holds, and its end by its client; ``holders`` reads a grant (or a
    code) and its account in one round trip, ``policy`` says how long refresh tokens
    live."""

    grants: OAuthGrants
    users: UserRepository
    holders: GrantHolders
    clock: Clock
    audit: AuditLog
    policy: OAuthPolicy

    def save_code(self, cmd: NewCode) -> None:
        now = self.clock.now()
        self.grants.add_code(
            AuthorizationCode(
                hash=digest(cmd.code),
                client_id=cmd.client_id,
                user_id=cmd.user_id,
                grant_id=new_id(),
                redirect_uri=cmd.redirect_uri,
                scope=cmd.scope,
                code_challenge=cmd.code_challenge,
                code_challenge_method=cmd.code_challenge_method,
                created_at=now,
                auth_time=cmd.auth_time or now,
                nonce=cmd.nonce,
                resource=cmd.resource,
                amr=cmd.amr,
                dpop_jkt=cmd.dpop_jkt,
                org_id=cmd.org_id,
                sid=cmd.sid,
                id_token_claims=cmd.id_token_claims,
                userinfo_claims=cmd.userinfo_claims,
                acting_admin_id=cmd.acting_admin_id,
                acting_until=cmd.acting_until if cmd.acting_admin_id is not None else None,
            )
        )

    def spend_code(self, cmd: SpendCode) -> AuthorizationCode | None:
        """The code's grant, once: a second use gets None and revokes what the first gave.
        What an exchange refused after finding its code calls too: a refused try burns the
        code (docs/decisions/0182-codes-spent-once.md)."""
        now = self.clock.now()
        spending = self.grants.spend_code(
            digest(cmd.code), lambda code: code.spend(cmd.client_id, now)
        )
        if spending is None:
            return None
        code = spending.code
        if spending.outcome == "reused":
            _audit_reused_code(self.audit, code.user_id)
            return None
        if spending.outcome != "spent" or enabled_account(code.user_id, users=self.users) is None:
            return None
        return code

    def present_code(self, cmd: SpendCode) -> PresentedCode | None:
        """The code an exchange may go on with, read and checked by the domain's rule without
        being stored; None for any other. A reuse, or a code whose account may not sign in,
        is stored at once as ``spend_code`` stores it (the reuse revokes its grant)."""
        users = self.users
        hashed, named = digest(cmd.code), cmd.code.partition(".")[0]
        if "." in cmd.code and is_id(named):  # the code and its account, in one read
            found, account = self.holders.load_code(hashed, named)
            if found is not None and found.user_id != named:  # not of this code's making
                account = users.get(found.user_id)
        else:  # a code made before codes named their account
            found = self.grants.get_code(hashed)
            account = users.get(found.user_id) if found is not None else None
        if found is None:
            return None
        outcome = found.spend(cmd.client_id, self.clock.now()).outcome
        if outcome == "invalid":
            return None
        if outcome == "spent" and account is not None and not account.disabled:
            return PresentedCode(found, cmd.client_id, account)
        self.spend_code(cmd)
        return None

    def exchange_code(self, cmd: ExchangeCode) -> Exchanged | None:
        """Spend the code, create its grant issued (with its first refresh token) and store
        its ``oauth.granted`` event, in one commit; None when another exchange spent the code
        first, which is then a reuse: it revokes what that one gave (docs/reference/oauth.md,
        "Codes"; docs/decisions/0254-a-code-exchange-in-one-commit.md)."""
        presented, audit = cmd.presented, self.audit
        code, account, client_id = presented.code, presented.account, presented.client_id
        now = self.clock.now()
        refresh = new_refresh_token(code.grant_id, account.id) if cmd.with_refresh else None
        hashed = digest(refresh) if refresh else None
        expires = now + self.policy.refresh_ttl if refresh else None
        staged = audit.stage(
            [AuditEvent(Audit.OAUTH_GRANTED, user_id=account.id, reason=client_id)]
        )
        spending = self.grants.spend_code(
            code.hash,
            lambda found: found.spend(client_id, now).issuing(
                account.token_version, hashed, expires, cmd.dpop_jkt
            ),
            staged,
            read=code,
        )
        if spending is not None and spending.outcome == "spent":
            audit.committed(staged)
            return Exchanged(refresh)
        if spending is not None and spending.outcome == "reused":
            _audit_reused_code(audit, code.user_id)
        return None

    def find_refresh(self, cmd: FindRefresh) -> GrantWithAccount | None:
        """The live grant whose current refresh token this is, with its account (read
        together, for the refresh grant's user too). An earlier token of a live grant is a
        reuse: the grant is revoked."""
        grant_id, user_id = _ids_of(cmd.refresh_token)
        holding = read_live_grant(
            grant_id,
            user_id,
            grants=self.grants,
            users=self.users,
            holders=self.holders,
            versioned=True,
            now=self.clock.now(),
        )
        if holding is None or holding.grant.client_id != cmd.client_id:
            return None
        grant = holding.grant
        if grant.refresh_valid(digest(cmd.refresh_token), self.clock.now()):
            return holding
        if grant.refresh_hash is not None and self.grants.revoke(grant.id):
            _audit_reuse(self.audit, grant)
        return None

    def rotate_refresh(self, cmd: RotateRefresh) -> str | None:
        """The grant's next refresh token; None when another use won (the grant is then
        revoked if the token was already spent)."""
        now = self.clock.now()
        successor = new_refresh_token(cmd.grant_id, cmd.user_id)
        presented, next_hash = digest(cmd.refresh_token), digest(successor)
        expires_at = now + self.policy.refresh_ttl
        spent = cmd.proof.spent(now) if cmd.proof is not None else None
        rotation = self.grants.rotate(
            cmd.grant_id,
            lambda grant: grant.rotated(presented, next_hash, expires_at, now),
            spent,
            read=cmd.read,
        )
        if rotation is not None and rotation.outcome == "rotated":
            return successor
        if rotation is not None and rotation.outcome == "reused":
            _audit_reuse(self.audit, rotation.grant)  # the grant as the reuse revoked it
        return None

    def spend_proof(self, cmd: SpendProof) -> None:
        """A DPoP proof, or any value used once, is kept in a store every instance shares;
        used again, it is ``InvalidProof``. A refresh spends its DPoP proof in its rotation's
        commit instead (``RotateRefresh.proof``)."""
        if not self.grants.spend_proof(cmd.proof.spent(self.clock.now())):
            raise InvalidProof("The DPoP proof was already used.")

    def live_grant(self, cmd: LiveGrant) -> GrantWithAccount | None:
        """The grant and its account while the grant holds (see ``read_live_grant``):
        userinfo's claims come from this account, read once."""
        now = self.clock.now()
        return read_live_grant(
            cmd.grant_id,
            cmd.user_id,
            grants=self.grants,
            users=self.users,
            holders=self.holders,
            jti=cmd.jti,
            used_at=now,
            now=now,
        )

    def revoke_grant(self, cmd: RevokeGrant) -> None:
        grant = self.grants.get(cmd.grant_id)
        if grant is None or grant.client_id != cmd.client_id:
            return
        if self.grants.revoke(grant.id):
            self.audit.record(
                AuditEvent(Audit.OAUTH_REVOKED, user_id=grant.user_id, reason="client_revoked")
            )

    def revoke_client_token(self, cmd: RevokeClientToken) -> None:
        if cmd.jti and cmd.client_id == cmd.token_client_id:
            self.grants.revoke_token(cmd.jti, cmd.client_id, cmd.expires_at)
