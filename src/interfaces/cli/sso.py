"""``orgs sso-certificates``: the IdP certificates' expiry warning, run by a scheduler
(docs/reference/sso.md); ``orgs sso-encryption-key``: a SAML connection's encryption key
rotated (docs/decisions/0930-a-saml-connections-encryption-key.md); single sign-on's
commands, in the ``orgs`` group."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import with_appcontext

from application.sso.services import SsoServices
from domain.errors import DomainError
from interfaces.cli.acting import fail
from interfaces.shared.services import services


@click.command("sso-certificates")
@with_appcontext
def sso_certificates() -> None:
    """Warn the org admins of IdP certificates within 30 days of their end, once each."""
    warned = services().of(SsoServices).certificate_sweep.sweep()
    click.echo(f"{warned} certificate(s) warned of")


@click.command("sso-encryption-key")
@click.argument("connection_id")
@click.option(
    "--overlap-days",
    type=click.IntRange(0, 365),
    default=30,
    show_default=True,
    help="How long the key before still decrypts (0: no more, for a key that leaked).",
)
@with_appcontext
def sso_encryption_key(connection_id: str, overlap_days: int) -> None:
    """Give a SAML connection a new encryption key, listed first in its metadata."""
    keys = services().of(SsoServices).saml
    try:
        connection = keys.rotate_encryption_key(connection_id, timedelta(days=overlap_days))
    except DomainError as exc:  # no such SAML connection; changed meanwhile
        fail(exc)
    else:
        kept = len(connection.encryption_keys) - 1
        click.echo(f"New encryption key for {connection.id}; {kept} earlier key(s) still decrypt")


ORG_COMMANDS = (sso_certificates, sso_encryption_key)  # of ``orgs``
