"""Deleting an org deletes the accounts it manages, on the fakes: those its SCIM or single
sign-on made that nothing made their holders' own (no password, passkey, authenticator,
identity it does not hold, nor another org); the others only lose the membership; a purge
stopped half-way is finished by the next (docs/reference/orgs.md, "Deleting an org";
docs/decisions/0468-deleting-an-org-deletes-its-accounts.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

import pytest

from application.orgs.members.members import AddMember
from application.orgs.orgs import DeleteOrg, GetOrg
from application.orgs.services import OrgServices
from application.ports import Audit
from application.signin.authentication import Actor
from bootstrap.accounts import AccountsAdapters
from bootstrap.orgs import OrgsAdapters
from bootstrap.signin_adapters import SigninAdapters
from domain.accounts.users import Role
from domain.errors import PermissionDenied
from domain.signin.mfa import TotpFactor
from domain.signin.passkeys import Passkey
from tests.support.api import bearer, login, register
from tests.support.app import World
from tests.support.saml_idp import key_pair
from tests.support.scim import directory, provisioned, signed_in_by_reset, verified
from tests.support.sso_world import CORP, SamlSso, saml_sso

pytestmark = pytest.mark.unit


@pytest.fixture
def world() -> World:
    return World()


def actor(world: World, username: str) -> Actor:
    user = world.adapters.of(AccountsAdapters).users.find_by_login(username)
    assert user is not None
    return Actor(user.id, username, Role.USER, "s1", datetime.max)


def gone(world: World, user_id: str) -> bool:
    return world.adapters.of(AccountsAdapters).users.get(user_id) is None


def memberships(world: World, user_id: str) -> list[str]:
    return [
        org.slug.value
        for org, _ in world.adapters.of(OrgsAdapters).orgs.memberships_of(user_id, 10)
    ]


def delete_acme(world: World) -> None:
    world.services.of(OrgServices).orgs.delete(DeleteOrg(actor(world, "alice"), "acme"))
    world.deliver()


# What a person may have done with an account the org's directory made, and whether the org
# still manages it after that.
Ownership = Callable[[World, str], None]


def nothing(world: World, user_id: str) -> None:
    return None


def a_password(world: World, user_id: str) -> None:
    user = world.adapters.of(AccountsAdapters).users.get(user_id)
    assert user is not None and user.email is not None
    signed_in_by_reset(world, user.email.value, user.shown_name)


def a_passkey(world: World, user_id: str) -> None:
    key = Passkey.create(
        user_id=user_id,
        credential_id=b"credential",
        public_key=b"key",
        sign_count=0,
        name="Phone",
        now=world.clock.now(),
    )
    world.adapters.of(SigninAdapters).passkeys.add(key)


def an_authenticator(world: World, user_id: str) -> None:
    factors = world.adapters.of(SigninAdapters).factors
    factors.begin(TotpFactor.pending(user_id=user_id, sealed_secret="s", now=world.clock.now()))
    factors.update(user_id, lambda factor: replace(factor, active=True))


def a_pending_authenticator(world: World, user_id: str) -> None:
    factors = world.adapters.of(SigninAdapters).factors
    factors.begin(TotpFactor.pending(user_id=user_id, sealed_secret="s", now=world.clock.now()))


def a_firebase_identity(world: World, user_id: str) -> None:
    linked = world.adapters.of(AccountsAdapters).identities.link_existing(
        user_id, "firebase", "firebase-subject", lambda user: user
    )
    assert linked is not None


def another_org(world: World, user_id: str) -> None:
    register(world.client, "bea")
    bea = bearer(login(world.client, "bea"))
    made = world.client.post("/orgs", json={"slug": "other", "name": "Other"}, headers=bea)
    assert made.status_code == 201
    user = world.adapters.of(AccountsAdapters).users.get(user_id)
    assert user is not None
    world.services.of(OrgServices).members.add_member(
        AddMember("other", user.shown_name, ("member",))
    )


@pytest.mark.parametrize(
    ("done", "managed"),
    [
        (nothing, True),
        (a_pending_authenticator, True),  # not set up: no way in
        (a_password, False),
        (a_passkey, False),
        (an_authenticator, False),
        (a_firebase_identity, False),
        (another_org, False),
    ],
    ids=lambda value: value.__name__ if callable(value) else str(value),
)
def test_an_account_its_directory_made_goes_with_the_org_unless_made_its_own(
    world: World, done: Ownership, *, managed: bool
) -> None:
    acme = directory(world.client)
    verified(world, acme.org_id)
    user_id = provisioned(world, acme, "mia@example.com")
    done(world, user_id)
    alice = actor(world, "alice")
    assert world.services.of(OrgServices).orgs.managed_accounts(GetOrg(alice, "acme")) == int(
        managed
    )

    delete_acme(world)

    assert gone(world, user_id) is managed
    if not managed:
        assert "acme" not in memberships(world, user_id)
        assert (
            world.adapters.of(AccountsAdapters).users.find_by_login("mia@example.com") is not None
        )


def test_an_ordinary_member_only_loses_the_membership(world: World) -> None:
    directory(world.client)
    register(world.client, "bob")
    world.services.of(OrgServices).members.add_member(AddMember("acme", "bob", ("member",)))
    bob = world.adapters.of(AccountsAdapters).users.find_by_login("bob")
    assert bob is not None
    assert (
        world.services.of(OrgServices).orgs.managed_accounts(GetOrg(actor(world, "alice"), "acme"))
        == 0
    )
    delete_acme(world)
    assert not gone(world, bob.id) and memberships(world, bob.id) == []
    assert not gone(world, actor(world, "alice").user_id)


def test_the_deleted_accounts_go_by_the_account_deletion(world: World) -> None:
    """Their data, their deletion's event, and a login that finds nobody."""
    acme = directory(world.client)
    verified(world, acme.org_id)
    user_id = provisioned(world, acme, "mia@example.com")
    delete_acme(world)
    deleted = [e.user_id for e in world.audit.events if e.event is Audit.ACCOUNT_DELETION]
    assert deleted == [user_id]
    assert world.adapters.of(AccountsAdapters).users.find_by_login("mia@example.com") is None
    answer = world.client.post("/login", json={"username": "mia@example.com", "password": "x" * 12})
    assert answer.status_code == 401


def test_only_its_owners_read_the_count(world: World) -> None:
    """Those who may delete the org: an admin may not (403)."""
    directory(world.client)
    register(world.client, "bob")
    world.services.of(OrgServices).members.add_member(AddMember("acme", "bob", ("admin",)))
    with pytest.raises(PermissionDenied):
        world.services.of(OrgServices).orgs.managed_accounts(GetOrg(actor(world, "bob"), "acme"))


def test_a_purge_stopped_half_way_is_finished_by_the_next(world: World) -> None:
    acme = directory(world.client)
    verified(world, acme.org_id)
    first = provisioned(world, acme, "mia@example.com")
    second = provisioned(world, acme, "max@example.com")
    users = world.adapters.of(AccountsAdapters).users
    # The first account's deletion stopped after its tombstone, and the purge with it: the org
    # is deleted, its purge job not run.
    world.services.of(OrgServices).orgs.delete(DeleteOrg(actor(world, "alice"), "acme"))
    assert users.mark_deleted(first, world.clock.now()) is not None
    assert not gone(world, first) and not gone(world, second)

    world.deliver()  # the purge, run (again)

    assert gone(world, first) and gone(world, second)
    world.deliver()  # and once more: nothing left to do
    assert world.adapters.of(OrgsAdapters).orgs.members_page(acme.org_id, None, 10) == []


@pytest.fixture
def corp() -> SamlSso:
    return saml_sso(key_pair())


def test_an_account_its_single_sign_on_made_goes_with_the_org(corp: SamlSso) -> None:
    world = corp.world
    browser = world.app.test_client()
    assert corp.sign_in(browser, f"ada@{CORP}").status_code == 303
    ada = corp.user_of(f"ada@{CORP}")
    assert ada is not None and ada.password_hash is None
    assert corp.sign_in(world.app.test_client(), f"pat@{CORP}").status_code == 303
    pat = corp.user_of(f"pat@{CORP}")
    signed_in_by_reset(world, f"pat@{CORP}", pat.username.value)  # made it their own
    olga = actor(world, "olga")
    assert world.services.of(OrgServices).orgs.managed_accounts(GetOrg(olga, "corp")) == 1

    world.services.of(OrgServices).orgs.delete(DeleteOrg(olga, "corp"))
    world.deliver()

    assert world.adapters.of(AccountsAdapters).users.get(ada.id) is None
    assert world.adapters.of(AccountsAdapters).identities.list_for(ada.id) == []
    assert world.adapters.of(AccountsAdapters).users.get(pat.id) is not None
    assert memberships(world, pat.id) == []
