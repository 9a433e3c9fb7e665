"""``hooks set``, ``list``, ``remove`` and ``test``: the auth hooks
(docs/reference/auth-hooks.md, docs/hooks.md)."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import with_appcontext

from application.hooks.admin import (
    AuthHookRef,
    AuthHookView,
    ListAuthHooks,
    SetAuthHook,
    TestAuthHook,
)
from application.hooks.services import HookServices
from domain.errors import DomainError
from domain.hooks.auth_hooks import DEFAULT_TIMEOUT_MS, AuthHook, OnFailure
from interfaces.cli.acting import OPERATOR, fail, fail_with_fields
from interfaces.shared.services import services

# A kind the units lend (docs/hooks.md): the use case refuses any other, naming them.
KIND = click.STRING


def hook_json(hook: AuthHook) -> dict[str, object]:
    """A hook as the CLI shows it: never its secret."""
    return {
        "id": hook.hook_id,
        "kind": hook.kind,
        "url": hook.url,
        "timeout_ms": hook.timeout_ms,
        "on_failure": hook.on_failure.value,
        "order": hook.order,
        "clients": list(hook.clients),
        "orgs": list(hook.orgs),
        "created_at": hook.created_at.isoformat(),
    }


@click.command("set")
@with_appcontext
@click.argument("kind", type=KIND)
@click.argument("url")
@click.option("--timeout-ms", default=DEFAULT_TIMEOUT_MS, show_default=True, type=int)
@click.option(
    "--on-failure",
    default=OnFailure.ALLOW.value,
    show_default=True,
    type=click.Choice([f.value for f in OnFailure]),
)
@click.option("--order", default=0, show_default=True, type=int, help="Lower is asked first.")
@click.option("--client", "clients", multiple=True, help="Only calls about this client (again).")
@click.option("--org", "orgs", multiple=True, help="Only calls about this org (again).")
def set_hook(
    kind: str,
    url: str,
    *,
    timeout_ms: int,
    on_failure: str,
    order: int,
    clients: tuple[str, ...],
    orgs: tuple[str, ...],
) -> None:
    """A new hook of KIND, beside the kind's others (at most 10); prints it with its secret,
    shown only here."""
    try:
        created = (
            services()
            .of(HookServices)
            .hooks.set(
                SetAuthHook(
                    OPERATOR,
                    kind,
                    url,
                    timeout_ms,
                    on_failure,
                    order=order,
                    clients=clients,
                    orgs=orgs,
                )
            )
        )
    except DomainError as exc:
        fail_with_fields(exc)
    else:
        click.echo(json.dumps(hook_json(created.hook) | {"secret": created.secret}))


def _view_json(view: AuthHookView) -> dict[str, object]:
    calls = [
        {
            "time": call.at.isoformat(),
            "duration_ms": call.duration_ms,
            "outcome": call.outcome.value,
            "status": call.status,
            "error": call.error,
        }
        for call in view.calls
    ]
    return hook_json(view.hook) | {"calls": calls}


@click.command("list")
@with_appcontext
def list_hooks() -> None:
    """Every hook, by kind and in each kind's order, with its latest calls, newest first, as a
    JSON array (never a secret)."""
    views = services().of(HookServices).hooks.list(ListAuthHooks(OPERATOR))
    click.echo(json.dumps([_view_json(view) for view in views]))


@click.command("remove", context_settings={"ignore_unknown_options": True})
@with_appcontext
@click.argument("hook_id")
def remove_hook(hook_id: str) -> None:
    """Remove a hook: its kind goes on as if there were none."""
    try:
        services().of(HookServices).hooks.remove(AuthHookRef(OPERATOR, hook_id))
    except DomainError as exc:
        fail(exc)
    else:
        click.echo(json.dumps({"removed": hook_id}))


@click.command("test")
@with_appcontext
@click.argument("url")
@click.option("--kind", required=True, type=KIND)
@click.option("--secret", default=None, help="whsec_…: sign with it (default: a new one, printed).")
@click.option("--timeout-ms", default=DEFAULT_TIMEOUT_MS, show_default=True, type=int)
def test_hook(url: str, kind: str, secret: str | None, timeout_ms: int) -> None:
    """Send KIND's sample payloads to URL, signed, and check each answer against the kind's
    shape: one JSON line per sample, then a summary; exit 1 if an answer is wrong."""
    try:
        tested = (
            services()
            .of(HookServices)
            .hooks.test(TestAuthHook(OPERATOR, kind, url, secret, timeout_ms))
        )
    except DomainError as exc:
        fail_with_fields(exc)
        return
    for found in tested.answers:
        asked = found.asked
        line = {
            "sample": found.sample,
            "outcome": asked.outcome.value,
            "status": asked.status,
            "error": asked.error,
            "duration_ms": round(asked.duration * 1000),
        }
        click.echo(json.dumps(line))
    summary = {"kind": kind, "secret": tested.secret, "passed": tested.passed}
    click.echo(json.dumps(summary))
    if not tested.passed:
        sys.exit(1)


COMMANDS = (set_hook, list_hooks, remove_hook, test_hook)  # of ``hooks``
