"""An ID-JAG keeps what the sign-in behind it proved, on the fakes (docs/security.md, "ID-JAGs
keep the sign-in"; docs/decisions/0620-an-id-jag-keeps-its-sign-in.md): minting one from an
ID token and redeeming one pass the checks every other grant passes, in the same places: the
resource's ``min_acr`` against the sign-in's class, the grant of the sign-in still holding
(not revoked, no "sign out everywhere" since, a session of support access not over), and the
admin of support access named in ``act``, no token outliving that session."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from application.provider.services import ProviderServices
from domain.clients.oauth import JWT_BEARER
from domain.provider.token_exchange import GRANT_TYPE, ID_JAG, ID_TOKEN
from domain.signin.acr import MFA, PWD
from domain.signin.active_org import ActiveOrg, AgentMode, AgentPolicy
from interfaces.web.browser import EXTENSION
from tests.support.api import admin_token, bearer, login
from tests.support.oauth import OAuthWorld, claims
from tests.support.pages import PASSWORD

pytestmark = pytest.mark.unit

OWN_API = "https://mcp.firegate.example/"  # firegate is its authorization server too
STRONG_API = "https://strong.firegate.example/"  # min_acr: a second factor
ACME = ActiveOrg(
    id="org1Xq_AcmeId00",
    slug="acme",
    roles=("member",),
    version=1,
    name="Acme",
    permissions=("tools.run", "vault.read"),
    agents=AgentPolicy(AgentMode.ALLOW_LIST, ("app.example.com",)),
)


def cli(world: OAuthWorld, *args: str) -> None:
    done = world.app.test_cli_runner().invoke(args=list(args))
    assert done.exit_code == 0, done.output


@pytest.fixture
def world() -> OAuthWorld:
    w = OAuthWorld()
    cli(w, "resources", "add", OWN_API, "--scope", "tools.run", "--description", "tools.run", "Run")
    cli(
        w, "resources", "add", STRONG_API, "--scope", "vault.read",
        "--description", "vault.read", "Read", "--min-acr", MFA,
    )  # fmt: skip
    w.store.active_orgs[(ACME.id, alice_id(w))] = ACME
    return w


def alice_id(world: OAuthWorld) -> str:
    return next(u.id for u in world.store.users.values() if u.shown_name == "alice")


def issuer(world: OAuthWorld) -> str:
    found: str = world.client.get("/.well-known/openid-configuration").get_json()["issuer"]
    return found


def agent(world: OAuthWorld) -> dict[str, Any]:
    """A confidential client at app.example.com (the one Acme's policy names) that mints
    ID-JAGs and redeems its own."""
    return world.register(
        "--confidential", "--grant", "token_exchange", "--grant", "jwt_bearer",
        "--resource", OWN_API, "--resource", STRONG_API,
        "--resource-scope", "tools.run", "--resource-scope", "vault.read", name="Wiki agent",
    )  # fmt: skip


def id_token(world: OAuthWorld, client: dict[str, Any]) -> str:
    tokens = world.tokens(client, scope="openid organization", organization="acme")
    found: str = tokens["id_token"]
    return found


def mint(world: OAuthWorld, client: dict[str, Any], subject: str, resource: str = OWN_API) -> Any:
    return world.post_token(
        client,
        grant_type=GRANT_TYPE,
        requested_token_type=ID_JAG,
        subject_token=subject,
        subject_token_type=ID_TOKEN,
        audience=issuer(world),
        resource=resource,
    )


def minted(world: OAuthWorld, client: dict[str, Any], subject: str) -> str:
    answer = mint(world, client, subject)
    assert answer.status_code == 200, answer.get_json()
    found: str = answer.get_json()["access_token"]
    return found


def redeem(world: OAuthWorld, client: dict[str, Any], assertion: str) -> Any:
    return world.post_token(client, grant_type=JWT_BEARER, assertion=assertion)


def refused(answer: Any) -> str:
    assert answer.status_code == 400, answer.get_json()
    assert answer.get_json()["error"] == "invalid_grant", answer.get_json()
    description: str = answer.get_json()["error_description"]
    return description


def introspect(world: OAuthWorld, token: str) -> dict[str, Any]:
    server = world.register("--confidential", name="Resource server")
    basic = base64.b64encode(f"{server['client_id']}:{server['client_secret']}".encode())
    found: dict[str, Any] = world.client.post(
        "/oauth/introspect",
        data={"token": token},
        headers={"Authorization": "Basic " + basic.decode()},
    ).get_json()
    return found


def act_as_alice(world: OAuthWorld, minutes: int) -> str:
    """The browser becomes a session of support access of alice, by an admin; the admin's
    id."""
    api = world.app.test_client()
    root = admin_token(world.app, api)
    root_id: str = api.get("/user", headers=root).get_json()["id"]
    started = api.post(
        f"/admin/users/{alice_id(world)}/impersonate",
        json={"reason": "Ticket 4711: the agent cannot read the wiki", "minutes": minutes},
        headers=root,
    )
    assert started.status_code == 201, started.get_json()
    pair = started.get_json()
    world.client = world.app.test_client()
    name = world.app.extensions[EXTENSION].cookie("session")
    world.client.set_cookie(name, f"{pair['access_token']}~{pair['refresh_token']}")
    return root_id


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


# -- support access: act, and no token outliving the session


def test_a_support_sessions_id_jag_names_the_admin_and_ends_with_the_session(
    world: OAuthWorld,
) -> None:
    client = agent(world)
    id_token(world, client)  # alice allows the agent in her own session first
    root_id = act_as_alice(world, minutes=3)
    subject = id_token(world, client)
    session_ends = world.clock.now().timestamp() + 3 * 60
    jag = claims(world, minted(world, client, subject))
    assert jag["act"] == {"sub": root_id} and jag["exp"] <= session_ends
    answer = redeem(world, client, minted(world, client, subject))
    assert answer.status_code == 200, answer.get_json()
    issued = answer.get_json()
    token = claims(world, issued["access_token"])
    assert token["act"] == {"sub": root_id} and token["exp"] <= session_ends
    assert issued["expires_in"] <= 3 * 60
    assert introspect(world, issued["access_token"])["active"] is True
    late = minted(world, client, subject)
    world.clock.advance(minutes=3, seconds=1)
    assert introspect(world, issued["access_token"]) == {"active": False}
    assert "ended" in refused(mint(world, client, subject))
    assert refused(redeem(world, client, late))


def test_the_persons_own_sign_in_names_no_admin(world: OAuthWorld) -> None:
    client = agent(world)
    jag = claims(world, minted(world, client, id_token(world, client)))
    assert "act" not in jag
    assert jag["exp"] - jag["iat"] == 300
