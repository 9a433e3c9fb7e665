"""``orgs create``, ``list``, ``delete`` and ``orgs members add``, ``remove``: organizations,
as an operator manages them; ``org-roles set``, ``list``, ``remove``: the role templates every
org has (docs/reference/orgs.md). ``orgs sso-certificates`` is single
sign-on's (``interfaces/cli/sso.py``)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from application.orgs.members.members import AddMember, OperatorRemoval
from application.orgs.members.templates import PutTemplate, TemplateQuery
from application.orgs.orgs import OperatorCreation, OperatorDeletion, OrgListQuery
from application.orgs.services import OrgServices
from domain.errors import DomainError
from interfaces.cli.acting import fail
from interfaces.shared.services import services


@click.command("create")
@with_appcontext
@click.argument("slug")
@click.argument("name")
@click.option("--owner", required=True, help="The owner's username or e-mail address.")
def create(slug: str, name: str, owner: str) -> None:
    """Create the org SLUG named NAME, owned by --owner."""
    try:
        seen = services().of(OrgServices).orgs.create_for(OperatorCreation(slug, name, owner))
    except DomainError as exc:
        fail(exc)
    else:
        click.echo(f"{seen.org.slug.value} ({seen.org.id}) created, owned by {owner}")


@click.command("list")
@with_appcontext
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100))
def list_orgs(limit: int) -> None:
    """List every org: id, slug, name, owners."""
    cursor: str | None = None
    while True:
        page = services().of(OrgServices).orgs.list_all(OrgListQuery(limit, cursor))
        for org in page.items:
            click.echo(f"{org.id}\t{org.slug.value}\t{org.name}\t{org.owners} owner(s)")
        cursor = page.next_cursor
        if cursor is None:
            break


@click.command("delete")
@with_appcontext
@click.argument("org")
def delete(org: str) -> None:
    """Delete ORG (its id or slug): gone at once, purged by a job."""
    try:
        deleted = services().of(OrgServices).orgs.delete_any(OperatorDeletion(org))
    except DomainError as exc:
        fail(exc)
    else:
        click.echo(f"{deleted.slug.value} ({deleted.id}) deleted")


@click.group("members")
def members() -> None:
    """Add people to an org, or remove them."""


@members.command("add")
@with_appcontext
@click.argument("org")
@click.argument("user")
@click.option(
    "--role", "roles", multiple=True, default=("member",), show_default=True, help="Repeatable."
)
def add(org: str, user: str, roles: tuple[str, ...]) -> None:
    """Make USER (a username or e-mail address) a member of ORG."""
    try:
        member = services().of(OrgServices).members.add_member(AddMember(org, user, roles))
    except DomainError as exc:
        fail(exc)
    else:
        click.echo(f"{user} ({member.user_id}) is a member: {' '.join(member.roles)}")


@members.command("remove")
@with_appcontext
@click.argument("org")
@click.argument("user")
def remove(org: str, user: str) -> None:
    """Remove USER from ORG (never its last owner)."""
    try:
        removed = services().of(OrgServices).members.remove_any_member(OperatorRemoval(org, user))
    except DomainError as exc:
        fail(exc)
    else:
        click.echo(f"{user} ({removed.user_id}) removed")


COMMANDS = (create, list_orgs, delete, members)  # of ``orgs``


# -- ``org-roles``: the role templates every org has (docs/reference/orgs.md) -------------------


@click.command("set")
@with_appcontext
@click.argument("role")
@click.option("--description", default="", help="What the role is for, for people.")
@click.option("--permission", "permissions", multiple=True, help="Repeatable.")
def set_template(role: str, description: str, permissions: tuple[str, ...]) -> None:
    """Define the role template ROLE, a role of every org: its holders' permissions in every
    org follow before this returns."""
    cmd = PutTemplate(None, role, description, list(permissions))
    try:
        put = services().of(OrgServices).templates.put(cmd)
    except DomainError as exc:
        fail(exc)
    else:
        state = "created" if put.created else "updated"
        click.echo(f"{put.name} {state}: {' '.join(put.permissions) or '(no permissions)'}")


@click.command("list")
@with_appcontext
def list_templates() -> None:
    """List the role templates: name, holders, permissions, description."""
    for found in services().of(OrgServices).templates.list(TemplateQuery(None)):
        permissions = " ".join(found.permissions) or "-"
        click.echo(f"{found.name}\t{found.members} holder(s)\t{permissions}\t{found.description}")


@click.command("remove")
@with_appcontext
@click.argument("role")
def remove_template(role: str) -> None:
    """Remove the role template ROLE (refused while a member of any org holds it)."""
    try:
        services().of(OrgServices).templates.delete(TemplateQuery(None, role))
    except DomainError as exc:
        fail(exc)
    else:
        click.echo(f"{role} removed")


TEMPLATE_COMMANDS = (set_template, list_templates, remove_template)  # of ``org-roles``
