"""A guest of the core's, signed in, and the check that a refused way in left it as it was:
for the accounts' test that every upgrade passes one door
(tests/unit/accounts/test_every_guest_upgrade_passes_one_door.py) and a unit's test of its
own way refused to a guest (tests/unit/phone/test_a_guests_texted_code.py). The guest is made
without the guests unit, whose way in is only one door to it
(docs/decisions/0760-the-guest-way-in-is-a-unit.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient

from application.signin.services import SigninServices
from application.signin.sign_in import SignInRequest
from bootstrap.accounts import AccountsAdapters
from bootstrap.hooks import HooksAdapters
from bootstrap.signin_adapters import SigninAdapters
from domain.accounts.guest.part import Guest as GuestPart
from domain.accounts.identities import PhoneNumber
from domain.accounts.signups import ALLOWED
from domain.accounts.users import User
from domain.ids import new_id
from tests.fakes.hooks import FakeHookClient
from tests.support.api import assert_problem, bearer
from tests.support.app import World

SEPARATOR = "~"  # the session cookie's, between the access and the refresh token


@dataclass
class Guest:
    """A guest of ``world``, signed in: its id, its tokens, and its sessions when the way was
    started."""

    world: World
    id: str
    access_token: str
    refresh_token: str
    sessions: set[str]

    @property
    def auth(self) -> dict[str, str]:
        return bearer(self.access_token)

    def browser(self, client: FlaskClient | None = None) -> FlaskClient:
        """A browser signed in as the guest (its session cookie)."""
        browser = client or self.world.app.test_client()
        browser.set_cookie("firegate_session", self.access_token + SEPARATOR + self.refresh_token)
        return browser


def sessions_of(world: World, user_id: str) -> set[str]:
    return {s.id for s in world.store.sessions.values() if s.user_id == user_id}


def new_guest(world: World) -> Guest:
    """A guest made as ``POST /auth/guest`` makes one, whatever the world's sign-up mode (a
    closed one refuses new guests, not the upgrade of one made before), signed in."""
    user = User.new_guest(id=new_id(), now=world.clock.now(), admitted=ALLOWED)
    world.adapters.of(AccountsAdapters).users.add(user)
    pair = world.services.of(SigninServices).sign_in(
        SignInRequest(user, (), "tests", method="guest")
    )
    return Guest(world, user.id, pair.access_token, pair.refresh_token, set())


def receiver(world: World) -> FakeHookClient:
    """The fake that answers, and notes, the world's auth hook calls."""
    client = world.adapters.of(HooksAdapters).hook_client
    assert isinstance(client, FakeHookClient)
    return client


def still_a_guest(guest: Guest) -> None:
    """The guest as it was: a guest with no way in of its own, and no session but those it
    had when the way was started."""
    world = guest.world
    stored = world.store.users[guest.id]
    assert stored.part(GuestPart).is_guest and stored.deleted_at is None
    assert (stored.username, stored.email, stored.part(PhoneNumber).number) == (None, None, None)
    assert stored.password_hash is None
    for claims in (world.store.usernames, world.store.emails, world.store.phone_numbers):
        assert guest.id not in claims.values()
    assert guest.id not in world.store.identities.values()
    assert world.adapters.of(SigninAdapters).passkeys.list_for_user(guest.id, 10) == []
    assert sessions_of(world, guest.id) == guest.sessions
    me = world.client.get("/user", headers=guest.auth)
    assert me.status_code == 200 and me.get_json()["guest"] is True


def refused_to_the_guest(answer: Any) -> None:
    """403 ``guest_upgrade_required``, which tells the guest where it upgrades."""
    body = assert_problem(answer, 403, "guest_upgrade_required")
    assert "/auth/guest/upgrade" in body["detail"]
