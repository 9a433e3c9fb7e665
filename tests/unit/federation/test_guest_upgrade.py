"""A guest becoming the account an identity signs up (``become_account``, docs/guests.md,
"Upgrading in place"), on the fakes: the same id, the sign-up's rules and hook, and
``AccountExists`` for a way in that is another account's."""

from __future__ import annotations

from dataclasses import replace

import pytest

from application.accounts.signups import Register, Signups
from application.federation.guest import become_account
from application.federation.linking import ExternalSignIn
from application.ports import Audit, ExternalIdentity
from domain.accounts.credentials import Email
from domain.accounts.guest.part import Guest
from domain.accounts.guest.refusals import AccountExists, NotAGuest
from domain.accounts.signups import (
    ALLOWED,
    Refusal,
    SignUpAttempt,
    SignUpDenied,
    SignupMode,
    SignupNotAllowed,
    SignupPolicy,
    SignUpVerdict,
    domains,
)
from domain.accounts.users import User
from domain.errors import PermissionDenied
from domain.ids import new_id
from tests.support.api import PASSWORD
from tests.support.linking import ADDRESS, World, identity

pytestmark = pytest.mark.unit


def guest_in(world: World) -> User:
    guest = User.new_guest(id=new_id(), now=world.clock.now(), admitted=ALLOWED)
    world.users.add(guest)
    return guest


def signing_in(who: ExternalIdentity) -> ExternalSignIn:
    return ExternalSignIn(who, "github", "GitHub", user_agent="cli/2")


def test_the_guest_becomes_the_account_the_identity_signs_up_keeping_its_id() -> None:
    world = World()
    guest = guest_in(world)
    user = become_account(world.links, guest.id, signing_in(identity())).user
    assert user == world.store.users[guest.id]
    assert (user.id, user.part(Guest).is_guest, user.email) == (guest.id, False, Email(ADDRESS))
    assert user.username is not None and user.username.value == "ada"
    assert user.email_verified and user.full_name == "Ada Lovelace"
    assert user.token_version == guest.token_version  # its sessions go on
    assert world.identities.find_by_identity("github", "gh-1") == user
    assert world.users.find_by_login(ADDRESS) == user
    assert world.reasons(Audit.IDENTITY_LINKED) == [(guest.id, "github")]
    assert world.proven == [guest.id] and world.registered == []
    # Again with the same identity (a retry): the account it is linked to, as it is.
    assert become_account(world.links, guest.id, signing_in(identity())).user == user


def test_an_identity_linked_to_another_account_is_account_exists() -> None:
    world = World()
    owner = world.account_of(world.arrive(identity()))
    guest = guest_in(world)
    with pytest.raises(AccountExists) as exists:
        become_account(world.links, guest.id, signing_in(identity()))
    assert (exists.value.guest_id, exists.value.owner_id) == (guest.id, owner.id)
    assert exists.value.code == "account_exists"
    assert world.store.users[guest.id] == guest


@pytest.mark.parametrize("proven", [False, True])
def test_an_address_another_account_holds_is_account_exists(proven: bool) -> None:
    world = World()
    holder = world.squatter(proven=proven)
    guest = guest_in(world)
    with pytest.raises(AccountExists) as exists:
        become_account(world.links, guest.id, signing_in(identity(email="ADA@example.com")))
    assert exists.value.owner_id == holder.id
    assert world.store.users[guest.id] == guest
    assert world.identities.find_by_identity("github", "gh-1") is None


def test_an_account_that_is_no_guest_is_not_upgraded() -> None:
    world = World()
    person = world.account_cases().register(
        Register(username="bob", email="bob@example.com", password=PASSWORD, client_ip="")
    )
    with pytest.raises(NotAGuest) as refused:
        become_account(world.links, person.id, signing_in(identity()))
    assert refused.value.code == "not_a_guest"
    assert world.identities.find_by_identity("github", "gh-1") is None


@pytest.mark.parametrize(
    ("policy", "reason"),
    [
        (SignupPolicy(mode=SignupMode.CLOSED), Refusal.CLOSED),
        (SignupPolicy(mode=SignupMode.INVITE_ONLY), Refusal.INVITATION_REQUIRED),
        (SignupPolicy(block=domains(["example.com"])), Refusal.DOMAIN_BLOCKED),
        (SignupPolicy(allow=domains(["corp.example"])), Refusal.DOMAIN_NOT_ALLOWED),
    ],
)
def test_who_may_sign_up_applies_to_the_upgrade(policy: SignupPolicy, reason: Refusal) -> None:
    world = World()
    guest = guest_in(world)
    links = world.linking(mail=True, signups=Signups(policy=policy, audit=world.audit))
    with pytest.raises(SignupNotAllowed) as refused:
        become_account(links, guest.id, signing_in(identity()))
    assert refused.value.reason is reason
    assert world.store.users[guest.id] == guest
    assert world.identities.find_by_identity("github", "gh-1") is None


class Hook:
    def __init__(self, verdict: SignUpVerdict) -> None:
        self.verdict = verdict
        self.asked: list[SignUpAttempt] = []

    def before_sign_up(self, attempt: SignUpAttempt) -> SignUpVerdict:
        self.asked.append(attempt)
        return self.verdict


def test_the_before_sign_up_hook_is_asked_and_its_names_taken() -> None:
    world = World()
    guest = guest_in(world)
    hook = Hook(SignUpVerdict(allowed=True, name="Augusta", last_name="King"))
    links = world.linking(mail=True, signups=Signups(policy=SignupPolicy(), audit=None, hook=hook))
    user = become_account(links, guest.id, signing_in(identity())).user
    assert (user.name, user.last_name) == ("Augusta", "King")
    [asked] = hook.asked
    assert (asked.method, asked.email, asked.provider) == ("upstream", ADDRESS, "github")


def test_a_hook_that_refuses_leaves_the_guest() -> None:
    world = World()
    guest = guest_in(world)
    hook = Hook(SignUpVerdict(allowed=False, message="Not today."))
    links = world.linking(mail=True, signups=Signups(policy=SignupPolicy(), audit=None, hook=hook))
    with pytest.raises(SignUpDenied):
        become_account(links, guest.id, signing_in(identity()))
    assert world.store.users[guest.id] == guest


def test_an_unverified_address_is_taken_unproven_where_the_way_makes_such_accounts() -> None:
    world = World()
    guest = guest_in(world)
    user = become_account(world.links, guest.id, signing_in(identity(verified=False))).user
    assert not user.email_verified and not user.part(Guest).is_guest
    assert world.registered == [f"{guest.id} GitHub"]  # its verification mail
    other = guest_in(world)
    strict = replace(signing_in(identity("gh-2", "eve@example.com", verified=False)))
    with pytest.raises(PermissionDenied) as refused:
        become_account(world.linking(mail=False), other.id, strict)
    assert refused.value.code == "email_not_verified"
    firebase_like = replace(strict, unverified_accounts=False)
    with pytest.raises(PermissionDenied):
        become_account(world.links, other.id, firebase_like)
    assert world.store.users[other.id] == other


def test_a_taken_username_gives_the_next_one() -> None:
    world = World()
    world.account_cases().register(
        Register(username="ada", email="someone@example.org", password=PASSWORD, client_ip="")
    )
    guest = guest_in(world)
    user = become_account(world.links, guest.id, signing_in(identity())).user
    assert user.username is not None and user.username.value.startswith("ada_")
