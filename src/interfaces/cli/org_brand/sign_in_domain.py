"""``orgs sign-in-domain``: the operator's view of the orgs' own sign-in hosts
(docs/reference/org-sign-in-domain.md): list them, verify an org's, remove an org's, and the
daily re-check the scheduler runs."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from application.org_brand.hosts import SignInHosts
from domain.errors import DomainError
from interfaces.shared.services import services


@click.group("sign-in-domain")
def sign_in_domain() -> None:
    """The orgs' own sign-in hosts."""


@sign_in_domain.command("list")
@click.option("--active", is_flag=True, help="Only the active hosts.")
@with_appcontext
def list_hosts(active: bool) -> None:
    """Each org's host: org id, host, status."""
    for found in services().of(SignInHosts).listed(active=active):
        click.echo(f"{found.org_id}\t{found.host}\t{found.status.value}")


@sign_in_domain.command("verify")
@click.argument("org_id")
@with_appcontext
def verify_host(org_id: str) -> None:
    """Check the org's host's records now: active, or what is missing."""
    try:
        found = services().of(SignInHosts).verify_org(org_id)
    except DomainError as exc:
        raise click.ClickException(f"{exc.code}: {exc.detail}") from None
    click.echo(f"{found.host}\t{found.status.value}")


@sign_in_domain.command("remove")
@click.argument("org_id")
@with_appcontext
def remove_host(org_id: str) -> None:
    """Remove the org's host: its requests are refused from then on."""
    try:
        removed = services().of(SignInHosts).remove(org_id)
    except DomainError as exc:
        raise click.ClickException(f"{exc.code}: {exc.detail}") from None
    click.echo(f"{removed.host} removed")


@sign_in_domain.command("sweep")
@with_appcontext
def sweep_hosts() -> None:
    """Check every active host's records again; a lapsed one is turned off, its owners mailed."""
    lapsed = services().of(SignInHosts).sweep()
    click.echo(f"{lapsed} host(s) lapsed")


ORG_COMMANDS = (sign_in_domain,)  # of ``orgs``
