"""``users reset-mfa``: signing in again for someone who lost every second factor."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import with_appcontext

from application.signin.authentication import Actor
from application.signin.factors.totp import ResetMfa
from application.signin.services import SigninServices
from domain.errors import DomainError
from interfaces.cli.acting import OPERATOR, fail
from interfaces.shared.services import services

# The command line's operator as sign-in's Actor, for the use cases that take one (the
# federation's upstream providers).
OPERATOR_ACTOR = Actor(
    user_id=OPERATOR.user_id,
    username=OPERATOR.username,
    role=OPERATOR.role,
    session_id=OPERATOR.session_id,
    expires_at=datetime.max.replace(tzinfo=UTC),
)


@click.command("reset-mfa")
@with_appcontext
@click.argument("username")
def reset_mfa(username: str) -> None:
    """Turn two-step login off for USERNAME, who lost every factor, and remove its passkeys;
    every session of it ends.

    Check who is asking first (docs/reference/mfa.md, "Lost every factor")."""
    try:
        user = services().of(SigninServices).totp.reset(ResetMfa(username))
    except DomainError as exc:
        fail(exc)
    else:
        click.echo(
            f"{user.shown_name} ({user.id}): two-step login is off and its passkeys are "
            "removed; every session of it has ended"
        )


COMMANDS = (reset_mfa,)  # of ``users``
