"""The service's command line: ``flask --app src/wsgi.py users ...``. Each capability's
commands are in its module (``accounts``, ``signin``, ``migration``, ``clients``,
``federation``, ``orgs``, ``sso``, ``rules``, ``hooks``); this one puts them in their
groups. A group imports its modules when the command line first asks it for its commands:
a server, which builds the same app, never does
(docs/decisions/0440-route-modules-on-first-use.md)."""

from __future__ import annotations

import importlib
from collections.abc import Sequence

import click
from flask import Flask
from flask.cli import AppGroup

__all__ = ["install_cli"]

# Each group: its name, its help, and its commands as (module, name of a tuple of commands).
GROUPS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "users",
        "Manage user accounts (no default admin exists).",
        (("accounts", "COMMANDS"), ("signin", "COMMANDS"), ("migration", "COMMANDS")),
    ),
    ("clients", "Manage the apps that sign in with firegate (OAuth).", (("clients", "COMMANDS"),)),
    (
        "resources",
        "Manage the API resources apps ask tokens for, with their scopes (OAuth).",
        (("clients", "RESOURCE_COMMANDS"),),
    ),
    (
        "providers",
        "Manage the providers people sign in with (docs/reference/providers.md).",
        (("federation", "COMMANDS"),),
    ),
    (
        "orgs",
        "Manage organizations (docs/reference/orgs.md).",
        (("orgs", "COMMANDS"), ("sso", "ORG_COMMANDS")),
    ),
    (
        "rules",
        "firegate's library for firestore.rules (docs/organizations.md).",
        (("rules", "COMMANDS"),),
    ),
    ("hooks", "Manage the auth hooks (docs/hooks.md).", (("hooks", "COMMANDS"),)),
)


class _LazyGroup(AppGroup):
    """A group whose commands are imported when it is first asked for one, or for their list."""

    def __init__(self, name: str, help_text: str, sources: Sequence[tuple[str, str]]) -> None:
        super().__init__(name, help=help_text)
        self._sources = sources
        self._loaded = False

    def _load(self) -> None:
        if not self._loaded:
            for module, attribute in self._sources:
                found = importlib.import_module(f"interfaces.cli.{module}")
                for command in getattr(found, attribute):
                    self.add_command(command)
            self._loaded = True

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self._load()
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load()
        return super().list_commands(ctx)


def install_cli(app: Flask) -> None:
    for name, help_text, sources in GROUPS:
        app.cli.add_command(_LazyGroup(name, help_text, sources))
