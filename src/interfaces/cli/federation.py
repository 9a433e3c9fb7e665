"""``providers add``, ``list`` and ``delete``: the providers people sign in with
(docs/reference/providers.md)."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from application.federation.providers import AddProvider, DeleteProvider
from application.federation.services import FederationServices
from domain.errors import DomainError
from domain.federation.upstream import PRESETS, UpstreamProvider
from interfaces.cli.acting import STDIN, fail, fail_with_fields, secret_from_stdin
from interfaces.cli.signin import OPERATOR_ACTOR as OPERATOR
from interfaces.shared.services import services


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


@click.command("add")
@with_appcontext
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
        provider = (
            services()
            .of(FederationServices)
            .upstream.add(
                AddProvider(
                    OPERATOR,
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
        )
    except DomainError as exc:
        fail_with_fields(exc)
    else:
        click.echo(json.dumps(provider_json(provider)))


@click.command("list")
@with_appcontext
def list_providers() -> None:
    """Every provider, as a JSON array (never a secret)."""
    click.echo(
        json.dumps(
            [provider_json(p) for p in services().of(FederationServices).upstream.list(OPERATOR)]
        )
    )


@click.command("delete")
@with_appcontext
@click.argument("provider_id")
def delete_provider(provider_id: str) -> None:
    """Remove the provider: its button goes; the accounts linked to it keep their other ways
    of signing in."""
    try:
        services().of(FederationServices).upstream.delete(DeleteProvider(OPERATOR, provider_id))
    except DomainError as exc:
        fail(exc)
    else:
        click.echo(json.dumps({"deleted": provider_id}))


COMMANDS = (add_provider, list_providers, delete_provider)  # of ``providers``
