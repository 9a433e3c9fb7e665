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


def fail_with_fields(exc: DomainError) -> None:
    """A refusal, each bad field named (``field: message``; ...)."""
    fields = getattr(exc, "errors", ())
    detail = "; ".join(f"{e.field}: {e.message}" for e in fields) if fields else exc.detail
    raise click.ClickException(detail)
