"""``clients create``, ``list`` and ``delete``: the apps that sign in with firegate, the
OpenID provider's clients."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from application.provider.clients import CreateClient, DeleteClient
from domain.errors import DomainError
from domain.provider.oauth import OPT_IN_GRANTS, SCOPES, OAuthClient
from interfaces.cli.acting import fail
from interfaces.shared.services import services


def _client_json(client: OAuthClient) -> dict[str, object]:
    return {
        "client_id": client.client_id,
        "name": client.name,
        "redirect_uris": list(client.redirect_uris),
        "confidential": client.confidential,
        "scopes": list(client.scopes),
        "post_logout_redirect_uris": list(client.post_logout_redirect_uris),
        "resources": list(client.resources),
        "grants": list(client.grants),
        "dpop_bound_access_tokens": client.dpop_bound_access_tokens,
        "pkce": "required" if client.pkce_required else "optional",
        "backchannel_logout_uri": client.backchannel_logout_uri,
        "backchannel_logout_session_required": client.backchannel_logout_session_required,
        "created_at": client.created_at.isoformat(),
    }


@click.command("create")
@with_appcontext
@click.option("--name", required=True, help="The app's name, shown on the consent page.")
@click.option("--redirect-uri", "redirect_uris", multiple=True, required=True)
@click.option("--post-logout-redirect-uri", "logout_uris", multiple=True)
@click.option("--confidential", is_flag=True, help="A server-side app that keeps a secret.")
@click.option("--scope", "scopes", multiple=True, type=click.Choice(SCOPES))
@click.option(
    "--resource",
    "resources",
    multiple=True,
    help="A resource (RFC 8707) its tokens may be for; without any: every resource.",
)
@click.option(
    "--grant",
    "grants",
    multiple=True,
    type=click.Choice(tuple(OPT_IN_GRANTS)),
    help="A grant it may use beyond the default ones: device_code (RFC 8628), "
    "token_exchange (RFC 8693, confidential clients).",
)
@click.option(
    "--dpop-required",
    "dpop_required",
    is_flag=True,
    help="Its tokens are always DPoP-bound (RFC 9449): a token request without a proof, or "
    "a proof without the server's nonce, is refused.",
)
@click.option(
    "--pkce",
    type=click.Choice(("required", "optional")),
    default="required",
    show_default=True,
    help="Whether each authorization request needs PKCE (S256). 'optional' only for a "
    "confidential client (RFC 9700 §2.1.1), e.g. the OpenID conformance suite's.",
)
@click.option(
    "--backchannel-logout-uri",
    help="Where a logout token is posted when a session the app holds a grant of ends "
    "(OpenID Connect Back-Channel Logout 1.0).",
)
@click.option(
    "--backchannel-logout-session-required",
    "session_required",
    is_flag=True,
    help="Each logout token names the session (sid).",
)
def create_client(  # click passes each option by its name
    *,
    name: str,
    redirect_uris: tuple[str, ...],
    logout_uris: tuple[str, ...],
    confidential: bool,
    scopes: tuple[str, ...],
    resources: tuple[str, ...],
    grants: tuple[str, ...],
    dpop_required: bool,
    pkce: str,
    backchannel_logout_uri: str | None,
    session_required: bool,
) -> None:
    """Register an app; prints it as one line of JSON, with its client_secret (shown once)."""
    try:
        created = services().oauth.create_client(
            CreateClient(
                name,
                redirect_uris,
                confidential,
                scopes,
                logout_uris,
                resources=resources,
                grants=grants,
                dpop_bound_access_tokens=dpop_required,
                pkce_required=pkce == "required",
                backchannel_logout_uri=backchannel_logout_uri,
                backchannel_logout_session_required=session_required,
            )
        )
    except DomainError as exc:
        fail(exc)
    else:
        out = _client_json(created.client)
        if created.client_secret is not None:
            out["client_secret"] = created.client_secret
        click.echo(json.dumps(out))


@click.command("list")
@with_appcontext
def list_clients() -> None:
    """Every registered app, as a JSON array (never a secret)."""
    click.echo(json.dumps([_client_json(c) for c in services().oauth.list_clients()]))


@click.command("delete")
@with_appcontext
@click.argument("client_id")
def delete_client(client_id: str) -> None:
    """Remove the app: its tokens stop working at once."""
    try:
        services().oauth.delete_client(DeleteClient(client_id))
    except DomainError as exc:
        fail(exc)
    else:
        click.echo(json.dumps({"deleted": client_id}))


COMMANDS = (create_client, list_clients, delete_client)  # of ``clients``
