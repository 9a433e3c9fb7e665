"""Roles and administration: listing users, and what only admins may do."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from application.accounts.accounts import (
    Caller,
    EndsBeforeDeletion,
    ProfileSchemaSource,
    delete_account,
)
from application.accounts.accounts import UserRepository as Users
from application.pagination import Page, decode_cursor, paginate
from application.ports import Audit, AuditEvent, AuditLog, Clock, OwnedData
from domain.accounts.credentials import login_key
from domain.accounts.parts import Row, UserPart
from domain.accounts.users import Role, User
from domain.errors import InvalidInput, NotFound, PermissionDenied
from domain.ids import is_id


@dataclass(frozen=True)
class UserListing:
    """A user as the caller may see it: everything for self and admins, else id and name;
    for an admin's view of it, its user parts' rows (``UserPart.shown``)."""

    user: User
    full: bool
    shown: tuple[Row, ...] = ()


@dataclass(frozen=True)
class UserQuery:
    """``prefix``: an admin's search (docs/pages.md, "/admin"), the users whose username, or
    with an '@' whose e-mail address, starts with it as the claims compare them (case and
    look-alikes aside), in that order; "" finds everyone. None: the list in id order."""

    actor: Caller
    limit: int
    cursor: str | None = None
    prefix: str | None = None


@dataclass(frozen=True)
class ShowUser:
    """``as_admin``: the admin console's view, refused to anyone else (403)."""

    actor: Caller
    user_id: str
    as_admin: bool = False


@dataclass(frozen=True)
class AdminChange:
    actor: Caller
    user_id: str
    role: str | None = None
    disabled: bool | None = None
    attributes: tuple[tuple[str, object], ...] = ()  # written as an admin; null removes one


@dataclass(frozen=True)
class RemoveUser:
    actor: Caller
    user_id: str


def require_admin(actor: Caller) -> None:
    if actor.role != Role.ADMIN:
        raise PermissionDenied("This needs the admin role.", code="admin_required")


def _get(users: Users, user_id: str) -> User:
    return _live(users.get(user_id) if is_id(user_id) else None)


def target_of(actor: Caller, user_id: str, users: Users) -> User:
    """The live account an admin acts on: 403 for anyone else, 404 for no such account."""
    require_admin(actor)
    return _get(users, user_id)


def user_named(username: str, users: Users) -> User:
    """The live account the command line names; 404 for none."""
    return _live(users.find_by_login(login_key(username)))


def _live(user: User | None) -> User:
    if user is None or user.deleted_at is not None:
        raise NotFound("No such user.", code="user_not_found")
    return user


# A search's position is the last key shown; a folded address can be longer than its 254
# characters ("ﬃ" folds to "ffi").
SEARCH_POSITION_MAX = 4096


def _search(cmd: UserQuery, *, users: Users) -> Page[UserListing]:
    """The e-mail search lists addresses, so it is the admins' alone, like the username one."""
    require_admin(cmd.actor)
    key = login_key(cmd.prefix.strip()) if cmd.prefix else ""
    after = decode_cursor(cmd.cursor, longest=SEARCH_POSITION_MAX)
    if after is not None and not after.startswith(key):
        raise InvalidInput.field("cursor", "This cursor is not valid.", "invalid_cursor")
    rows = users.list_by_prefix(key, after, cmd.limit + 1)

    def position(user: User) -> str:
        if "@" in key and user.email is not None:
            return user.email.normalized
        return user.username.normalized if user.username is not None else ""

    last = rows[cmd.limit - 1] if len(rows) > cmd.limit else None
    page = paginate(rows, cmd.limit, position(last) if last is not None else None)
    return Page(items=[UserListing(u, full=True) for u in page.items], next_cursor=page.next_cursor)


def _apply(user: User, role: Role | None, disabled: bool | None, clock: Clock) -> User:
    now = clock.now()
    if role is not None:
        user = user.with_role(role, now)
    if disabled is not None:
        user = user.with_disabled(disabled, now)
    return user


def _audit_change(
    audit: AuditLog,
    before: User,
    after: User,
    *,
    actor_id: str | None,
    reason: str | None = None,
    org_id: str | None = None,
    via: str | None = None,
) -> None:
    changes = tuple(
        (name, str(old), str(new))
        for name, old, new in (
            ("role", before.role.value, after.role.value),
            ("disabled", before.disabled, after.disabled),
        )
        if old != new
    )
    if changes:
        audit.record(
            AuditEvent(
                Audit.ROLE_CHANGE,
                user_id=after.id,
                actor_id=actor_id,
                changes=changes,
                reason=reason,
                org_id=org_id,
                via=via,
            )
        )


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise InvalidInput.field("role", f"Role must be one of: {roles}.", "invalid_role") from None


# -- the command line (no actor: whoever runs it has the service's credentials) -----------


CLI_ACTOR = "cli"  # the audit log's actor for changes made on the command line


@dataclass(frozen=True)
class SetRole:
    username: str
    role: str


@dataclass(frozen=True)
class SetDisabled:
    username: str
    disabled: bool


@dataclass(frozen=True)
class DisableAccount:
    """An account disabled, or enabled again, by what manages it rather than by an admin: an
    org's directory (``reason`` and ``via`` "scim", ``org_id`` the org)."""

    user_id: str
    disabled: bool
    reason: str | None = None
    org_id: str | None = None
    via: str | None = None


def set_disabled_by_id(
    cmd: DisableAccount, *, users: Users, clock: Clock, audit: AuditLog
) -> User | None:
    """The admins' way to disable: one commit that marks the account and ends every session,
    grant, personal token and Firebase token of it (``User.with_disabled``), and the
    ``user.disabled`` event; None for an account gone meanwhile."""
    user = users.get(cmd.user_id)
    if user is None or user.deleted_at is not None:
        return None
    updated = users.update(user.id, lambda u: _apply(u, None, cmd.disabled, clock))
    _audit_change(
        audit, user, updated, actor_id=None, reason=cmd.reason, org_id=cmd.org_id, via=cmd.via
    )
    return updated


@dataclass(frozen=True, kw_only=True, slots=True)
class Administration:
    """What admins do with the accounts (the JSON API's and the console's), and what the
    command line does in their place (``set_role``, ``set_disabled``).

    ``owned``: what the other capabilities keep per user, deleted with the account;
    ``departures``: what ends before it and may refuse it (an org's last owner);
    ``schemas``: the profile schema an admin's writes of attributes follow; ``parts``: the
    user parts of the service, whose rows an admin's view of an account shows."""

    users: Users
    clock: Clock
    audit: AuditLog
    owned: Sequence[OwnedData]
    departures: Sequence[EndsBeforeDeletion]
    schemas: ProfileSchemaSource
    parts: Sequence[type[UserPart]] = ()

    def list_users(self, cmd: UserQuery) -> Page[UserListing]:
        actor, limit, users = cmd.actor, cmd.limit, self.users
        if cmd.prefix is not None:
            return _search(cmd, users=users)
        after = decode_cursor(cmd.cursor)
        if after is not None and not is_id(after):
            raise InvalidInput.field("cursor", "This cursor is not valid.", "invalid_cursor")
        rows = users.list_page(after, limit + 1)
        page = paginate(rows, limit, rows[limit - 1].id if len(rows) > limit else None)
        admin = actor.role == Role.ADMIN
        return Page(
            items=[UserListing(u, full=admin or u.id == actor.user_id) for u in page.items],
            next_cursor=page.next_cursor,
        )

    def show_user(self, cmd: ShowUser) -> UserListing:
        if cmd.as_admin:
            require_admin(cmd.actor)
        user = _get(self.users, cmd.user_id)
        full = cmd.actor.role == Role.ADMIN or user.id == cmd.actor.user_id
        if not cmd.as_admin:
            return UserListing(user, full=full)
        rows = tuple(row for kind in self.parts for row in user.part(kind).shown())
        return UserListing(user, full=full, shown=rows)

    def change_user(self, change: AdminChange) -> User:
        actor, clock = change.actor, self.clock
        require_admin(actor)
        role = parse_role(change.role) if change.role is not None else None
        before = target_of(actor, change.user_id, self.users)
        attributes = dict(change.attributes)
        schema = self.schemas.current() if attributes else None

        def apply(user: User) -> User:
            user = _apply(user, role, change.disabled, clock)
            if schema is None:
                return user
            return user.with_attributes(schema, attributes, "admin", clock.now())

        updated = self.users.update(change.user_id, apply)
        _audit_change(self.audit, before, updated, actor_id=actor.user_id)
        return updated

    def remove_user(self, cmd: RemoveUser) -> None:
        target_of(cmd.actor, cmd.user_id, self.users)
        delete_account(
            cmd.user_id,
            users=self.users,
            clock=self.clock,
            audit=self.audit,
            actor_id=cmd.actor.user_id,
            owned=self.owned,
            departures=self.departures,
        )

    def set_role(self, cmd: SetRole) -> User:
        """The command line's: no actor, whoever runs it has the service's credentials."""
        clock = self.clock
        wanted = parse_role(cmd.role)
        user = user_named(cmd.username, self.users)
        updated = self.users.update(user.id, lambda u: _apply(u, wanted, None, clock))
        _audit_change(self.audit, user, updated, actor_id=CLI_ACTOR)
        return updated

    def set_disabled(self, cmd: SetDisabled) -> User:
        """The command line's, as ``set_role``."""
        clock = self.clock
        user = user_named(cmd.username, self.users)
        updated = self.users.update(user.id, lambda u: _apply(u, None, cmd.disabled, clock))
        _audit_change(self.audit, user, updated, actor_id=CLI_ACTOR)
        return updated
