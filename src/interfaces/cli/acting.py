"""What every command of the command line shares: who it acts as, and how a refusal is told."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from application.signin.authentication import Actor
from domain.errors import DomainError

# The command line acts with the service's own credentials, as an administrator would.
OPERATOR = Actor(
    user_id="",
    username="cli",
    role="admin",
    session_id="",
    expires_at=datetime.max.replace(tzinfo=UTC),
)


def fail(exc: DomainError) -> None:
    raise click.ClickException(exc.detail)
