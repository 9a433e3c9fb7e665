"""The service's command line: ``flask --app src/wsgi.py users ...``."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click
from flask import Flask
from flask.cli import AppGroup

from application.accounts.admin import SetDisabled, SetRole, UserQuery
from application.accounts.authentication import Actor
from application.federation.providers import AddProvider, DeleteProvider
from application.provider.clients import CreateClient, DeleteClient
from application.signin.totp import ResetMfa
from domain.errors import DomainError
from domain.federation.upstream import PRESETS, UpstreamProvider
from domain.provider.oauth import OPT_IN_GRANTS, SCOPES, OAuthClient
from interfaces.cli_secrets import STDIN, secret_from_stdin
from interfaces.migration.user_moves import export_command, import_command
from interfaces.shared.services import services

users_cli = AppGroup("users", help="Manage user accounts (no default admin exists).")
users_cli.add_command(import_command)
users_cli.add_command(export_command)

# The command line acts with the service's own credentials, as an administrator would.
_OPERATOR = Actor(
    user_id="",
    username="cli",
    role="admin",
    session_id="",
    expires_at=datetime.max.replace(tzinfo=UTC),
)


def _fail(exc: DomainError) -> None:
    raise click.ClickException(exc.detail)


@users_cli.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(["user", "uploader", "admin"]))
def set_role(username: str, role: str) -> None:
    """Give USERNAME the ROLE (e.g. make the first admin)."""
    try:
        user = services().admin.set_role(SetRole(username, role))
    except DomainError as exc:
        _fail(exc)
    else:
        click.echo(f"{user.username.value} ({user.id}) is now {user.role.value}")


@users_cli.command("disable")
@click.argument("username")
@click.option("--enable", is_flag=True, help="Enable the account again.")
def disable(username: str, enable: bool) -> None:
    """Disable USERNAME, ending every session of it at once, or --enable it again."""
    try:
        user = services().admin.set_disabled(SetDisabled(username, not enable))
    except DomainError as exc:
        _fail(exc)
    else:
        state = "enabled" if enable else "disabled; every session of it has ended"
        click.echo(f"{user.username.value} ({user.id}) is {state}")


@users_cli.command("reset-mfa")
@click.argument("username")
def reset_mfa(username: str) -> None:
    """Turn two-step login off for USERNAME, who lost every factor, and remove its passkeys;
    every session of it ends.

    Check who is asking first (docs/reference/mfa.md, "Lost every factor")."""
    try:
        user = services().totp.reset(ResetMfa(username))
    except DomainError as exc:
        _fail(exc)
    else:
        click.echo(
            f"{user.username.value} ({user.id}): two-step login is off and its passkeys are "
            "removed; every session of it has ended"
        )


@users_cli.command("list")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100))
def list_users(limit: int) -> None:
    """List users: id, username, email, role, disabled."""
    cursor: str | None = None
    while True:
        page = services().admin.list_users(UserQuery(_OPERATOR, limit, cursor))
        for item in page.items:
            user = item.user
            flag = " disabled" if user.disabled else ""
            email = user.email.value if user.email else "-"
            click.echo(f"{user.id}\t{user.username.value}\t{email}\t{user.role.value}{flag}")
        cursor = page.next_cursor
        if cursor is None:
            break


@users_cli.command("purge-deleted")
def purge_deleted() -> None:
    """Finish deleting accounts whose deletion was interrupted."""
    count = services().accounts.resume_deletions()
    click.echo(f"purged {count} account(s)")


clients_cli = AppGroup("clients", help="Manage the apps that sign in with firegate (OAuth).")


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
        "created_at": client.created_at.isoformat(),
    }


@clients_cli.command("create")
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
            )
        )
    except DomainError as exc:
        _fail(exc)
    else:
        out = _client_json(created.client)
        if created.client_secret is not None:
            out["client_secret"] = created.client_secret
        click.echo(json.dumps(out))


@clients_cli.command("list")
def list_clients() -> None:
    """Every registered app, as a JSON array (never a secret)."""
    click.echo(json.dumps([_client_json(c) for c in services().oauth.list_clients()]))


@clients_cli.command("delete")
@click.argument("client_id")
def delete_client(client_id: str) -> None:
    """Remove the app: its tokens stop working at once."""
    try:
        services().oauth.delete_client(DeleteClient(client_id))
    except DomainError as exc:
        _fail(exc)
    else:
        click.echo(json.dumps({"deleted": client_id}))


providers_cli = AppGroup(
    "providers", help="Manage the providers people sign in with (docs/reference/providers.md)."
)


def provider_json(provider: UpstreamProvider) -> dict[str, object]:
    """A provider as the CLI and /admin show it: never its secret."""
    return {
        "id": provider.id,
        "name": provider.name,
        "preset": provider.preset or None,
        "issuer": provider.issuer,
        "client_id": provider.client_id,
        "scope": provider.scope,
        "callback_path": provider.callback_path(),
        "created_at": provider.created_at.isoformat(),
    }


@providers_cli.command("add")
@click.option("--id", "provider_id", required=True, help="In the callback URL: a-z, 0-9, _ -.")
@click.option("--preset", default="", type=click.Choice(["", *PRESETS]), help="A known one.")
@click.option("--issuer", default="", help="Its issuer URL (found by discovery).")
@click.option("--client-id", required=True)
@click.option(
    "--client-secret",
    required=True,
    help="For Apple: its key (.p8, PEM). - reads it from standard input (--client-secret - "
    "< AuthKey.p8), keeping it out of the shell's history.",
)
@click.option("--name", default="", help='Shown as "Continue with NAME".')
@click.option("--scope", default="", help='Default: "openid email profile".')
@click.option("--team-id", default="", help="Apple only.")
@click.option("--key-id", default="", help="Apple only.")
def add_provider(  # click passes each option by its name
    *,
    provider_id: str,
    preset: str,
    issuer: str,
    client_id: str,
    client_secret: str,
    name: str,
    scope: str,
    team_id: str,
    key_id: str,
) -> None:
    """Add a provider; prints it as one line of JSON (its secret is stored sealed)."""
    if client_secret == STDIN:
        client_secret = secret_from_stdin("--client-secret")
    try:
        provider = services().upstream.add(
            AddProvider(
                _OPERATOR,
                provider_id,
                client_id,
                client_secret,
                issuer=issuer,
                name=name,
                scope=scope,
                preset=preset,
                team_id=team_id,
                key_id=key_id,
            )
        )
    except DomainError as exc:
        _fail_with_fields(exc)
    else:
        click.echo(json.dumps(provider_json(provider)))


def _fail_with_fields(exc: DomainError) -> None:
    fields = getattr(exc, "errors", ())
    detail = "; ".join(f"{e.field}: {e.message}" for e in fields) if fields else exc.detail
    raise click.ClickException(detail)


@providers_cli.command("list")
def list_providers() -> None:
    """Every provider, as a JSON array (never a secret)."""
    click.echo(json.dumps([provider_json(p) for p in services().upstream.list(_OPERATOR)]))


@providers_cli.command("delete")
@click.argument("provider_id")
def delete_provider(provider_id: str) -> None:
    """Remove the provider: its button goes; the accounts linked to it keep their other ways
    of signing in."""
    try:
        services().upstream.delete(DeleteProvider(_OPERATOR, provider_id))
    except DomainError as exc:
        _fail(exc)
    else:
        click.echo(json.dumps({"deleted": provider_id}))


def install_cli(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(clients_cli)
    app.cli.add_command(providers_cli)
