"""A directory changes a user's ``userName`` or ``emails`` (PUT, PATCH), on the fakes: an
account the org manages takes the new address when it is on the org's verified domains and
no other account's; one it does not manage keeps its own, only the SCIM record changes
(docs/reference/scim.md, "Users"; docs/decisions/0428-a-directory-moves-a-managed-address.md)."""

from __future__ import annotations

from typing import Any

import pytest

from application.ports import Audit
from bootstrap.accounts import AccountsAdapters
from tests.support import scim
from tests.support.api import bearer, login, register
from tests.support.app import World
from tests.support.scim import USERS, Directory, provisioned, user_body

pytestmark = pytest.mark.unit


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def acme(world: World) -> Directory:
    """The org, its directory's token, and example.com verified."""
    made = scim.directory(world.client)
    scim.verified(world, made.org_id)
    return made


def record(world: World, acme: Directory, user_id: str) -> dict[str, Any]:
    answer = world.client.get(f"{USERS}/{user_id}", headers=acme.auth)
    assert answer.status_code == 200
    found: dict[str, Any] = answer.get_json(force=True)
    return found


def put(world: World, acme: Directory, user_id: str, body: dict[str, object]) -> Any:
    return world.client.put(f"{USERS}/{user_id}", json=body, headers=acme.auth)


def address_of(world: World, user_id: str) -> tuple[str | None, bool, int]:
    account = world.adapters.of(AccountsAdapters).users.get(user_id)
    assert account is not None
    email = account.email.value if account.email else None
    return email, account.email_verified, account.email_version


def test_a_managed_accounts_new_user_name_becomes_its_proven_address(
    world: World, acme: Directory
) -> None:
    user_id = provisioned(world, acme, "zoe@example.com")
    account = world.adapters.of(AccountsAdapters).users.get(user_id)
    assert account is not None
    tokens = scim.signed_in_by_reset(world, "zoe@example.com", account.shown_name)
    assert address_of(world, user_id) == ("zoe@example.com", True, 0)

    renamed = put(world, acme, user_id, user_body("zoe.smith@example.com"))
    assert renamed.status_code == 200, renamed.get_data(as_text=True)
    assert address_of(world, user_id) == ("zoe.smith@example.com", True, 1)
    users = world.adapters.of(AccountsAdapters).users
    assert users.find_by_login("zoe@example.com") is None  # the old address is free
    moved = users.find_by_login("zoe.smith@example.com")
    assert moved is not None and moved.username == account.username  # the username stays
    # As an address change anywhere in firegate: the person's sessions go on
    assert world.client.get("/user", headers=bearer(tokens["access_token"])).status_code == 200
    changed = [e for e in world.audit.events if e.event is Audit.EMAIL_CHANGE]
    assert [(e.user_id, e.via, e.org_id) for e in changed] == [(user_id, "scim", acme.org_id)]


def test_a_patch_of_the_primary_email_moves_the_address(world: World, acme: Directory) -> None:
    user_id = provisioned(world, acme, "yan@example.com")
    body = scim.patch_body(
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "yan.li@example.com"}
    )
    answer = world.client.patch(f"{USERS}/{user_id}", json=body, headers=acme.auth)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert address_of(world, user_id) == ("yan.li@example.com", True, 1)
    assert record(world, acme, user_id)["userName"] == "yan@example.com"


def test_an_address_off_the_verified_domains_is_refused(world: World, acme: Directory) -> None:
    user_id = provisioned(world, acme, "xia@example.com")
    refused = put(world, acme, user_id, user_body("xia@elsewhere.example"))
    assert refused.status_code == 400
    problem = refused.get_json(force=True)
    assert problem["schemas"] == [scim.ERROR] and problem["scimType"] == "invalidValue"
    assert "email_not_on_verified_domain" in problem["detail"]
    assert record(world, acme, user_id)["userName"] == "xia@example.com"  # unchanged
    assert address_of(world, user_id) == ("xia@example.com", True, 0)


def test_an_address_another_account_holds_is_a_uniqueness_409(
    world: World, acme: Directory
) -> None:
    user_id = provisioned(world, acme, "wes@example.com")
    provisioned(world, acme, "wyn@example.com")
    taken = put(world, acme, user_id, user_body("WYN@example.com"))
    assert taken.status_code == 409
    assert taken.get_json(force=True)["scimType"] == "uniqueness"
    assert record(world, acme, user_id)["userName"] == "wes@example.com"
    assert address_of(world, user_id) == ("wes@example.com", True, 0)


def test_an_account_the_org_does_not_manage_keeps_its_address(
    world: World, acme: Directory
) -> None:
    register(world.client, "vera", email="vera@example.com")
    login(world.client, "vera")
    vera = world.adapters.of(AccountsAdapters).users.find_by_login("vera@example.com")
    assert vera is not None
    now = world.clock.now()
    world.adapters.of(AccountsAdapters).users.update(vera.id, lambda u: u.with_email_verified(now))
    assert provisioned(world, acme, "vera@example.com") == vera.id  # joined, not made

    answer = put(world, acme, vera.id, user_body("vera.new@example.com"))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert record(world, acme, vera.id)["userName"] == "vera.new@example.com"
    assert address_of(world, vera.id)[0] == "vera@example.com"
    assert not [e for e in world.audit.events if e.event is Audit.EMAIL_CHANGE]
