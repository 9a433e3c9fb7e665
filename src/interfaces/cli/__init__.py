"""The service's command line: ``flask --app src/wsgi.py users ...``. Each capability's
commands are in its module (``accounts``, ``signin``, ``migration``, ``clients``,
``federation``, ``orgs``, ``sso``, ``rules``, ``hooks``); the units' records say which group
each goes in (bootstrap/units.py), and this one makes the groups. A group imports its
modules when the command line first asks it for its commands: a server, which builds the
same app, never does (docs/decisions/0440-route-modules-on-first-use.md)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import click
from flask import Flask
from flask.cli import AppGroup

from domain.slots import Slot

__all__ = ["CLIENT_FLAGS", "ClientFlag", "CommandGroup", "Commands", "install_cli"]


@dataclass(frozen=True)
class CommandGroup:
    """A group of the command line (``users``, ``orgs``, ...), declared by the unit that owns
    it; the units add commands to it by its name."""

    name: str
    help: str


@dataclass(frozen=True)
class Commands:
    """A unit's commands in a group: ``load`` imports the unit's command module and returns
    them, when the command line first asks the group for a command or their list (a plain
    import in the function: docs/decisions/0530-protocol-stacks-loaded-when-used.md)."""

    group: str
    load: Callable[[], Sequence[click.Command]]


@dataclass(frozen=True)
class ClientFlag:
    """A unit's flag of ``clients create`` (``--ssf``): its name and help, and what the unit
    does with a client made with it (``made``, given the client's id, in the app's context):
    the fields it adds to the command's JSON."""

    name: str
    help: str
    made: Callable[[str], Mapping[str, object]]


# The units' flags of ``clients create`` (interfaces/cli/clients.py), from their records.
CLIENT_FLAGS = Slot[ClientFlag]("clients create's flags")


class _LazyGroup(AppGroup):
    """A group whose commands are imported when it is first asked for one, or for their list."""

    def __init__(
        self, name: str, help_text: str, loads: Sequence[Callable[[], Sequence[click.Command]]]
    ) -> None:
        super().__init__(name, help=help_text)
        self._loads = loads
        self._loaded = False

    def _load(self) -> None:
        if not self._loaded:
            for load in self._loads:
                for command in load():
                    self.add_command(command)
            self._loaded = True

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self._load()
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load()
        return super().list_commands(ctx)


def install_cli(app: Flask, groups: Sequence[CommandGroup], commands: Sequence[Commands]) -> None:
    """Each group, with the commands the units add to it (bootstrap/units.py)."""
    named = {group.name for group in groups}
    strays = sorted({part.group for part in commands} - named)
    if strays:
        raise ValueError(f"commands for groups no unit declares: {', '.join(strays)}")
    for group in groups:
        loads = tuple(part.load for part in commands if part.group == group.name)
        app.cli.add_command(_LazyGroup(group.name, group.help, loads))
