"""Admin use cases on fakes: who sees what, who may change what, and the audit trail."""

from __future__ import annotations

import pytest

from application.accounts.admin import (
    AdminChange,
    RemoveUser,
    SetRole,
    ShowUser,
    UserListing,
    UserQuery,
)
from application.pagination import Page
from application.signin.authentication import Actor
from application.signin.sessions import EndUserSessions
from domain.accounts.credentials import Email, Username
from domain.accounts.signups import ALLOWED
from domain.accounts.users import User
from domain.errors import InvalidInput, NotFound, PermissionDenied, Unauthenticated
from domain.ids import new_id
from tests.support.use_cases import World

pytestmark = pytest.mark.unit


@pytest.fixture
def world() -> World:
    w = World()
    for name in ("alice", "bob", "carol"):
        w.register(name)
    w.admin_cases().set_role(SetRole("alice", "admin"))
    return w


def test_listing_shows_public_fields_except_to_self_and_admins(world: World) -> None:
    bob = world.authenticate(world.login("bob").access_token)
    page = world.admin_cases().list_users(UserQuery(bob, 10, None))
    assert {(i.user.shown_name, i.full) for i in page.items} == {
        ("alice", False),
        ("bob", True),
        ("carol", False),
    }
    alice = world.authenticate(world.login("alice").access_token)
    assert all(i.full for i in world.admin_cases().list_users(UserQuery(alice, 10, None)).items)


def test_pages_chain_through_cursors(world: World) -> None:
    actor = world.authenticate(world.login("bob").access_token)
    first = world.admin_cases().list_users(UserQuery(actor, 2, None))
    assert len(first.items) == 2 and first.next_cursor
    second = world.admin_cases().list_users(UserQuery(actor, 2, first.next_cursor))
    assert len(second.items) == 1 and second.next_cursor is None
    with pytest.raises(InvalidInput):
        world.admin_cases().list_users(UserQuery(actor, 2, "bm90IGEgY3Vyc29y"))


def test_only_admins_change_and_changes_are_audited(world: World) -> None:
    alice = world.authenticate(world.login("alice").access_token)
    bob = world.authenticate(world.login("bob").access_token)
    with pytest.raises(PermissionDenied):
        world.admin_cases().change_user(AdminChange(bob, user_id=alice.user_id, role="user"))
    world.admin_cases().change_user(AdminChange(alice, user_id=bob.user_id, role="uploader"))
    event = world.audit.events[-1]
    assert event.event.value == "role_change" and event.actor_id == alice.user_id
    assert event.changes == (("role", "user", "uploader"),)
    with pytest.raises(NotFound):
        world.admin_cases().change_user(AdminChange(alice, user_id="no/such", role="user"))


def test_admin_delete_is_audited_with_the_actor(world: World) -> None:
    alice = world.authenticate(world.login("alice").access_token)
    carol = world.authenticate(world.login("carol").access_token)
    world.admin_cases().remove_user(RemoveUser(alice, carol.user_id))
    event = world.audit.events[-1]
    assert (event.event.value, event.user_id, event.actor_id) == (
        "account_deletion",
        carol.user_id,
        alice.user_id,
    )
    with pytest.raises(NotFound):
        world.admin_cases().show_user(ShowUser(alice, carol.user_id))


def search(
    world: World, actor: Actor, prefix: str, limit: int = 10, cursor: str | None = None
) -> Page[UserListing]:
    return world.admin_cases().list_users(UserQuery(actor, limit, cursor, prefix=prefix))


def names(page: Page[UserListing]) -> list[str]:
    return [item.user.shown_name for item in page.items]


def test_admins_search_by_username_or_address_prefix(world: World) -> None:
    world.register("Albert", "bert@other.org")
    alice = world.authenticate(world.login("alice").access_token)
    # Case and look-alikes aside, as the claims compare names; in the key's order.
    assert names(search(world, alice, "AL")) == ["Albert", "alice"]
    assert names(search(world, alice, " al ")) == ["Albert", "alice"]
    assert names(search(world, alice, "c")) == ["carol"]
    assert names(search(world, alice, "")) == ["Albert", "alice", "bob", "carol"]
    # With an '@', the address: "bert@" is Albert's, not a username's.
    assert names(search(world, alice, "BERT@")) == ["Albert"]
    assert names(search(world, alice, "bob@ex")) == ["bob"]
    assert names(search(world, alice, "bert")) == []
    assert all(item.full for item in search(world, alice, "").items)


def test_a_search_pages_through_cursors(world: World) -> None:
    for name in ("bea", "ben", "bert"):
        world.register(name)
    alice = world.authenticate(world.login("alice").access_token)
    first = search(world, alice, "b", limit=2)
    assert names(first) == ["bea", "ben"] and first.next_cursor
    second = search(world, alice, "b", limit=2, cursor=first.next_cursor)
    assert names(second) == ["bert", "bob"] and second.next_cursor is None
    # A cursor of another search, or of the id-ordered list, is not this one's.
    with pytest.raises(InvalidInput):
        search(world, alice, "c", limit=2, cursor=first.next_cursor)
    with pytest.raises(InvalidInput):
        search(world, alice, "b", cursor="bm90IGEgY3Vyc29y")


def test_a_long_folded_address_pages_on(world: World) -> None:
    """A folded address can pass 256 characters ("\ufb03" folds to "ffi"); the cursor that
    stands after it still leads to the next page. Such accounts are stored ones (made
    before the address rule's syntax limited a local part to 64 characters)."""
    local = "\ufb03" * 90  # 270 characters folded
    for name, domain in (("fia", "a.example"), ("fib", "b.example")):
        now = world.clock.now()
        email = Email(f"{local}@{domain}")
        user = User.register(
            admitted=ALLOWED,
            id=new_id(),
            username=Username(name),
            email=email,
            password_hash="h",
            now=now,
        )
        world.users.add(user)
    alice = world.authenticate(world.login("alice").access_token)
    first = search(world, alice, local + "@", limit=1)
    assert names(first) == ["fia"] and first.next_cursor
    second = search(world, alice, local + "@", limit=1, cursor=first.next_cursor)
    assert names(second) == ["fib"] and second.next_cursor is None


def test_only_admins_search(world: World) -> None:
    bob = world.authenticate(world.login("bob").access_token)
    for prefix in ("", "a", "alice@"):
        with pytest.raises(PermissionDenied):
            search(world, bob, prefix)


def test_the_admin_view_of_a_user_is_admins_only(world: World) -> None:
    alice = world.authenticate(world.login("alice").access_token)
    bob = world.authenticate(world.login("bob").access_token)
    with pytest.raises(PermissionDenied):
        world.admin_cases().show_user(ShowUser(bob, alice.user_id, as_admin=True))
    shown = world.admin_cases().show_user(ShowUser(alice, bob.user_id, as_admin=True))
    assert shown.full and shown.user.shown_name == "bob"


def test_an_admin_ends_every_session_of_a_user(world: World) -> None:
    alice = world.authenticate(world.login("alice").access_token)
    bob_tokens = [world.login("bob").access_token for _ in range(2)]
    carol = world.login("carol").access_token
    bob_id = world.authenticate(bob_tokens[0]).user_id
    with pytest.raises(PermissionDenied):
        end_sessions(world, world.authenticate(carol), bob_id)
    end_sessions(world, alice, bob_id)
    for token in bob_tokens:
        with pytest.raises(Unauthenticated):
            world.authenticate(token)
    assert world.authenticate(carol).username == "carol"
    assert not [s for s in world.store.sessions.values() if s.user_id == bob_id]
    event = world.audit.events[-1]
    assert (event.event.value, event.user_id, event.actor_id, event.reason) == (
        "logout",
        bob_id,
        alice.user_id,
        "all_sessions",
    )
    with pytest.raises(NotFound):
        end_sessions(world, alice, "no-such-user")


def end_sessions(world: World, actor: Actor, user_id: str) -> None:
    world.session_cases().end_for_user(EndUserSessions(actor, user_id))
