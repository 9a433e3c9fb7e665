"""``users set-role``, ``disable``, ``list`` and ``purge-deleted``: the accounts, as an
administrator manages them."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from application.accounts.admin import SetDisabled, SetRole, UserQuery
from application.accounts.services import AccountServices
from domain.errors import DomainError
from interfaces.cli.acting import OPERATOR, fail
from interfaces.shared.services import services


@click.command("set-role")
@with_appcontext
@click.argument("username")
@click.argument("role", type=click.Choice(["user", "uploader", "admin"]))
def set_role(username: str, role: str) -> None:
    """Give USERNAME the ROLE (e.g. make the first admin)."""
    try:
        user = services().of(AccountServices).admin.set_role(SetRole(username, role))
    except DomainError as exc:
        fail(exc)
    else:
        click.echo(f"{user.shown_name} ({user.id}) is now {user.role.value}")


@click.command("disable")
@with_appcontext
@click.argument("username")
@click.option("--enable", is_flag=True, help="Enable the account again.")
def disable(username: str, enable: bool) -> None:
    """Disable USERNAME, ending every session of it at once, or --enable it again."""
    try:
        user = services().of(AccountServices).admin.set_disabled(SetDisabled(username, not enable))
    except DomainError as exc:
        fail(exc)
    else:
        state = "enabled" if enable else "disabled; every session of it has ended"
        click.echo(f"{user.shown_name} ({user.id}) is {state}")


@click.command("list")
@with_appcontext
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100))
def list_users(limit: int) -> None:
    """List users: id, username, email, role, disabled."""
    cursor: str | None = None
    while True:
        page = services().of(AccountServices).admin.list_users(UserQuery(OPERATOR, limit, cursor))
        for item in page.items:
            user = item.user
            flag = " disabled" if user.disabled else ""
            email = user.email.value if user.email else "-"
            click.echo(f"{user.id}\t{user.shown_name}\t{email}\t{user.role.value}{flag}")
        cursor = page.next_cursor
        if cursor is None:
            break


@click.command("purge-deleted")
@with_appcontext
def purge_deleted() -> None:
    """Finish deleting accounts whose deletion was interrupted."""
    count = services().of(AccountServices).accounts.resume_deletions()
    click.echo(f"purged {count} account(s)")


COMMANDS = (set_role, disable, list_users, purge_deleted)  # of ``users``
