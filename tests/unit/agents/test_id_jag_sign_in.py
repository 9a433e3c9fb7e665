"""An ID-JAG keeps what the sign-in behind it proved, on the fakes (docs/security.md, "ID-JAGs
keep the sign-in"; docs/decisions/0620-an-id-jag-keeps-its-sign-in.md): minting one from an
ID token and redeeming one pass the checks every other grant passes, in the same places: the
resource's ``min_acr`` against the sign-in's class, the grant of the sign-in still holding
(not revoked, no "sign out everywhere" since). A session of support access's:
tests/unit/agents/with_support_access/test_support_access_id_jag.py."""

from __future__ import annotations

import pytest

from application.provider.services import ProviderServices
from domain.signin.acr import MFA, PWD
from tests.support.api import bearer, login
from tests.support.oauth import OAuthWorld, claims
from tests.support.pages import PASSWORD
from tests.unit.agents.fakes import (
    STRONG_API,
    agent,
    id_jag_world,
    id_token,
    mint,
    minted,
    redeem,
    refused,
)

pytestmark = pytest.mark.unit


@pytest.fixture
def world() -> OAuthWorld:
    return id_jag_world()


def sign_out_everywhere(world: OAuthWorld) -> None:
    api = world.app.test_client()
    ended = api.post("/auth/logout?all=true", headers=bearer(login(api, "alice", PASSWORD)))
    assert ended.status_code in (200, 204), ended.get_data(as_text=True)


# -- the sign-in's class: the resource's min_acr


def test_a_password_sign_in_gets_no_id_jag_for_a_resource_that_asks_a_second_factor(
    world: OAuthWorld,
) -> None:
    client = agent(world)
    subject = id_token(world, client)
    assert MFA in refused(mint(world, client, subject, resource=STRONG_API))


def test_the_id_jag_and_its_access_token_carry_the_sign_ins_class(world: OAuthWorld) -> None:
    client = agent(world)
    subject = id_token(world, client)
    jag = claims(world, minted(world, client, subject))
    assert (jag["acr"], jag["amr"]) == (PWD, ["pwd"]) and "act" not in jag
    answer = redeem(world, client, minted(world, client, subject))
    assert answer.status_code == 200, answer.get_json()
    token = claims(world, answer.get_json()["access_token"])
    assert (token["acr"], token["amr"]) == (PWD, ["pwd"]) and "act" not in token


def test_an_id_jag_of_a_password_sign_in_is_not_redeemed_for_a_resource_asking_more(
    world: OAuthWorld,
) -> None:
    client = agent(world)
    subject = id_token(world, client)
    jag = claims(world, minted(world, client, subject))
    # The same grant for the stronger resource, signed by firegate: what a JAG minted before
    # the resource asked more would be.
    signer = world.app.extensions["firegate"].of(ProviderServices).minting.keys
    assert signer is not None
    forged = signer.sign_id_jag({**jag, "resource": STRONG_API, "scope": "vault.read"})
    assert MFA in refused(redeem(world, client, forged))


# -- the grant of the sign-in still holds


def test_an_id_token_from_before_sign_out_everywhere_mints_nothing(world: OAuthWorld) -> None:
    client = agent(world)
    subject = id_token(world, client)
    sign_out_everywhere(world)
    assert "ended" in refused(mint(world, client, subject))


def test_an_id_jag_minted_before_sign_out_everywhere_is_not_redeemed(world: OAuthWorld) -> None:
    client = agent(world)
    jag = minted(world, client, id_token(world, client))
    sign_out_everywhere(world)
    assert "ended" in refused(redeem(world, client, jag))


def test_an_id_token_of_a_revoked_grant_mints_nothing(world: OAuthWorld) -> None:
    client = agent(world)
    subject = id_token(world, client)
    grant_id = claims(world, subject)["jti"].split(".")[0]  # the ID token's grant
    world.services.of(ProviderServices).grants.grants.revoke(grant_id)
    assert "ended" in refused(mint(world, client, subject))


def test_the_persons_own_sign_in_names_no_admin(world: OAuthWorld) -> None:
    client = agent(world)
    jag = claims(world, minted(world, client, id_token(world, client)))
    assert "act" not in jag
    assert jag["exp"] - jag["iat"] == 300
