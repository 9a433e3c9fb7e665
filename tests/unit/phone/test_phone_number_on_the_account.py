"""An account's phone number (docs/reference/phone.md): E.164 and proven only by a code, so
the entity takes no other form, and the API shows it where it shows the address: to the
account itself and to admins, never to another account."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bootstrap.accounts import AccountsAdapters
from domain.accounts.identities import PhoneNumber
from domain.errors import InvalidInput
from tests.support.api import admin_token, bearer, login, register
from tests.support.app import World

pytestmark = pytest.mark.unit
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("number", ["0612345678", "+0612345678", "+33 6 12", "+3361234567890123"])
def test_only_an_e164_number_is_proven(number: str) -> None:
    world = World()
    account = register(world.client)
    user = world.adapters.of(AccountsAdapters).users.get(account["id"])
    assert user is not None
    with pytest.raises(InvalidInput) as info:
        user.with_part(PhoneNumber.proven_as(number), NOW)
    assert info.value.code == "invalid_phone_number"


def test_the_account_and_admins_see_the_number_others_do_not() -> None:
    world = World()
    alice = register(world.client)
    assert (alice["phone_number"], alice["phone_number_verified"]) == (None, False)
    world.adapters.of(AccountsAdapters).users.update(
        alice["id"], lambda u: u.with_part(PhoneNumber.proven_as("+33612345678"), NOW)
    )
    own = world.client.get("/user", headers=bearer(login(world.client))).get_json()
    assert (own["phone_number"], own["phone_number_verified"]) == ("+33612345678", True)
    register(world.client, "bob")
    seen = world.client.get(f"/users/{alice['id']}", headers=bearer(login(world.client, "bob")))
    assert seen.status_code == 200 and set(seen.get_json()) == {"id", "username"}
    admin = admin_token(world.app, world.client)
    shown = world.client.get(f"/users/{alice['id']}", headers=admin).get_json()
    assert (shown["phone_number"], shown["phone_number_verified"]) == ("+33612345678", True)
