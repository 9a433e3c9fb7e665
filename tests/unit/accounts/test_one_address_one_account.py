"""One address, one account, whatever its letters (docs/security.md, "One address, one
account"; docs/decisions/0493-one-address-one-account.md): an address's key is its local part
case-folded and its domain's IDNA 2008 A-label, never folded; an address whose letters fold
onto another's (``ß``, final ``ς``, full-width letters) is refused at every entry; a code is
mailed to the address the account stored, never to the spelling asked for."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from application.accounts.addresses import EMAIL_NOT_ALLOWED
from application.migration.importing import ImportFile, ImportUsers, Position
from application.migration.services import MigrationServices
from application.sso.arrival import _address as asserted_address
from bootstrap.accounts import AccountsAdapters
from bootstrap.accounts_rules import address_rule
from domain.accounts.credentials import Email, address_key, folds_onto_another, login_key
from domain.accounts.users import Role
from domain.errors import PermissionDenied
from tests.support.api import PASSWORD, assert_problem, bearer, login, register
from tests.support.app import World
from tests.support.email_codes import code_in
from tests.support.linking import World as LinkingWorld
from tests.support.linking import identity
from tests.support.pages import csrf
from tests.support.scim import USERS, directory, user_body, verified
from tests.support.settings import make_settings

pytestmark = pytest.mark.unit

SS, SZ = "bob@glass-x.net", "bob@glaß-x.net"


@pytest.mark.parametrize(
    ("one", "other", "same"),
    [
        (SS, SZ, False),  # glaß-x.net is another domain: its A-label is xn--gla-x-nqa.net
        ("bob@σοφος.gr", "bob@σοφοσ.gr", False),  # final and medial sigma name two domains
        ("Bob@Example.COM", "bob@example.com", True),
        ("ann@Bücher.example", "ann@xn--bcher-kva.example", True),
        ("ann@BÜCHER.example", "ann@bücher.example", True),
        ("boß@x.de", "boss@x.de", True),  # a local part folds: such an address is refused new
    ],
)
def test_the_key_folds_the_local_part_and_takes_the_domains_a_label(
    one: str, other: str, same: bool
) -> None:
    assert (address_key(one) == address_key(other)) is same
    assert (Email(one).normalized == Email(other).normalized) is same
    assert login_key(one) == address_key(one)


@pytest.mark.parametrize(
    ("address", "folds"),
    [
        (SZ, True),
        ("bob@σοφος.gr", True),
        ("boß@x.de", True),
        ("ｂｏｂ@example.com", True),
        (SS, False),
        ("Bob@Example.COM", False),
        ("josé@bücher.example", False),
        ("jose\u0301@example.com", False),  # a decomposed é is the composed one
    ],
)
def test_an_address_folds_onto_another_when_folding_does_more_than_lower_case(
    address: str, folds: bool
) -> None:
    assert folds_onto_another(address) is folds


# -- refused at every entry ---------------------------------------------------------------------


def refusal(answer: Any) -> None:
    body = answer.get_json(force=True)
    assert answer.status_code in (400, 422), body
    assert EMAIL_NOT_ALLOWED in json.dumps(body)


def admin(world: World) -> dict[str, str]:
    root = register(world.client, "root")
    now = world.clock.now()
    world.adapters.of(AccountsAdapters).users.update(
        root["id"], lambda u: u.with_role(Role.ADMIN, now)
    )
    return bearer(login(world.client, "root"))


def by_register(world: World) -> None:
    body = {"username": "bob", "email": SZ, "password": PASSWORD}
    refusal(world.client.post("/register", json=body))


def by_page(world: World) -> None:
    form = {"username": "bob", "email": SZ, "password": PASSWORD}
    page = world.client.post(
        "/sign-up", data={**form, "csrf_token": csrf(world.client, "/sign-up")}
    )
    assert page.status_code == 422 and "case-folding" in page.get_data(as_text=True)


def by_profile(world: World) -> None:
    register(world.client, "dana")
    dana = bearer(login(world.client, "dana"))
    refusal(world.client.patch("/user", json={"email": SZ}, headers=dana))


def by_email_code(world: World) -> None:
    refusal(world.client.post("/auth/email-code", json={"email": SZ}))


def by_org_invitation(world: World) -> None:
    register(world.client, "olga")
    olga = bearer(login(world.client, "olga"))
    world.client.post("/orgs", json={"slug": "acme", "name": "Acme"}, headers=olga)
    invite = {"email": SZ, "roles": ["member"]}
    refusal(world.client.post("/orgs/acme/invitations", json=invite, headers=olga))


def by_admin_invitation(world: World) -> None:
    body = {"username": "bob", "email": SZ}
    refusal(world.client.post("/users/invitations", json=body, headers=admin(world)))


def by_scim(world: World) -> None:
    acme = directory(world.client)
    verified(world, acme.org_id, "xn--gla-x-nqa.net")
    refusal(world.client.post(USERS, json=user_body(SZ), headers=acme.auth))


def by_import(world: World) -> None:
    records: list[tuple[Position, Any]] = [(("line", 1), {"username": "bob", "email": SZ})]
    summary = world.services.of(MigrationServices).users.import_users(
        ImportFile(ImportUsers("jsonl"), records)
    )
    assert (summary.imported, summary.failed) == (0, 1)
    assert EMAIL_NOT_ALLOWED in json.dumps(summary.errors)


ENTRIES: dict[str, Callable[[World], None]] = {
    "register": by_register,
    "page": by_page,
    "profile": by_profile,
    "email_code": by_email_code,
    "org_invitation": by_org_invitation,
    "admin_invitation": by_admin_invitation,
    "scim": by_scim,
    "import": by_import,
}


@pytest.mark.parametrize("entry", list(ENTRIES))
def test_an_address_that_folds_onto_another_is_refused_at_every_entry(entry: str) -> None:
    world = World()
    ENTRIES[entry](world)
    assert world.adapters.of(AccountsAdapters).users.find_by_login(login_key(SZ)) is None


def test_a_connection_or_a_provider_asserting_such_an_address_names_no_account() -> None:
    """An IdP's asserted address of that kind is taken as none (the person arrives without
    one); a provider's identity with one makes no account and claims none."""
    rule = address_rule(make_settings())
    assert asserted_address(SZ, "org1", rule) is None
    assert asserted_address(SS, "org1", rule) == SS
    world = LinkingWorld()
    world.arrive(identity("gh-1", SS))  # the address's own holder, by their provider
    held = world.users.find_by_login(login_key(SS))
    assert held is not None
    with pytest.raises(PermissionDenied) as refused:
        world.arrive(identity("gh-2", SZ))
    assert refused.value.code == "email_not_verified"
    assert world.users.find_by_login(login_key(SS)) == held


# -- the mail goes to the account's own address ------------------------------------------------


def test_a_code_is_mailed_to_the_address_the_account_stored() -> None:
    world = World()
    register(world.client, "bob", email=SS)
    asked = world.client.post("/auth/email-code", json={"email": "BOB@Glass-X.net"})
    assert asked.status_code == 202
    world.deliver()
    code_mails = [m for m in world.mailer.sent if "/sign-in/email?" in m.text]
    assert [m.to for m in code_mails] == [SS]
    [mail] = code_mails
    body = {"flow_id": asked.get_json()["flow_id"], "code": code_in(mail.text)}
    signed_in = world.client.post("/auth/email-code/verify", json=body)
    assert signed_in.status_code == 200, signed_in.get_json()
    who = world.client.get("/user", headers=bearer(signed_in.get_json()["access_token"]))
    assert who.get_json()["username"] == "bob"


def test_a_look_alike_domains_addresses_never_sign_in_to_the_plain_ones_account() -> None:
    """The attack of the report: an account on glass-x.net; its look-alike's holder asks a
    code, signs up, is invited, is provisioned: each refused, the account untouched."""
    world = World()
    register(world.client, "bob", email=SS)
    for entry in ENTRIES.values():
        entry(World())  # each in a world of its own: the refusal needs no account
    refusal(world.client.post("/auth/email-code", json={"email": SZ}))
    world.deliver()
    assert world.mailer.to(SZ) == []
    bob = world.adapters.of(AccountsAdapters).users.find_by_login(login_key(SS))
    assert bob is not None and bob.email == Email(SS)
    assert_problem(
        world.client.post("/login", json={"username": SZ, "password": PASSWORD}),
        401,
        "invalid_credentials",
    )
