"""The service's command line: ``flask --app src/wsgi.py users ...``. Each capability's
commands are in its module (``accounts``, ``signin``, ``migration``, ``clients``,
``federation``, ``orgs``, ``sso``, ``rules``, ``hooks``); this one puts them in their
groups. A group imports its modules when the command line first asks it for its commands:
a server, which builds the same app, never does
(docs/decisions/0440-route-modules-on-first-use.md)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import click
from flask import Flask
from flask.cli import AppGroup

__all__ = ["install_cli"]

# Each group's commands, imported by the function that names them: a plain import, run when
# the command line first asks the group for a command or their list
# (docs/decisions/0530-protocol-stacks-loaded-when-used.md).


def _users() -> Sequence[click.Command]:
    from interfaces.cli import accounts, migration, signin  # noqa: PLC0415

    return (*accounts.COMMANDS, *signin.COMMANDS, *migration.COMMANDS)


def _clients() -> Sequence[click.Command]:
    from interfaces.cli import clients  # noqa: PLC0415

    return clients.COMMANDS


def _resources() -> Sequence[click.Command]:
    from interfaces.cli import clients  # noqa: PLC0415

    return clients.RESOURCE_COMMANDS


def _providers() -> Sequence[click.Command]:
    from interfaces.cli import federation  # noqa: PLC0415

    return federation.COMMANDS


def _orgs() -> Sequence[click.Command]:
    from interfaces.cli import orgs, sso  # noqa: PLC0415

    return (*orgs.COMMANDS, *sso.ORG_COMMANDS)


def _org_roles() -> Sequence[click.Command]:
    from interfaces.cli import orgs  # noqa: PLC0415

    return orgs.TEMPLATE_COMMANDS


def _rules() -> Sequence[click.Command]:
    from interfaces.cli import rules  # noqa: PLC0415

    return rules.COMMANDS


def _hooks() -> Sequence[click.Command]:
    from interfaces.cli import hooks  # noqa: PLC0415

    return hooks.COMMANDS


# Each group: its name, its help, and the function that imports its commands.
GROUPS: tuple[tuple[str, str, Callable[[], Sequence[click.Command]]], ...] = (
    ("users", "Manage user accounts (no default admin exists).", _users),
    ("clients", "Manage the apps that sign in with firegate (OAuth).", _clients),
    (
        "resources",
        "Manage the API resources apps ask tokens for, with their scopes (OAuth).",
        _resources,
    ),
    (
        "providers",
        "Manage the providers people sign in with (docs/reference/providers.md).",
        _providers,
    ),
    ("orgs", "Manage organizations (docs/reference/orgs.md).", _orgs),
    ("org-roles", "Manage the role templates every org has (docs/reference/orgs.md).", _org_roles),
    ("rules", "firegate's library for firestore.rules (docs/organizations.md).", _rules),
    ("hooks", "Manage the auth hooks (docs/hooks.md).", _hooks),
)


class _LazyGroup(AppGroup):
    """A group whose commands are imported when it is first asked for one, or for their list."""

    def __init__(
        self, name: str, help_text: str, commands: Callable[[], Sequence[click.Command]]
    ) -> None:
        super().__init__(name, help=help_text)
        self._commands = commands
        self._loaded = False

    def _load(self) -> None:
        if not self._loaded:
            for command in self._commands():
                self.add_command(command)
            self._loaded = True

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self._load()
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load()
        return super().list_commands(ctx)


def install_cli(app: Flask) -> None:
    for name, help_text, commands in GROUPS:
        app.cli.add_command(_LazyGroup(name, help_text, commands))
