"""The provider's clients: made on the command line, by registration (RFC 7591), by an
admin on /admin or by an org's admins for their org; listed and deleted
(docs/reference/oauth.md, "Clients"; docs/reference/orgs.md, "Apps and tokens of an org")."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace

from application.accounts.admin import require_admin
from application.clients.api_resources import CatalogueCache
from application.clients.ports import OAuthClients
from application.orgs.orgs import member_view
from application.orgs.ports import OrgRepository
from application.ports import Clock
from application.signin.authentication import Actor
from domain.clients.oauth import OAuthClient, check_scopes
from domain.errors import InvalidInput, NotFound
from domain.orgs.roles import Permission


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
    grants: tuple[
        str, ...
    ] = ()  # opt-in grants (domain.clients.oauth.OPT_IN_GRANTS), names or URIs
    dpop_bound_access_tokens: bool = False  # its tokens always DPoP-bound (RFC 9449 §5.2)
    org_id: str | None = None  # the org that owns it (``create_org_client``); None: none
    pkce_required: bool = True  # False: a confidential client that may go without PKCE
    resource_scopes: tuple[str, ...] = ()  # API resources' scopes it may ask for (at them)
    par_required: bool = False  # its authorization requests only through /oauth/par
    agent: bool = False  # an agent: its tokens are a delegation's actor tokens
    # private_key_jwt (RFC 7523): its public keys (a JWK Set), or where it publishes them;
    # such a client is confidential and gets no secret
    jwks: object = None
    jwks_uri: str | None = None
    backchannel_logout_uri: str | None = None  # Back-Channel Logout 1.0 §2.2
    backchannel_logout_session_required: bool = False
    operator_made: bool = False  # by the operator (the command line, /admin)
    # An org's client: for the org's members only (the default); the service's never is
    members_only: bool = True
    # Its native apps: iOS App IDs (TEAMID.bundle.id), Android package:SHA256-fingerprint
    ios_apps: tuple[str, ...] = ()
    android_apps: tuple[str, ...] = ()


@dataclass(frozen=True)
class CreatedClient:
    client: OAuthClient
    client_secret: str | None  # shown once; only its hash is stored


def new_client_id() -> str:
    """144 random bits, never starting with "-": an operator types it on the command line
    (``clients delete <id>``), where a leading dash reads as an option."""
    while True:
        client_id = secrets.token_urlsafe(18)
        if not client_id.startswith("-"):
            return client_id


@dataclass(frozen=True)
class DeleteClient:
    client_id: str


def no_such_client() -> NotFound:
    return NotFound("No such client.", code="client_not_found")


@dataclass(frozen=True)
class FindClient:
    client_id: str


@dataclass(frozen=True)
class AdminClients:
    actor: Actor  # an admin (the /admin page)


MAX_CLIENTS_LISTED = 1000


@dataclass(frozen=True)
class AdminCreateClient:
    actor: Actor  # an admin (the /admin page)
    client: CreateClient


@dataclass(frozen=True)
class AdminDeleteClient:
    actor: Actor
    client_id: str


# -- an org's own clients (docs/reference/orgs.md, "Apps and tokens of an org") -----------------


@dataclass(frozen=True)
class CreateOrgClient:
    actor: Actor  # an admin of the org
    org: str  # its id or slug
    client: CreateClient


@dataclass(frozen=True)
class OperatorOrgClient:
    """``clients create --org``: the operator registers an app for an org."""

    org: str  # its id or slug
    client: CreateClient


@dataclass(frozen=True)
class OrgClients:
    actor: Actor
    org: str


MAX_ORG_CLIENTS_LISTED = 200


@dataclass(frozen=True)
class EditOrgClient:
    """An org's admins' change of one of its apps: what is None is kept."""

    actor: Actor
    org: str
    client_id: str
    name: str | None = None
    redirect_uris: tuple[str, ...] | None = None
    members_only: bool | None = None


@dataclass(frozen=True)
class DeleteOrgClient:
    actor: Actor
    org: str
    client_id: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ClientRegistry:
    """The provider's clients: the operator's, the ones registered (RFC 7591), an admin's
    and an org's own; ``clients`` is this process's copies of them (``ClientCache``),
    ``catalogue`` the registered API resources a client's scopes are checked against,
    ``orgs`` whose admins manage an org's own clients."""

    clients: OAuthClients
    orgs: OrgRepository
    catalogue: CatalogueCache
    clock: Clock

    def create_client(self, cmd: CreateClient) -> CreatedClient:
        """A new client; its resource scopes are registered resources' (of its resources,
        when it is limited to some). One with public keys (private_key_jwt) gets no
        secret."""
        allowed: tuple[str, ...] = ()
        if cmd.org_id is not None and cmd.resources:
            self.catalogue.catalogue().check_org_resources(cmd.resources, cmd.org_id)
        if cmd.resource_scopes:
            known = self.catalogue.catalogue()
            allowed = known.check_allowance(cmd.resource_scopes, cmd.resources, cmd.org_id)
        keyed = cmd.jwks is not None or cmd.jwks_uri is not None
        confidential = cmd.confidential and not (cmd.dynamic or keyed)
        secret = secrets.token_urlsafe(32) if confidential else None
        client = OAuthClient.new(
            client_id=cmd.client_id or new_client_id(),
            name=cmd.name,
            redirect_uris=cmd.redirect_uris,
            secret=secret,
            scopes=check_scopes(cmd.scopes),
            now=self.clock.now(),
            post_logout_redirect_uris=cmd.post_logout_redirect_uris,
            dynamic=cmd.dynamic,
            resources=cmd.resources,
            grants=cmd.grants,
            dpop_bound_access_tokens=cmd.dpop_bound_access_tokens,
            org_id=cmd.org_id,
            pkce_required=cmd.pkce_required,
            resource_scopes=allowed,
            par_required=cmd.par_required,
            agent=cmd.agent,
            jwks=cmd.jwks,
            jwks_uri=cmd.jwks_uri,
            backchannel_logout_uri=cmd.backchannel_logout_uri,
            backchannel_logout_session_required=cmd.backchannel_logout_session_required,
            operator_made=cmd.operator_made,
            members_only=cmd.members_only,
            ios_apps=cmd.ios_apps,
            android_apps=cmd.android_apps,
        )
        self.clients.add(client)
        return CreatedClient(client, secret)

    def list_clients(self) -> list[OAuthClient]:
        """The first ``MAX_CLIENTS_LISTED`` clients (``clients list``)."""
        return self.clients.list(MAX_CLIENTS_LISTED)

    def delete_client(self, cmd: DeleteClient) -> None:
        if not self.clients.delete(cmd.client_id):
            raise no_such_client()

    def client(self, cmd: FindClient) -> OAuthClient | None:
        """The client, or None (read through the process's copies: ``ClientCache``)."""
        return self.clients.get(cmd.client_id)

    def admin_list_clients(self, cmd: AdminClients) -> list[OAuthClient]:
        require_admin(cmd.actor)
        return self.clients.list(MAX_CLIENTS_LISTED)

    def admin_create_client(self, cmd: AdminCreateClient) -> CreatedClient:
        """``clients create`` for an admin: the same client, never a dynamic one."""
        require_admin(cmd.actor)
        made = replace(cmd.client, dynamic=False, client_id=None, operator_made=True)
        return self.create_client(made)

    def admin_delete_client(self, cmd: AdminDeleteClient) -> None:
        require_admin(cmd.actor)
        self.delete_client(DeleteClient(cmd.client_id))

    # -- an org's own clients (docs/reference/orgs.md, "Apps and tokens of an org")

    def create_org_client(self, cmd: CreateOrgClient) -> CreatedClient:
        """``clients create`` for an org's admins: the same client, owned by the org (its own
        tokens carry ``org_id``; it ends with the org), with what the operator allows the
        org: resources and their scopes only of API resources that allow it, no opt-in grant
        (docs/decisions/0452-an-orgs-app-gets-what-the-operator-allows.md). 404
        ``org_not_found`` unless a member, 403 ``org_permission_denied`` unless an admin, 422
        ``resource_not_allowed``, ``grant_needs_operator``."""
        seen = member_view(cmd.actor, cmd.org, orgs=self.orgs, permission=Permission.MANAGE_ORG)
        if cmd.client.grants:
            raise InvalidInput.field(
                "grants",
                "An organization's app gets token exchange or the device flow only from the "
                "service's operator ('clients create --org').",
                "grant_needs_operator",
            )
        made = replace(
            cmd.client, dynamic=False, client_id=None, org_id=seen.org.id, operator_made=False
        )
        return self.create_client(made)

    def create_operator_org_client(self, cmd: OperatorOrgClient) -> CreatedClient:
        """An org's app made by the operator (``clients create --org``): owned by the org as
        one its admins make, and the opt-in grants it is given are its to use (the operator
        allows them); its resources and their scopes still only those that allow the org.
        404 ``org_not_found``."""
        org = self.orgs.find(cmd.org)
        if org is None:
            raise NotFound("No such organization.", code="org_not_found")
        made = replace(cmd.client, dynamic=False, client_id=None, org_id=org.id, operator_made=True)
        return self.create_client(made)

    def org_clients(self, cmd: OrgClients) -> list[OAuthClient]:
        """The org's clients, oldest first (admins)."""
        seen = member_view(cmd.actor, cmd.org, orgs=self.orgs, permission=Permission.MANAGE_ORG)
        return self.clients.list_for_org(seen.org.id, MAX_ORG_CLIENTS_LISTED)

    def edit_org_client(self, cmd: EditOrgClient) -> OAuthClient:
        """Change the name, redirect URIs or ``members_only`` of one of the org's apps
        (admins); other processes see it within ``OAUTH_CLIENT_CACHE_TTL``. Another org's
        app, or the service's, is 404 ``client_not_found``."""
        seen = member_view(cmd.actor, cmd.org, orgs=self.orgs, permission=Permission.MANAGE_ORG)

        def edit(client: OAuthClient) -> OAuthClient:
            if client.org_id != seen.org.id:
                raise no_such_client()
            return client.edited(
                name=cmd.name, redirect_uris=cmd.redirect_uris, members_only=cmd.members_only
            )

        edited = self.clients.update(cmd.client_id, edit)
        if edited is None:
            raise no_such_client()
        return edited

    def delete_org_client(self, cmd: DeleteOrgClient) -> None:
        """Remove one of the org's clients (admins), as ``clients delete`` does: its tokens
        stop working. Another org's client, or the service's, is 404 ``client_not_found``."""
        seen = member_view(cmd.actor, cmd.org, orgs=self.orgs, permission=Permission.MANAGE_ORG)
        client = self.clients.get(cmd.client_id)
        if client is None or client.org_id != seen.org.id:
            raise no_such_client()
        self.delete_client(DeleteClient(client.client_id))

    def registered_by(self, client: OAuthClient) -> str | None:
        """The name of the org that registered ``client``, which the consent and device pages
        say ("registered by Acme": never as if the service's own); None for the service's
        own client (or an org gone since)."""
        if client.org_id is None:
            return None
        org = self.orgs.get(client.org_id)
        return org.name if org is not None else None
