"""``orgs sender show ORG``, ``orgs sender verify ORG`` and ``orgs sender recheck``: an org's
own sender as the operator reads and checks it (docs/reference/org-sender.md); the org brand
unit's commands, in the ``orgs`` group."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from application.org_brand.senders import OrgSenders, SenderView
from domain.errors import DomainError
from domain.org_brand.sender import SenderNotAligned
from interfaces.cli.acting import fail
from interfaces.shared.services import services


def _echo(view: SenderView) -> None:
    sender = view.sender
    click.echo(f"{sender.address}\t{sender.status.value}")
    if sender.missing:
        click.echo(f"missing: {', '.join(sender.missing)}")
    for record in view.records:
        click.echo(f"{record.check}\t{record.type}\t{record.name}\t{record.value}")


@click.group("sender")
def sender() -> None:
    """An org's own sender (docs/reference/org-sender.md)."""


@sender.command("show")
@with_appcontext
@click.argument("org")
def show(org: str) -> None:
    """ORG's sender (its id or slug), its state and the records to publish."""
    try:
        _echo(services().of(OrgSenders).show(org))
    except DomainError as exc:
        fail(exc)


@sender.command("verify")
@with_appcontext
@click.argument("org")
def verify(org: str) -> None:
    """Check ORG's sender's SPF, DKIM and DMARC records now; exit 1 when one is missing."""
    senders = services().of(OrgSenders)
    try:
        _echo(senders.check(senders.show(org).sender.org_id))
    except SenderNotAligned as exc:
        click.echo(f"not aligned; missing: {', '.join(exc.missing)}", err=True)
        for check, problem in exc.problems.items():
            click.echo(f"{check}: {problem}", err=True)
        raise SystemExit(1) from None
    except DomainError as exc:
        fail(exc)


@sender.command("recheck")
@with_appcontext
def recheck() -> None:
    """The daily re-check: every sender verified (or failed since) a day ago, checked again."""
    click.echo(f"{services().of(OrgSenders).sweep()} sender(s) checked")


ORG_COMMANDS = (sender,)  # of ``orgs``
