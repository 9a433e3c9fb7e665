"""The linking rules on their own, for a provider that is not Firebase: an external identity
finds its account (rule 1), makes one for a verified unused address (2), never links an
account by its address (3: sign in to connect), claims an unproven one with a verified proof
(4), makes an unproven account for an unverified unused address (5); then the second step
(application/federation/linking.py, docs/reference/identities.md)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from application.federation.linking import (
    ExternalSignIn,
    SignInToConnect,
)
from application.federation.upstream import UpstreamClaims, identity_of
from application.ports import Audit
from domain.errors import MfaRequired, PermissionDenied
from domain.federation.upstream import UpstreamProvider
from domain.provider.grants import Consent
from domain.signin.mfa import TotpFactor
from domain.signin.passkeys import Passkey
from tests.support.linking import ADDRESS, World, identity

pytestmark = pytest.mark.unit


@pytest.fixture
def world() -> World:
    return World()


def test_a_new_identity_with_a_verified_unused_address_makes_a_linked_account(
    world: World,
) -> None:
    user = world.account_of(world.arrive(identity()))
    assert world.store.identities == {"github:gh-1": user.id}
    assert user.email is not None and user.email.value == ADDRESS and user.email_verified
    # No preferred_username: the address's local part, never the display name.
    assert user.password_hash is None and user.shown_name == "ada"
    assert (user.name, user.full_name) == (None, "Ada Lovelace")  # whole, as given
    assert world.reasons(Audit.LOGIN) == [(user.id, "github")]


def test_a_new_accounts_username_comes_from_preferred_username_made_unique(
    world: World,
) -> None:
    named = replace(identity(), preferred_username="countess.ada")
    user = world.account_of(world.arrive(named))
    assert user.shown_name == "countess.ada" and user.full_name == "Ada Lovelace"
    # Taken: the same stem with a numeric suffix.
    other = replace(identity("gh-2", "lovelace@example.com"), preferred_username="countess.ada")
    second = world.account_of(world.arrive(other))
    assert re.fullmatch(r"countess\.ada_\d{4}", second.shown_name)


def test_upstream_claims_give_the_username_from_preferred_username() -> None:
    provider = UpstreamProvider.configure(
        id="acme",
        issuer="https://id.example.com",
        client_id="firegate",
        client_secret="s3cret",
        sealed_secret="sealed",
        now=datetime.now(UTC),
    )
    claims = UpstreamClaims("sub-1", ADDRESS, True, "Ada Lovelace", "countess.ada")
    found = identity_of(provider, claims)
    assert found.preferred_username == "countess.ada" and found.display_name == "Ada Lovelace"
    nameless = identity_of(provider, replace(claims, preferred_username=None))
    assert nameless.preferred_username is None
    # The parts of the name, where the provider gives them, arrive apart on a new account.
    parts = {"given_name": "Ada", "family_name": "Lovelace", "name": "Ada Lovelace"}
    apart = identity_of(provider, replace(claims, claims=parts))
    assert (apart.given_name, apart.family_name) == ("Ada", "Lovelace")
    world = World()
    user = world.account_of(world.arrive(replace(identity(), given_name="Ada", family_name="L")))
    assert (user.name, user.last_name, user.full_name) == ("Ada", "L", None)


def test_the_linked_account_signs_in_whatever_the_identity_says_of_its_address(
    world: World,
) -> None:
    first = world.account_of(world.arrive(identity()))
    again = world.account_of(world.arrive(identity(email="other@example.org", verified=False)))
    assert again.id == first.id and len(world.store.users) == 1


def test_the_same_subject_at_another_provider_is_another_identity(world: World) -> None:
    world.arrive(identity(email="ada@example.org"))
    world.arrive(identity(provider="gitlab"))
    assert set(world.store.identities) == {"github:gh-1", "gitlab:gh-1"}
    assert len(set(world.store.identities.values())) == 2


def test_an_unverified_unused_address_makes_an_unproven_account_and_mails_it(
    world: World,
) -> None:
    user = world.account_of(world.arrive(identity(verified=False)))
    assert user.email is not None and user.email.value == ADDRESS and not user.email_verified
    assert world.store.identities == {"github:gh-1": user.id}
    assert world.registered == [f"{user.id} GitHub"]  # rule 5: a verification mail naming it
    # Proven later by a verified sign-in of the same identity (rule 1 and the follow rule).
    assert world.account_of(world.arrive(identity())).email_verified


def test_no_unproven_account_where_no_verification_mail_can_follow(world: World) -> None:
    cmd = ExternalSignIn(identity(verified=False), "github", "GitHub")
    with pytest.raises(PermissionDenied) as refused:
        world.linking(mail=False).sign_in_external(cmd, world.step())
    assert refused.value.code == "email_not_verified" and world.store.users == {}


def test_without_an_address_nothing_is_made(world: World) -> None:
    with pytest.raises(PermissionDenied) as refused:
        world.arrive(identity(email=None, verified=False))
    assert refused.value.code == "email_not_verified" and "GitHub" in refused.value.detail
    assert world.store.users == {} and world.store.identities == {}


def test_firebase_refuses_an_unverified_address_instead(world: World) -> None:
    # Anyone can sign up to Firebase with any address (docs/decisions/0280-linking-rules.md).
    cmd = ExternalSignIn(
        identity(verified=False), "firebase", "Firebase", unverified_accounts=False
    )
    with pytest.raises(PermissionDenied) as refused:
        world.links.sign_in_external(cmd, world.step())
    assert refused.value.code == "email_not_verified"
    assert world.store.users == {} and world.registered == []


def test_an_unverified_address_does_not_claim_an_unproven_account(world: World) -> None:
    held = world.squatter()
    with pytest.raises(SignInToConnect) as connect:
        world.arrive(identity(verified=False))
    assert connect.value.code == "sign_in_to_link" and connect.value.identity.subject == "gh-1"
    assert world.store.users[held.id] == held and world.store.identities == {}
    unverified = ExternalSignIn(identity(verified=False), via="github", provider_name="GitHub")
    assert world.links.claim_unproven_account(unverified) is None
    assert world.store.users[held.id] == held


def test_a_proven_account_is_never_linked_by_its_address(world: World) -> None:
    held = world.squatter(proven=True)
    with pytest.raises(SignInToConnect) as connect:
        world.arrive(identity())
    assert connect.value.code == "sign_in_to_link" and connect.value.field == "email"
    assert connect.value.provider_name == "GitHub"
    assert world.store.identities == {} and world.store.sessions == {}
    assert world.store.users[held.id] == held


def test_a_taken_address_keeps_the_code_its_way_of_signing_in_publishes(world: World) -> None:
    world.squatter(proven=True)
    cmd = ExternalSignIn(identity(), "firebase", "Firebase", taken_code="email_taken")
    with pytest.raises(SignInToConnect) as connect:
        world.links.sign_in_external(cmd, world.step())
    assert connect.value.code == "email_taken"


def test_a_disabled_holder_of_the_address_is_neither_claimed_nor_linked(world: World) -> None:
    held = world.users.update(world.squatter().id, lambda u: u.with_disabled(True, u.updated_at))
    with pytest.raises(SignInToConnect):
        world.arrive(identity())
    assert world.store.users[held.id] == held and world.store.identities == {}


def test_a_new_linked_account_is_recorded_as_created_and_linked(world: World) -> None:
    user = world.account_of(world.arrive(identity()))
    assert world.reasons(Audit.USER_CREATED) == [(user.id, "github")]
    assert world.reasons(Audit.IDENTITY_LINKED) == [(user.id, "github")]
    assert world.registered == []  # its address is proven: no verification mail
    world.arrive(identity())
    assert len(world.reasons(Audit.IDENTITY_LINKED)) == 1  # signing in again links nothing


def test_the_first_verified_proof_claims_an_unproven_account_without_the_squatters_keys(
    world: World,
) -> None:
    held = world.squatter()
    now = world.clock.now()
    world.passkeys.add(
        Passkey.create(
            user_id=held.id,
            credential_id=b"mallory's key",
            public_key=b"cose",
            sign_count=0,
            name="mallory",
            now=now,
        )
    )
    world.store.factors[held.id] = replace(
        TotpFactor.pending(user_id=held.id, sealed_secret="sealed", now=now), active=True
    )
    world.store.identities["gitlab:mallory"] = held.id
    world.grants.consents[(held.id, "mallorys-app")] = Consent(held.id, "mallorys-app", (), now)

    user = world.account_of(world.arrive(identity()))
    assert user.id == held.id and user.email_verified and user.password_hash is None
    assert user.token_version == held.token_version + 1  # the squatter's sessions end
    assert world.store.identities == {"github:gh-1": held.id}
    assert world.passkeys.passkeys == {} and held.id not in world.store.factors
    assert world.grants.consents == {}  # the apps it allowed ask again
    assert world.reasons(Audit.ACCOUNT_CLAIMED) == [(held.id, "github")]
    assert world.reasons(Audit.IDENTITY_LINKED) == [(held.id, "github")]


def test_the_second_step_comes_after_the_link(world: World) -> None:
    user = world.account_of(world.arrive(identity()))
    world.store.factors[user.id] = replace(
        TotpFactor.pending(user_id=user.id, sealed_secret="sealed", now=world.clock.now()),
        active=True,
    )
    sessions = len(world.store.sessions)
    with pytest.raises(MfaRequired):
        world.arrive(identity())
    assert len(world.store.sessions) == sessions  # no session before the second factor


def test_a_disabled_account_is_refused_after_the_link(world: World) -> None:
    user = world.account_of(world.arrive(identity()))
    world.users.update(user.id, lambda u: u.with_disabled(True, world.clock.now()))
    with pytest.raises(PermissionDenied) as refused:
        world.arrive(identity())
    assert refused.value.code == "account_disabled"


def test_the_verification_follows_the_provider_for_the_accounts_own_address(
    world: World,
) -> None:
    user = world.account_of(world.arrive(identity()))
    assert not world.account_of(world.arrive(identity(verified=False))).email_verified
    assert world.account_of(world.arrive(identity(email=ADDRESS.upper()))).email_verified
    assert world.reasons(Audit.EMAIL_VERIFIED) == [(user.id, "github")]


def test_each_sign_in_that_proves_the_address_says_so_once(world: World) -> None:
    """What follows a proof (an org's auto_join) hears of each: a new account's verified
    address (rule 2), a claim (rule 4), the provider verifying the address later; a sign-in
    of an account proven already, or with an unverified address, proves nothing."""
    made = world.account_of(world.arrive(identity("gh-1", "cy@example.com")))  # rule 2
    world.arrive(identity("gh-1", "cy@example.com"))  # rule 1, proven already
    assert world.proven == [made.id]

    unproven = world.account_of(world.arrive(identity("gh-2", "bea@example.com", verified=False)))
    assert world.proven == [made.id]  # rule 5: unproven
    world.arrive(identity("gh-2", "bea@example.com"))  # the provider verified it since
    world.arrive(identity("gh-2", "bea@example.com"))
    assert world.proven == [made.id, unproven.id]

    squatter = world.squatter()
    claimed = world.account_of(world.arrive(identity("gh-3", ADDRESS, provider="gitlab")))
    assert claimed.id == squatter.id  # rule 4
    assert world.proven == [made.id, unproven.id, squatter.id]
