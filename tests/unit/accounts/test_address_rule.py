"""One rule for an address given now, at every entry: an address on a special-use name
(``.test``, ``.local``, ...) is taken on a domain an org has verified (the org's own where the
address is given in or for it), or anywhere in the local profile; refused with 422
``special_use_email`` (400 in SCIM's error schema) else
(docs/decisions/0463-one-address-rule.md)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from application.accounts.addresses import AddressRule
from application.migration.importing import ImportFile, ImportUsers, Position
from application.migration.services import MigrationServices
from application.sso.arrival import _address as asserted_address
from bootstrap.accounts import AccountsAdapters
from domain.accounts.users import Role
from domain.errors import InvalidInput
from infrastructure.accounts.email_syntax import EmailValidatorSyntax
from tests.support.api import PASSWORD, assert_problem, bearer, login, register
from tests.support.app import World
from tests.support.pages import csrf
from tests.support.scim import USERS, directory, user_body, verified
from tests.support.settings import PRODUCTION_SETTINGS

pytestmark = pytest.mark.unit

CAROL = "carol@acme.test"


class Holders:
    def __init__(self, held: dict[str, str]) -> None:
        self.held = held

    def org_for(self, domain: str) -> str | None:
        return self.held.get(domain.lower())


def rule(*, local: bool = False, held: dict[str, str] | None = None) -> AddressRule:
    holders = Holders(held or {})
    return AddressRule(syntax=EmailValidatorSyntax(), domains=holders, local=local)


def refused_code(check: Any) -> str:
    with pytest.raises(InvalidInput) as refused:
        check()
    return refused.value.errors[0].code


@pytest.mark.parametrize(
    "address", [CAROL, "ann@corp.local", "bo@Sub.Acme.TEST", "x@printer.localhost", "y@a.onion"]
)
def test_a_special_use_name_is_refused_unless_a_verified_domain_or_the_local_profile_holds_it(
    address: str,
) -> None:
    domain = address.rpartition("@")[2].lower()
    assert refused_code(lambda: rule().new(address)) == "special_use_email"
    assert rule(local=True).new(address).value == address
    held = rule(held={domain: "org1"})
    assert held.new(address).value == address  # any org's, where the write is no org's
    assert held.new(address, "org1").value == address  # the org's own
    assert refused_code(lambda: held.new(address, "org2")) == "special_use_email"


def test_the_syntax_is_one_check_with_one_code_and_an_ordinary_domain_passes() -> None:
    assert rule().new("dana@example.com").value == "dana@example.com"
    for bad in ("no-at-sign", "a..b@example.com", "a@b", " lead@example.com"):
        assert refused_code(lambda bad=bad: rule(local=True).new(bad)) == "invalid_email"
    field = rule()
    with pytest.raises(InvalidInput) as refused:
        field.new(CAROL, field="emails")
    assert refused.value.errors[0].field == "emails"


def production() -> World:
    return World(**PRODUCTION_SETTINGS)


def org_with_domain(world: World, domain: str | None = "acme.test") -> tuple[str, dict[str, str]]:
    """alice's org acme (its id and her headers), which verified ``domain``."""
    register(world.client, "alice")
    alice = bearer(login(world.client, "alice"))
    made = world.client.post("/orgs", json={"slug": "acme", "name": "Acme"}, headers=alice)
    assert made.status_code == 201, made.get_json()
    org_id: str = made.get_json()["id"]
    if domain is not None:
        verified(world, org_id, domain)
    return org_id, alice


def sign_up(world: World, address: str) -> int:
    body = {"username": "carol", "email": address, "password": PASSWORD}
    answer = world.client.post("/register", json=body)
    if answer.status_code != 201:
        assert_problem(answer, 422, "special_use_email")
    return answer.status_code


def test_post_register_takes_a_special_use_name_on_a_verified_domain_only() -> None:
    world = production()
    assert sign_up(world, CAROL) == 422
    org_with_domain(world)
    assert sign_up(world, CAROL) == 201


def test_the_sign_up_page_follows_the_same_rule() -> None:
    world = production()
    browser = world.app.test_client()
    form = {"username": "carol", "email": CAROL, "password": PASSWORD}
    answer = browser.post("/sign-up", data={**form, "csrf_token": csrf(browser, "/sign-up")})
    assert answer.status_code == 422
    assert "special-use name" in answer.get_data(as_text=True)
    assert world.adapters.of(AccountsAdapters).users.find_by_login(CAROL) is None


def test_a_profiles_new_address_follows_the_rule() -> None:
    world = production()
    register(world.client, "dana")
    dana = bearer(login(world.client, "dana"))
    answer = world.client.patch("/user", json={"email": "dana@corp.local"}, headers=dana)
    assert_problem(answer, 422, "special_use_email")


def test_an_org_invitation_by_api_takes_the_orgs_own_verified_special_use_domain() -> None:
    world = production()
    _, alice = org_with_domain(world)
    invite = "/orgs/acme/invitations"
    made = world.client.post(invite, json={"email": CAROL, "roles": ["member"]}, headers=alice)
    assert made.status_code == 201, made.get_json()
    eve = {"email": "eve@other.test", "roles": ["member"]}
    other = world.client.post(invite, json=eve, headers=alice)
    assert_problem(other, 422, "special_use_email")


def test_an_admins_invitation_follows_the_rule() -> None:
    world = production()
    root = register(world.client, "root")
    now = world.clock.now()
    world.adapters.of(AccountsAdapters).users.update(
        root["id"], lambda u: u.with_role(Role.ADMIN, now)
    )
    headers = bearer(login(world.client, "root"))
    body = {"username": "carol", "email": CAROL}
    refused = world.client.post("/users/invitations", json=body, headers=headers)
    assert_problem(refused, 422, "special_use_email")
    org_with_domain(world)
    made = world.client.post("/users/invitations", json=body, headers=headers)
    assert made.status_code == 201, made.get_json()


def test_scim_emails_on_the_orgs_verified_special_use_domain_are_provisioned() -> None:
    world = production()
    acme = directory(world.client)
    verified(world, acme.org_id, "acme.test")
    made = world.client.post(USERS, json=user_body(CAROL), headers=acme.auth)
    assert made.status_code == 201, made.get_data(as_text=True)
    account = world.adapters.of(AccountsAdapters).users.get(made.get_json(force=True)["id"])
    assert account is not None and account.email is not None
    assert (account.email.value, account.email_verified) == (CAROL, True)
    # A special-use name the org has not verified is refused, with the rule's code.
    other = world.client.post(USERS, json=user_body("eve@corp.local"), headers=acme.auth)
    assert other.status_code == 400
    assert other.get_json(force=True)["detail"].startswith("special_use_email")


def test_the_users_import_follows_the_rule() -> None:
    world = production()
    records: list[tuple[Position, Any]] = [
        (("line", 1), {"id": "u1", "username": "carol", "email": CAROL}),
        (("line", 2), {"id": "u2", "username": "dan", "email": "dan@example.com"}),
    ]
    summary = world.services.of(MigrationServices).users.import_users(
        ImportFile(ImportUsers("jsonl"), records)
    )
    assert (summary.imported, summary.failed) == (1, 1)
    assert "special_use_email" in json.dumps(summary.errors)


def test_a_connections_asserted_address_follows_the_rule_with_the_connections_org() -> None:
    """An address the org has not verified on a special-use name is not taken: the person
    arrives without one, as with an opaque NameID."""
    held = rule(held={"acme.test": "org1"})
    assert asserted_address(CAROL, "org1", held) == CAROL
    assert asserted_address(CAROL, "org2", held) is None
    assert asserted_address("ann@corp.local", "org1", held) is None
