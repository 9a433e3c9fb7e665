"""The service's command line: ``flask --app src/wsgi.py users ...``. Each capability's
commands are in its module (``accounts``, ``signin``, ``migration``, ``provider``,
``federation``, ``orgs``); this one puts them in their groups."""

from __future__ import annotations

from collections.abc import Iterable

import click
from flask import Flask
from flask.cli import AppGroup

from interfaces.cli import accounts, federation, migration, orgs, provider, signin

__all__ = ["install_cli"]


def _group(name: str, help_text: str, commands: Iterable[click.Command]) -> AppGroup:
    group = AppGroup(name, help=help_text)
    for command in commands:
        group.add_command(command)
    return group


def install_cli(app: Flask) -> None:
    app.cli.add_command(
        _group(
            "users",
            "Manage user accounts (no default admin exists).",
            (*accounts.COMMANDS, *signin.COMMANDS, *migration.COMMANDS),
        )
    )
    app.cli.add_command(
        _group("clients", "Manage the apps that sign in with firegate (OAuth).", provider.COMMANDS)
    )
    app.cli.add_command(
        _group(
            "resources",
            "Manage the API resources apps ask tokens for, with their scopes (OAuth).",
            provider.RESOURCE_COMMANDS,
        )
    )
    app.cli.add_command(
        _group(
            "providers",
            "Manage the providers people sign in with (docs/reference/providers.md).",
            federation.COMMANDS,
        )
    )
    app.cli.add_command(
        _group("orgs", "Manage organizations (docs/reference/orgs.md).", orgs.COMMANDS)
    )
