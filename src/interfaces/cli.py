"""The service's command line: ``flask --app src/wsgi.py users ...``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from interfaces.http.services import services

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("purge-deleted")
def purge_deleted() -> None:
    """Finish deleting accounts whose deletion was interrupted."""
    count = services().resume_deletions()
    click.echo(f"purged {count} account(s)")


def install_cli(app: Flask) -> None:
    app.cli.add_command(users_cli)
