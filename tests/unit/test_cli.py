"""The command line as one tree: each capability's commands (src/interfaces/cli/) in their
group, every one run inside the app, its log lines on standard error."""

from __future__ import annotations

import json
import logging
import sys

import click
import pytest
from flask import Flask

from bootstrap import Adapters, build_app
from bootstrap.units import running
from infrastructure.settings import Settings

pytestmark = pytest.mark.unit

TREE = {
    "users": ["disable", "export", "import", "list", "purge-deleted", "reset-mfa", "set-role"],
    "clients": ["create", "delete", "list"],
    "resources": ["add", "allow", "disallow", "list", "remove"],
    "providers": ["add", "delete", "list"],
    "orgs": ["create", "delete", "list", "members", "sso-certificates", "sso-encryption-key"],
    "rules": ["export"],
    "hooks": ["list", "remove", "set", "test"],
}
# The optional units' commands in the core's groups, each there while its unit runs.
UNIT_COMMANDS = {"org_brand": {"orgs": ["sender", "sign-in-domain"]}}


def tree(running: tuple[str, ...]) -> dict[str, list[str]]:
    """TREE with the commands of the units in ``running``."""
    found = {name: list(commands) for name, commands in TREE.items()}
    for unit, groups in UNIT_COMMANDS.items():
        for group, commands in groups.items():
            if unit in running:
                found[group] = sorted([*found[group], *commands])
    return found


def test_every_command_is_in_its_group(fake_app: Flask, app_settings: Settings) -> None:
    context = click.Context(fake_app.cli)
    groups = {name: fake_app.cli.get_command(context, name) for name in TREE}
    found = {
        name: sorted(group.list_commands(context))
        for name, group in groups.items()
        if isinstance(group, click.Group)
    }
    assert found == tree(running(app_settings))


def test_each_group_has_its_help(fake_app: Flask) -> None:
    runner = fake_app.test_cli_runner()
    helps = {name: runner.invoke(args=[name, "--help"]).output for name in TREE}
    assert "Manage user accounts (no default admin exists)." in helps["users"]
    assert "Manage the apps that sign in with firegate (OAuth)." in helps["clients"]
    assert "Manage the providers people sign in with" in helps["providers"]
    assert "Manage organizations" in helps["orgs"]
    assert "Manage the auth hooks" in helps["hooks"]


def test_the_commands_of_every_capability_reach_the_services(fake_app: Flask) -> None:
    """Each module's commands run in the app's context (``services()`` needs it)."""
    runner = fake_app.test_cli_runner()
    listed = {
        args: runner.invoke(args=list(args))
        for args in [
            ("users", "list"),
            ("clients", "list"),
            ("providers", "list"),
            ("hooks", "list"),
        ]
    }
    assert all(result.exit_code == 0 for result in listed.values()), listed
    assert listed["users", "list"].output == ""
    assert json.loads(listed["clients", "list"].output) == []
    assert json.loads(listed["providers", "list"].output) == []
    assert json.loads(listed["hooks", "list"].output) == []
    refused = runner.invoke(args=["users", "reset-mfa", "nobody"])
    assert refused.exit_code == 1 and refused.output.startswith("Error: ")
    purged = runner.invoke(args=["users", "purge-deleted"])
    assert purged.exit_code == 0 and purged.output == "purged 0 account(s)\n"


@pytest.mark.parametrize(("command_line", "stream"), [(True, "stderr"), (False, "stdout")])
def test_the_logs_go_to_stderr_on_the_command_line_and_to_stdout_when_serving(
    adapters: Adapters,
    app_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    command_line: bool,
    stream: str,
) -> None:
    """A command's standard output is its answer alone (`make cli ARGS=... | jq`); a server's
    is where Cloud Run reads the log lines (docs/configuration.md#local-emulators)."""
    if command_line:
        monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")
    else:
        monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        build_app(app_settings, adapters)
        (handler,) = root.handlers
        assert isinstance(handler, logging.StreamHandler)
        assert handler.stream is getattr(sys, stream)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
