"""``orgs sso-certificates``: the IdP certificates' expiry warning, run by a scheduler
(docs/reference/sso.md); single sign-on's command, in the ``orgs`` group."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from application.sso.services import SsoServices
from interfaces.shared.services import services


@click.command("sso-certificates")
@with_appcontext
def sso_certificates() -> None:
    """Warn the org admins of IdP certificates within 30 days of their end, once each."""
    warned = services().of(SsoServices).certificate_sweep.sweep()
    click.echo(f"{warned} certificate(s) warned of")


ORG_COMMANDS = (sso_certificates,)  # of ``orgs``
