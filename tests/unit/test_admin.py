"""Admin use cases on fakes: who sees what, who may change what, and the audit trail."""

from __future__ import annotations

import pytest

from application import admin
from application.admin import AdminChange, RemoveUser, SetRole, ShowUser, UserQuery
from domain.errors import InvalidInput, NotFound, PermissionDenied
from tests.unit.test_accounts import World

pytestmark = pytest.mark.unit


@pytest.fixture
def world() -> World:
    w = World()
    for name in ("alice", "bob", "carol"):
        w.register(name)
    admin.set_role_by_username(
        SetRole("alice", "admin"), users=w.users, clock=w.clock, audit=w.audit
    )
    return w


def test_listing_shows_public_fields_except_to_self_and_admins(world: World) -> None:
    bob = world.authenticate(world.login("bob").access_token)
    page = admin.list_users(UserQuery(bob, 10, None), users=world.users)
    assert {(i.user.username.value, i.full) for i in page.items} == {
        ("alice", False),
        ("bob", True),
        ("carol", False),
    }
    alice = world.authenticate(world.login("alice").access_token)
    assert all(
        i.full for i in admin.list_users(UserQuery(alice, 10, None), users=world.users).items
    )


def test_pages_chain_through_cursors(world: World) -> None:
    actor = world.authenticate(world.login("bob").access_token)
    first = admin.list_users(UserQuery(actor, 2, None), users=world.users)
    assert len(first.items) == 2 and first.next_cursor
    second = admin.list_users(UserQuery(actor, 2, first.next_cursor), users=world.users)
    assert len(second.items) == 1 and second.next_cursor is None
    with pytest.raises(InvalidInput):
        admin.list_users(UserQuery(actor, 2, "bm90IGEgY3Vyc29y"), users=world.users)


def test_only_admins_change_and_changes_are_audited(world: World) -> None:
    alice = world.authenticate(world.login("alice").access_token)
    bob = world.authenticate(world.login("bob").access_token)
    with pytest.raises(PermissionDenied):
        admin.change_user(
            AdminChange(bob, user_id=alice.user_id, role="user"),
            users=world.users,
            clock=world.clock,
            audit=world.audit,
        )
    admin.change_user(
        AdminChange(alice, user_id=bob.user_id, role="uploader"),
        users=world.users,
        clock=world.clock,
        audit=world.audit,
    )
    event = world.audit.events[-1]
    assert event.event.value == "role_change" and event.actor_id == alice.user_id
    assert event.changes == (("role", "user", "uploader"),)
    with pytest.raises(NotFound):
        admin.change_user(
            AdminChange(alice, user_id="no/such", role="user"),
            users=world.users,
            clock=world.clock,
            audit=world.audit,
        )


def test_admin_delete_is_audited_with_the_actor(world: World) -> None:
    alice = world.authenticate(world.login("alice").access_token)
    carol = world.authenticate(world.login("carol").access_token)
    admin.remove_user(
        RemoveUser(alice, carol.user_id), users=world.users, clock=world.clock, audit=world.audit
    )
    event = world.audit.events[-1]
    assert (event.event.value, event.user_id, event.actor_id) == (
        "account_deletion",
        carol.user_id,
        alice.user_id,
    )
    with pytest.raises(NotFound):
        admin.show_user(ShowUser(alice, carol.user_id), users=world.users)
