"""The provider's clients: made on the command line, by registration (RFC 7591) or by an
admin on /admin; listed and deleted (docs/reference/oauth.md, "Clients")."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace

from application.accounts.admin import require_admin
from application.accounts.authentication import Actor
from application.ports import Clock
from application.provider.ports import OAuthClients
from domain.errors import NotFound
from domain.provider.oauth import OAuthClient, check_scopes


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
    ] = ()  # opt-in grants (domain.provider.oauth.OPT_IN_GRANTS), names or URIs
    dpop_bound_access_tokens: bool = False  # its tokens always DPoP-bound (RFC 9449 §5.2)


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
        grants=cmd.grants,
        dpop_bound_access_tokens=cmd.dpop_bound_access_tokens,
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


@dataclass(frozen=True)
class DeleteClient:
    client_id: str


def delete_client(cmd: DeleteClient, *, clients: OAuthClients) -> None:
    if not clients.delete(cmd.client_id):
        raise NotFound("No such client.", code="client_not_found")


@dataclass(frozen=True)
class FindClient:
    client_id: str


def find_client(cmd: FindClient, *, clients: OAuthClients) -> OAuthClient | None:
    """The client, or None (read through the process's copies: ``ClientCache``)."""
    return clients.get(cmd.client_id)


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
    delete_client(DeleteClient(cmd.client_id), clients=clients)
