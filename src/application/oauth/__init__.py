"""firegate as an OpenID Connect provider: the use cases behind the protocol
(docs/reference/oauth.md). The protocol itself is Authlib's, in interfaces/oauth; what it
needs to know or keep (clients, codes, grants, consents, the user's claims) comes from here.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from application.identity.accounts import UserRepository
from application.identity.admin import require_admin
from application.identity.authentication import Actor
from application.identity.sessions import SessionRepository
from application.ports import Audit, AuditEvent, AuditLog, Clock
from domain.errors import NotFound
from domain.ids import is_id, new_id
from domain.oauth import (
    AuthorizationCode,
    CodeSpending,
    Consent,
    Grant,
    OAuthClient,
    Rotation,
    check_scopes,
    digest,
    scope_list,
)
from domain.users import User


class OAuthClients(Protocol):
    def add(self, client: OAuthClient) -> None:
        """Store a new client."""
        ...

    def get(self, client_id: str) -> OAuthClient | None:
        """The client, or None."""
        ...

    def list(self, limit: int) -> list[OAuthClient]:
        """Up to ``limit`` clients, oldest first."""
        ...

    def delete(self, client_id: str) -> bool:
        """Remove the client; False if there was none."""
        ...


class OAuthGrants(Protocol):
    def add_code(self, code: AuthorizationCode) -> None:
        """Store a code (by its hash)."""
        ...

    def spend_code(
        self, code_hash: str, spend: Callable[[AuthorizationCode], CodeSpending]
    ) -> CodeSpending | None:
        """Apply the pure ``spend`` to the code atomically and store what it gives (the spent
        code with the grant it reserves, or a reused code's grant revoked); None if there is
        no such code."""
        ...

    def issue(
        self,
        grant_id: str,
        token_version: int,
        refresh_hash: str | None,
        refresh_expires_at: datetime | None,
    ) -> bool:
        """Mark the reserved grant as having given tokens while the account's sessions are at
        ``token_version``; False if it was revoked meanwhile (its code reused)."""
        ...

    def rotate(self, grant_id: str, rotate: Callable[[Grant], Rotation]) -> Rotation | None:
        """Apply the pure ``rotate`` to the grant atomically and store the grant it gives
        (nothing for "invalid"); None if there is no such grant."""
        ...

    def get(self, grant_id: str) -> Grant | None:
        """The grant, or None."""
        ...

    def revoke(self, grant_id: str) -> bool:
        """Revoke the grant; False if it was absent or already revoked."""
        ...

    def revoke_token(self, jti: str, client_id: str, expires_at: datetime) -> None:
        """Revoke one access token that no user's grant holds (a client's own, by its
        ``jti``), until it expires; idempotent."""
        ...

    def token_revoked(self, jti: str) -> bool:
        """Whether that access token was revoked."""
        ...

    def list_for_user(self, user_id: str, limit: int) -> list[Grant]:
        """The user's grants, live or not, newest first."""
        ...

    def get_consent(self, user_id: str, client_id: str) -> Consent | None:
        """The scopes the user allowed the client, or None."""
        ...

    def put_consent(self, consent: Consent) -> None:
        """Remember (replace) the user's consent for the client."""
        ...

    def delete_consent(self, user_id: str, client_id: str) -> None:
        """Forget the user's consent for the client."""
        ...

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        """Delete the user's grants, codes and consents, in bounded batches; idempotent."""
        ...


class GrantHolders(Protocol):
    def load(self, grant_id: str, user_id: str) -> tuple[Grant | None, User | None]:
        """The grant and the account, in one read (each None where absent)."""
        ...


@dataclass(frozen=True)
class OAuthPolicy:
    refresh_ttl: timedelta = timedelta(days=30)
    client_cache_ttl: float = 5.0  # seconds a process reuses a client it read


class ClientCache:
    """``OAuthClients`` whose clients each process reuses for ``ttl`` seconds once read:
    client authentication and every token's liveness ask for them at each call. A deletion
    made through this process drops its copy at once; another process keeps its copy for up
    to ``ttl`` (docs/decisions/0200-oauth-client-cache.md). An absent client is never kept,
    so one made in another process is found at once."""

    MAX_KEPT = 1024

    def __init__(
        self, clients: OAuthClients, ttl: float, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._clients, self._ttl, self._monotonic = clients, ttl, monotonic
        self._lock = threading.Lock()
        self._kept: dict[str, tuple[OAuthClient, float]] = {}
        self._drops = 0  # a read that began before a drop keeps nothing

    def add(self, client: OAuthClient) -> None:
        self._clients.add(client)

    def get(self, client_id: str) -> OAuthClient | None:
        if self._ttl <= 0:
            return self._clients.get(client_id)
        now = self._monotonic()
        with self._lock:
            kept, drops = self._kept.get(client_id), self._drops
        if kept is not None and now - kept[1] < self._ttl:
            return kept[0]
        found = self._clients.get(client_id)
        with self._lock:
            if found is None:
                self._kept.pop(client_id, None)
            elif drops == self._drops:
                self._kept.pop(client_id, None)
                while len(self._kept) >= self.MAX_KEPT:
                    del self._kept[next(iter(self._kept))]  # the oldest read
                self._kept[client_id] = (found, now)
        return found

    def list(self, limit: int) -> list[OAuthClient]:
        return self._clients.list(limit)

    def delete(self, client_id: str) -> bool:
        self._drop(client_id)
        try:
            return self._clients.delete(client_id)
        finally:
            self._drop(client_id)

    def _drop(self, client_id: str) -> None:
        with self._lock:
            self._kept.pop(client_id, None)
            self._drops += 1


# -- clients


@dataclass(frozen=True)
class CreateClient:
    name: str
    redirect_uris: tuple[str, ...]
    confidential: bool = False
    scopes: tuple[str, ...] = ()
    post_logout_redirect_uris: tuple[str, ...] = ()
    dynamic: bool = False
    client_id: str | None = None  # one the caller drew (RFC 7591 answers it); else a new one
    resources: tuple[str, ...] = ()  # the resources its tokens may be for; none: any


@dataclass(frozen=True)
class CreatedClient:
    client: OAuthClient
    client_secret: str | None  # shown once; only its hash is stored


def create_client(cmd: CreateClient, *, clients: OAuthClients, clock: Clock) -> CreatedClient:
    secret = secrets.token_urlsafe(32) if cmd.confidential and not cmd.dynamic else None
    client = OAuthClient.new(
        client_id=cmd.client_id or new_client_id(),
        name=cmd.name,
        redirect_uris=cmd.redirect_uris,
        secret=secret,
        scopes=check_scopes(cmd.scopes),
        now=clock.now(),
        post_logout_redirect_uris=cmd.post_logout_redirect_uris,
        dynamic=cmd.dynamic,
        resources=cmd.resources,
    )
    clients.add(client)
    return CreatedClient(client, secret)


def new_client_id() -> str:
    """144 random bits, never starting with "-": an operator types it on the command line
    (``clients delete <id>``), where a leading dash reads as an option."""
    while True:
        client_id = secrets.token_urlsafe(18)
        if not client_id.startswith("-"):
            return client_id


def delete_client(client_id: str, *, clients: OAuthClients) -> None:
    if not clients.delete(client_id):
        raise NotFound("No such client.", code="client_not_found")


@dataclass(frozen=True)
class AdminClients:
    actor: Actor  # an admin (the /admin page)


MAX_CLIENTS_LISTED = 1000


def admin_list_clients(cmd: AdminClients, *, clients: OAuthClients) -> list[OAuthClient]:
    require_admin(cmd.actor)
    return clients.list(MAX_CLIENTS_LISTED)


@dataclass(frozen=True)
class AdminCreateClient:
    actor: Actor  # an admin (the /admin page)
    client: CreateClient


def admin_create_client(
    cmd: AdminCreateClient, *, clients: OAuthClients, clock: Clock
) -> CreatedClient:
    """``clients create`` for an admin: the same client, never a dynamic one."""
    require_admin(cmd.actor)
    made = replace(cmd.client, dynamic=False, client_id=None)
    return create_client(made, clients=clients, clock=clock)


@dataclass(frozen=True)
class AdminDeleteClient:
    actor: Actor
    client_id: str


def admin_delete_client(cmd: AdminDeleteClient, *, clients: OAuthClients) -> None:
    require_admin(cmd.actor)
    delete_client(cmd.client_id, clients=clients)


# -- consent


@dataclass(frozen=True)
class ConsentQuery:
    user_id: str
    client_id: str
    scope: str
    resource: str | None = None  # the RFC 8707 resource the app asks for


def consent_needed(cmd: ConsentQuery, *, grants: OAuthGrants) -> bool:
    found = grants.get_consent(cmd.user_id, cmd.client_id)
    return found is None or not found.covers(scope_list(cmd.scope), cmd.resource)


def remember_consent(cmd: ConsentQuery, *, grants: OAuthGrants, clock: Clock) -> None:
    found = grants.get_consent(cmd.user_id, cmd.client_id)
    scopes = scope_list(cmd.scope) + (found.scopes if found else ())
    resources = ((cmd.resource,) if cmd.resource else ()) + (found.resources if found else ())
    grants.put_consent(
        Consent(
            cmd.user_id,
            cmd.client_id,
            tuple(dict.fromkeys(scopes)),
            clock.now(),
            tuple(dict.fromkeys(resources)),
        )
    )


# -- codes and grants


@dataclass(frozen=True)
class NewCode:
    code: str
    client_id: str
    user_id: str
    redirect_uri: str
    scope: str
    code_challenge: str
    code_challenge_method: str
    auth_time: datetime
    nonce: str | None = None
    resource: str | None = None
    amr: tuple[str, ...] = ()


def save_code(cmd: NewCode, *, grants: OAuthGrants, clock: Clock) -> None:
    grants.add_code(
        AuthorizationCode(
            hash=digest(cmd.code),
            client_id=cmd.client_id,
            user_id=cmd.user_id,
            grant_id=new_id(),
            redirect_uri=cmd.redirect_uri,
            scope=cmd.scope,
            code_challenge=cmd.code_challenge,
            code_challenge_method=cmd.code_challenge_method,
            created_at=clock.now(),
            auth_time=cmd.auth_time,
            nonce=cmd.nonce,
            resource=cmd.resource,
            amr=cmd.amr,
        )
    )


@dataclass(frozen=True)
class SpendCode:
    code: str
    client_id: str


def spend_code(
    cmd: SpendCode, *, grants: OAuthGrants, users: UserRepository, clock: Clock, audit: AuditLog
) -> AuthorizationCode | None:
    """The code's grant, once: a second use gets None and revokes what the first gave."""
    now = clock.now()
    spending = grants.spend_code(digest(cmd.code), lambda code: code.spend(cmd.client_id, now))
    if spending is None:
        return None
    code = spending.code
    if spending.outcome == "reused":
        audit.record(
            AuditEvent(
                Audit.OAUTH_REVOKED, user_id=code.user_id, reason="reused_code", outcome="failure"
            )
        )
        return None
    if spending.outcome != "spent" or account(code.user_id, users=users) is None:
        return None
    return code


@dataclass(frozen=True)
class IssueGrant:
    grant_id: str
    user_id: str
    client_id: str
    with_refresh: bool


def issue_grant(
    cmd: IssueGrant,
    *,
    grants: OAuthGrants,
    users: UserRepository,
    clock: Clock,
    audit: AuditLog,
    policy: OAuthPolicy,
) -> str | None:
    """Tokens were given from the grant: its first refresh token (when asked for), or None.
    A grant its code's reuse revoked meanwhile (parallel exchanges of one code) gives none:
    the one exchange that spent the code is answered, with tokens that are already revoked
    (docs/reference/oauth.md, "Codes")."""
    user = account(cmd.user_id, users=users)
    if user is None:
        raise NotFound("The account is gone.", code="grant_revoked")
    refresh = _new_refresh_token(cmd.grant_id, user.id) if cmd.with_refresh else None
    expires = clock.now() + policy.refresh_ttl if refresh else None
    hashed = digest(refresh) if refresh else None
    if not grants.issue(cmd.grant_id, user.token_version, hashed, expires):
        return None
    audit.record(AuditEvent(Audit.OAUTH_GRANTED, user_id=cmd.user_id, reason=cmd.client_id))
    return refresh


def _new_refresh_token(grant_id: str, user_id: str) -> str:
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


def find_refresh(
    cmd: FindRefresh,
    *,
    grants: OAuthGrants,
    users: UserRepository,
    holders: GrantHolders,
    clock: Clock,
    audit: AuditLog,
) -> Grant | None:
    """The live grant whose current refresh token this is. An earlier token of a live grant
    is a reuse: the grant is revoked."""
    grant_id, user_id = _ids_of(cmd.refresh_token)
    holding = _live_grant(grant_id, user_id, grants=grants, users=users, holders=holders)
    if holding is None or holding.grant.client_id != cmd.client_id:
        return None
    grant = holding.grant
    if grant.refresh_valid(digest(cmd.refresh_token), clock.now()):
        return grant
    if grant.refresh_hash is not None and grants.revoke(grant.id):
        _audit_reuse(audit, grant)
    return None


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


def rotate_refresh(
    cmd: RotateRefresh, *, grants: OAuthGrants, clock: Clock, audit: AuditLog, policy: OAuthPolicy
) -> str | None:
    """The grant's next refresh token; None when another use won (the grant is then revoked
    if the token was already spent)."""
    now = clock.now()
    successor = _new_refresh_token(cmd.grant_id, cmd.user_id)
    presented, next_hash = digest(cmd.refresh_token), digest(successor)
    expires_at = now + policy.refresh_ttl
    rotation = grants.rotate(
        cmd.grant_id, lambda grant: grant.rotated(presented, next_hash, expires_at, now)
    )
    outcome = rotation.outcome if rotation is not None else "invalid"
    if outcome == "rotated":
        return successor
    if outcome == "reused":
        grant = grants.get(cmd.grant_id)
        if grant is not None:
            _audit_reuse(audit, grant)
    return None


@dataclass(frozen=True)
class Holding:
    """A live grant and its account, as read together for the liveness check."""

    grant: Grant
    account: User


def _live_grant(
    grant_id: str,
    user_id: str | None,
    *,
    grants: OAuthGrants,
    users: UserRepository,
    holders: GrantHolders,
) -> Holding | None:
    """The grant and its account while the grant holds: not revoked, its account there,
    enabled, its sessions not ended since. With the account's id known (an access token's
    ``sub``, a refresh token that names it), the grant and the account are read in one round
    trip; a grant of another account than the one named is none."""
    if user_id is None:
        grant = grants.get(grant_id)
        user = users.get(grant.user_id) if grant is not None else None
    else:
        grant, user = holders.load(grant_id, user_id)
    if grant is None or user is None or user.id != grant.user_id or user.disabled:
        return None
    return Holding(grant, user) if grant.live(user.token_version) else None


@dataclass(frozen=True)
class LiveGrant:
    grant_id: str
    user_id: str | None = None  # the account the token names, when it names one


def live_grant(
    cmd: LiveGrant, *, grants: OAuthGrants, users: UserRepository, holders: GrantHolders
) -> Holding | None:
    """The grant and its account while the grant holds (see ``_live_grant``): userinfo's
    claims come from this account, read once."""
    return _live_grant(cmd.grant_id, cmd.user_id, grants=grants, users=users, holders=holders)


def live_refresh(
    refresh_token: str,
    *,
    grants: OAuthGrants,
    users: UserRepository,
    holders: GrantHolders,
    clock: Clock,
) -> Grant | None:
    """The live grant whose current refresh token this is (for introspection and
    revocation); None for an earlier one or any other string, with no side effect."""
    grant_id, user_id = _ids_of(refresh_token)
    holding = _live_grant(grant_id, user_id, grants=grants, users=users, holders=holders)
    if holding is None or not holding.grant.refresh_valid(digest(refresh_token), clock.now()):
        return None
    return holding.grant


@dataclass(frozen=True)
class RevokeGrant:
    grant_id: str
    client_id: str  # only the client the grant belongs to may revoke it (RFC 7009 §2.1)


def revoke_grant(cmd: RevokeGrant, *, grants: OAuthGrants, audit: AuditLog) -> None:
    grant = grants.get(cmd.grant_id)
    if grant is None or grant.client_id != cmd.client_id:
        return
    if grants.revoke(grant.id):
        audit.record(
            AuditEvent(Audit.OAUTH_REVOKED, user_id=grant.user_id, reason="client_revoked")
        )


@dataclass(frozen=True)
class RevokeClientToken:
    """An access token of a client's own (``client_credentials``): no user's grant holds it,
    so it is revoked by itself (docs/decisions/0225-a-clients-own-tokens.md)."""

    jti: str
    token_client_id: str  # the client the token was issued to
    client_id: str  # the client asking: only the token's own may revoke it (RFC 7009 §2.1)
    expires_at: datetime


def revoke_client_token(cmd: RevokeClientToken, *, grants: OAuthGrants) -> None:
    if cmd.jti and cmd.client_id == cmd.token_client_id:
        grants.revoke_token(cmd.jti, cmd.client_id, cmd.expires_at)


# -- the account's "apps with access"


@dataclass(frozen=True)
class AppAccess:
    client_id: str
    name: str
    scopes: tuple[str, ...]
    granted_at: datetime


MAX_GRANTS_LISTED = 100


def list_apps(
    actor: Actor, *, grants: OAuthGrants, clients: OAuthClients, users: UserRepository
) -> list[AppAccess]:
    # The account as authenticate() read it for this request, else read now.
    user = actor.user if actor.user is not None else users.get(actor.user_id)
    version = user.token_version if user is not None else -1
    apps: dict[str, AppAccess] = {}
    for grant in grants.list_for_user(actor.user_id, MAX_GRANTS_LISTED):
        client = clients.get(grant.client_id)
        if client is None or not grant.live(version):
            continue
        known = apps.get(client.client_id)
        scopes = scope_list(grant.scope) + (known.scopes if known else ())
        first = min(grant.created_at, known.granted_at) if known else grant.created_at
        apps[client.client_id] = AppAccess(
            client.client_id, client.name, tuple(dict.fromkeys(scopes)), first
        )
    return sorted(apps.values(), key=lambda app: app.granted_at, reverse=True)


@dataclass(frozen=True)
class RevokeApp:
    actor: Actor
    client_id: str


def revoke_app(cmd: RevokeApp, *, grants: OAuthGrants, audit: AuditLog) -> None:
    """End every grant the user gave the client, and forget the consent."""
    ended = 0
    for grant in grants.list_for_user(cmd.actor.user_id, MAX_GRANTS_LISTED):
        if grant.client_id == cmd.client_id and grants.revoke(grant.id):
            ended += 1
    grants.delete_consent(cmd.actor.user_id, cmd.client_id)
    if ended:
        audit.record(
            AuditEvent(
                Audit.OAUTH_REVOKED,
                user_id=cmd.actor.user_id,
                session_id=cmd.actor.session_id,
                reason="user_revoked",
            )
        )


# -- who the user is, to a client


def claims_of(user: User, scope: str) -> dict[str, object]:
    """The claims the scopes allow (OpenID Connect Core §5.4; ``roles`` is firegate's)."""
    scopes = scope_list(scope)
    claims: dict[str, object] = {"sub": user.id}
    if "profile" in scopes:
        claims["preferred_username"] = user.username.value
        full = " ".join(part for part in (user.name, user.last_name) if part)
        if full:
            claims["name"] = full
        if user.name:
            claims["given_name"] = user.name
        if user.last_name:
            claims["family_name"] = user.last_name
        if user.locale:
            claims["locale"] = user.locale
        claims["updated_at"] = int(user.updated_at.timestamp())
    if "email" in scopes and user.email is not None:
        claims["email"] = user.email.value
        claims["email_verified"] = user.email_verified
    if "roles" in scopes:
        claims["roles"] = [user.role.value]
    return claims


def authenticated_at(actor: Actor, *, sessions: SessionRepository) -> datetime | None:
    """When the browser's session began: the user's authentication time (``auth_time``)."""
    session = sessions.get(actor.session_id)
    return session.created_at if session is not None else None


@dataclass(frozen=True)
class SignInAge:
    actor: Actor
    max_age: int  # seconds (OpenID Connect's ``max_age``)


def signed_in_too_long_ago(cmd: SignInAge, *, sessions: SessionRepository, clock: Clock) -> bool:
    """Whether the browser's sign-in is older than ``max_age`` (or unknown)."""
    began = authenticated_at(cmd.actor, sessions=sessions)
    return began is None or (clock.now() - began).total_seconds() > cmd.max_age


def account(user_id: str, *, users: UserRepository) -> User | None:
    user = users.get(user_id)
    return user if user is not None and not user.disabled else None


# -- wiring (docs/decisions/0042-wiring-per-feature.md) -------------------------------------


class OAuthPorts(Protocol):
    @property
    def oauth_clients(self) -> OAuthClients: ...
    @property
    def oauth_grants(self) -> OAuthGrants: ...
    @property
    def grant_holders(self) -> GrantHolders: ...
    @property
    def users(self) -> UserRepository: ...
    @property
    def sessions(self) -> SessionRepository: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def audit(self) -> AuditLog: ...


class OAuthPolicies(Protocol):
    @property
    def oauth_policy(self) -> OAuthPolicy: ...


@dataclass(frozen=True)
class OAuthServices:
    create_client: Callable[[CreateClient], CreatedClient]
    list_clients: Callable[[], list[OAuthClient]]
    delete_client: Callable[[str], None]
    admin_list_clients: Callable[[AdminClients], list[OAuthClient]]
    admin_create_client: Callable[[AdminCreateClient], CreatedClient]
    admin_delete_client: Callable[[AdminDeleteClient], None]
    client: Callable[[str], OAuthClient | None]
    consent_needed: Callable[[ConsentQuery], bool]
    remember_consent: Callable[[ConsentQuery], None]
    save_code: Callable[[NewCode], None]
    spend_code: Callable[[SpendCode], AuthorizationCode | None]
    issue_grant: Callable[[IssueGrant], str | None]
    find_refresh: Callable[[FindRefresh], Grant | None]
    rotate_refresh: Callable[[RotateRefresh], str | None]
    live_grant: Callable[[LiveGrant], Holding | None]
    live_refresh: Callable[[str], Grant | None]
    revoke_grant: Callable[[RevokeGrant], None]
    revoke_client_token: Callable[[RevokeClientToken], None]
    client_token_revoked: Callable[[str], bool]
    list_apps: Callable[[Actor], list[AppAccess]]
    revoke_app: Callable[[RevokeApp], None]
    account: Callable[[str], User | None]
    authenticated_at: Callable[[Actor], datetime | None]
    signed_in_too_long_ago: Callable[[SignInAge], bool]


def bind(ports: OAuthPorts, policies: OAuthPolicies) -> OAuthServices:
    clock, audit, policy = ports.clock, ports.audit, policies.oauth_policy
    clients = ClientCache(ports.oauth_clients, policy.client_cache_ttl)
    grants, users, holders = ports.oauth_grants, ports.users, ports.grant_holders
    return OAuthServices(
        create_client=lambda cmd: create_client(cmd, clients=clients, clock=clock),
        list_clients=lambda: clients.list(MAX_CLIENTS_LISTED),
        delete_client=lambda client_id: delete_client(client_id, clients=clients),
        admin_list_clients=lambda cmd: admin_list_clients(cmd, clients=clients),
        admin_create_client=lambda cmd: admin_create_client(cmd, clients=clients, clock=clock),
        admin_delete_client=lambda cmd: admin_delete_client(cmd, clients=clients),
        client=clients.get,
        consent_needed=lambda cmd: consent_needed(cmd, grants=grants),
        remember_consent=lambda cmd: remember_consent(cmd, grants=grants, clock=clock),
        save_code=lambda cmd: save_code(cmd, grants=grants, clock=clock),
        spend_code=lambda cmd: spend_code(
            cmd, grants=grants, users=users, clock=clock, audit=audit
        ),
        issue_grant=lambda cmd: issue_grant(
            cmd, grants=grants, users=users, clock=clock, audit=audit, policy=policy
        ),
        find_refresh=lambda cmd: find_refresh(
            cmd, grants=grants, users=users, holders=holders, clock=clock, audit=audit
        ),
        rotate_refresh=lambda cmd: rotate_refresh(
            cmd, grants=grants, clock=clock, audit=audit, policy=policy
        ),
        live_grant=lambda cmd: live_grant(cmd, grants=grants, users=users, holders=holders),
        live_refresh=lambda token: live_refresh(
            token, grants=grants, users=users, holders=holders, clock=clock
        ),
        revoke_grant=lambda cmd: revoke_grant(cmd, grants=grants, audit=audit),
        revoke_client_token=lambda cmd: revoke_client_token(cmd, grants=grants),
        client_token_revoked=grants.token_revoked,
        list_apps=lambda actor: list_apps(actor, grants=grants, clients=clients, users=users),
        revoke_app=lambda cmd: revoke_app(cmd, grants=grants, audit=audit),
        account=lambda user_id: account(user_id, users=users),
        authenticated_at=lambda actor: authenticated_at(actor, sessions=ports.sessions),
        signed_in_too_long_ago=lambda cmd: signed_in_too_long_ago(
            cmd, sessions=ports.sessions, clock=clock
        ),
    )
