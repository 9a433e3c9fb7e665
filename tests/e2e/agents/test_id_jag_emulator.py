"""Redeeming ID-JAGs (the JWT bearer grant, RFC 7523, with
draft-ietf-oauth-identity-assertion-authz-grant) on the Firestore emulator: one minted with
firegate's own key and one with an org's OpenID connection's IdP key each give an access
token for the person they name, for their resource, no refresh token; a replay, thirty
parallel redemptions of one (one 200, 29 ``invalid_grant``), an expired one, another
audience, another client, an unknown issuer, a forged signature and another org's resource
are ``invalid_grant`` (docs/agents-and-clis.md, "An enterprise's IdP: ID-JAG")."""

from __future__ import annotations

import secrets
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from application.orgs.members.members import AddMember
from application.orgs.services import OrgServices
from application.sso.arrival import identity_provider
from bootstrap import build_adapters
from bootstrap.accounts import AccountsAdapters
from domain.agents.id_jag import JAG_TYPE
from domain.clients.oauth import JWT_BEARER
from interfaces.provider.routes import EXTENSION
from tests.support.api import bearer, login, register, services
from tests.support.app import app_on
from tests.support.dpop import claims_of
from tests.support.oauth import EmulatorWorld
from tests.support.oidc_idp import CLIENT_ID, CLIENT_SECRET, KEY, OidcIdpForTests, oidc_idp
from tests.support.races import RACERS, race
from tests.support.settings import TEST_OIDC_KEY, make_settings

# An active connection left behind would turn other modules' sign-in pages address-first.
pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("emptied_after")]

CHAT = "https://chat.example.com/api"
BOOKS = "https://books.example.com/api"
DESCRIBED = (
    *("--scope", "chat.read", "--description", "chat.read", "Read your chats"),
    *("--scope", "chat.write", "--description", "chat.write", "Write chats"),
)


@pytest.fixture
def adapters(firestore: Any) -> Any:
    return build_adapters(make_settings(app_profile="local"), firestore=firestore)


@pytest.fixture
def app(adapters: Any) -> Flask:
    return app_on(make_settings(app_profile="local"), adapters)


@pytest.fixture
def world(app: Flask) -> EmulatorWorld:
    return EmulatorWorld(app)


@pytest.fixture
def idp() -> Iterator[OidcIdpForTests]:
    with oidc_idp() as found:
        yield found


def cli(world: EmulatorWorld, *args: str) -> None:
    result = world.app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output


def agent_of(world: EmulatorWorld, *extra: str, resource: str = CHAT) -> dict[str, Any]:
    return world.register(
        "--confidential", "--grant", "jwt_bearer", "--resource", resource,
        "--resource-scope", "chat.read", "--resource-scope", "chat.write", *extra,
        name="Chat agent",
    )  # fmt: skip


def issuer_of(world: EmulatorWorld) -> str:
    config = world.app.extensions[EXTENSION].get().config
    return str(config.issuer)


def own_kid(world: EmulatorWorld) -> str:
    config = world.app.extensions[EXTENSION].get().config
    return str(config.public_jwks[0]["kid"])


def alice_id(world: EmulatorWorld) -> str:
    """The account of the browser's person (alice), by a token of hers."""
    app = world.register(name="Probe")
    return str(claims_of(world.tokens(app)["access_token"])["sub"])


def signed_in(world: EmulatorWorld, client: dict[str, Any]) -> str:
    """The grant of alice's sign-in with ``client``, which an ID-JAG of firegate's own names
    (``grant_id``) as the ones it mints do."""
    return str(claims_of(world.tokens(client, scope="openid")["access_token"])["grant_id"])


def jag(
    world: EmulatorWorld,
    client: dict[str, Any],
    sub: str,
    *,
    key: Any = TEST_OIDC_KEY,
    alg: str = "ES256",
    kid: str | None = None,
    typ: str = JAG_TYPE,
    **changes: Any,
) -> str:
    now = int(time.time())
    claims = {
        "iss": issuer_of(world),
        "sub": sub,
        "aud": issuer_of(world),
        "client_id": client["client_id"],
        "jti": secrets.token_urlsafe(12),
        "iat": now,
        "exp": now + 120,
        "resource": CHAT,
        "scope": "chat.read openid offline_access",
        **changes,
    }
    headers = {"typ": typ, "kid": kid or own_kid(world)}
    return jwt.encode(claims, key, algorithm=alg, headers=headers)


def redeem(client: FlaskClient, agent: dict[str, Any], assertion: str) -> TestResponse:
    body = {
        "grant_type": JWT_BEARER,
        "assertion": assertion,
        "client_id": agent["client_id"],
        "client_secret": agent["client_secret"],
    }
    return client.post("/oauth/token", data=body)


def refused(answer: TestResponse, error: str = "invalid_grant") -> str:
    assert answer.status_code == 400, answer.get_json()
    assert answer.get_json()["error"] == error, answer.get_json()
    description: str = answer.get_json()["error_description"]
    return description


def active(world: EmulatorWorld, agent: dict[str, Any], token: str) -> bool:
    auth = {"client_id": agent["client_id"], "client_secret": agent["client_secret"]}
    found = world.client.post("/oauth/introspect", data={"token": token, **auth}).get_json()
    return bool(found["active"])


def test_an_id_jag_of_firegate_gives_an_access_token_once(world: EmulatorWorld) -> None:
    cli(world, "resources", "add", CHAT, *DESCRIBED)
    agent, person = agent_of(world), alice_id(world)
    assertion = jag(world, agent, person, grant_id=signed_in(world, agent))
    answer = redeem(world.client, agent, assertion)
    assert answer.status_code == 200, answer.get_json()
    token = answer.get_json()
    assert "refresh_token" not in token and token["token_type"] == "Bearer"
    assert token["scope"] == "chat.read openid"  # the JAG's, within the client's
    claims = claims_of(token["access_token"])
    assert claims["sub"] == person and claims["aud"] == CHAT
    assert claims["client_id"] == agent["client_id"]
    assert active(world, agent, token["access_token"])
    assert "already redeemed" in refused(redeem(world.client, agent, assertion))
    # the grant it gave is the person's to end, as any app's
    assert "Chat agent" in world.client.get("/account/apps").get_data(as_text=True)


def test_thirty_parallel_redemptions_of_one_id_jag_give_one_token(world: EmulatorWorld) -> None:
    cli(world, "resources", "add", CHAT, *DESCRIBED)
    agent = agent_of(world)
    assertion = jag(world, agent, alice_id(world), grant_id=signed_in(world, agent))
    errors: list[str] = []

    def redeemed(client: FlaskClient) -> TestResponse:
        answer = redeem(client, agent, assertion)
        errors.append(answer.get_json().get("error", "none"))
        return answer

    outcomes = race(world.app, [redeemed] * RACERS)
    assert Counter(o.status for o in outcomes) == {200: 1, 400: RACERS - 1}
    assert Counter(errors) == {"none": 1, "invalid_grant": RACERS - 1}


def test_each_wrong_id_jag_is_invalid_grant(world: EmulatorWorld) -> None:
    cli(world, "resources", "add", CHAT, *DESCRIBED)
    cli(world, "resources", "add", BOOKS, "--scope", "books", "--description", "books", "Books")
    agent, person = agent_of(world), alice_id(world)
    other = agent_of(world)
    now, grant_id = int(time.time()), signed_in(world, agent)
    own: dict[str, Any] = {"grant_id": grant_id}
    forger = ec.generate_private_key(ec.SECP256R1())
    cases = {
        "expired": jag(world, agent, person, iat=now - 400, exp=now - 60, **own),
        "another audience": jag(world, agent, person, aud="https://elsewhere.example", **own),
        "another client": jag(world, other, person, **own),
        "not trusted": jag(world, agent, person, iss="https://unknown.example", **own),
        "signature": jag(world, agent, person, key=forger, **own),
        "not an ID-JAG": jag(world, agent, person, typ="JWT", **own),
        "has ended": jag(world, agent, person + "x", **own),
        "API resource this client": jag(world, agent, person, resource=BOOKS, **own),
        "names no sign-in": jag(world, agent, person),
    }
    for said, assertion in cases.items():
        assert said in refused(redeem(world.client, agent, assertion)), said
    assert "assertion" in refused(redeem(world.client, agent, ""), "invalid_request")
    plain = world.register("--confidential", "--resource", CHAT, name="No grant")
    assert refused(redeem(world.client, plain, cases["expired"]), "unauthorized_client")


def corp_with_connection(app: Flask, idp: OidcIdpForTests, slug: str) -> tuple[str, str]:
    """A new org ``slug`` of a new owner, with an active OpenID connection to ``idp``: the
    org's id and the connection's."""
    client = app.test_client()
    owner_name = f"owner{slug}"
    register(client, owner_name)
    owner = bearer(login(client, owner_name))
    made = client.post("/orgs", json={"slug": slug, "name": slug.title()}, headers=owner)
    assert made.status_code == 201, made.get_json()
    body = {
        "kind": "oidc",
        "name": "Corp IdP",
        "oidc": {"issuer": idp.issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        "status": "active",
    }
    connection = client.post(f"/orgs/{slug}/connections", json=body, headers=owner)
    assert connection.status_code == 201, connection.get_json()
    return str(made.get_json()["id"]), str(connection.get_json()["id"])


def link_alice(adapters: Any, world: EmulatorWorld, connection_id: str, sub: str) -> str:
    """Alice's account linked to ``sub`` at the connection, as its sign-in links it."""
    person = alice_id(world)
    now = datetime.now(UTC)
    linked = adapters.of(AccountsAdapters).identities.link_existing(
        person, identity_provider(connection_id), sub, lambda user: replace(user, updated_at=now)
    )
    assert linked is not None
    return person


def test_an_org_idps_id_jag_names_its_linked_account_and_only_its_orgs_resources(
    world: EmulatorWorld, adapters: Any, idp: OidcIdpForTests
) -> None:
    corp_id, connection_id = corp_with_connection(world.app, idp, "corp")
    other_id, _ = corp_with_connection(world.app, idp, "other")  # the same IdP: no matter
    cli(world, "resources", "add", CHAT, *DESCRIBED)
    cli(world, "resources", "allow", CHAT, "corp")
    cli(world, "resources", "add", BOOKS, "--scope", "books", "--description", "books", "Books")
    cli(world, "resources", "allow", BOOKS, "other")
    person = link_alice(adapters, world, connection_id, "corp-U019488227")
    agent = agent_of(world)
    books_agent = agent_of(world, "--resource", BOOKS, resource=CHAT)
    signed: dict[str, Any] = {"key": KEY, "alg": "RS256", "kid": "k1", "iss": idp.issuer}
    corp_jag = jag(world, agent, "corp-U019488227", **signed)
    assert "not a member" in refused(redeem(world.client, agent, corp_jag))
    services(world.app).of(OrgServices).members.add_member(AddMember("corp", "alice", ("member",)))
    answer = redeem(world.client, agent, jag(world, agent, "corp-U019488227", **signed))
    assert answer.status_code == 200, answer.get_json()
    token = claims_of(answer.get_json()["access_token"])
    assert token["sub"] == person and token["amr"] == ["fed"]  # a sign-in through the IdP
    unknown = jag(world, agent, "corp-nobody", **signed)
    assert "names no account" in refused(redeem(world.client, agent, unknown))
    books = jag(world, books_agent, "corp-U019488227", resource=BOOKS, scope="books", **signed)
    assert "organization" in refused(redeem(world.client, books_agent, books))
    assert corp_id != other_id


def test_another_org_with_the_same_idp_turns_off_no_orgs_id_jags(
    world: EmulatorWorld, adapters: Any, idp: OidcIdpForTests
) -> None:
    _, connection_id = corp_with_connection(world.app, idp, "corp")
    cli(world, "resources", "add", CHAT, *DESCRIBED)
    cli(world, "resources", "allow", CHAT, "corp")
    person = link_alice(adapters, world, connection_id, "corp-U019488227")
    services(world.app).of(OrgServices).members.add_member(AddMember("corp", "alice", ("member",)))
    agent = agent_of(world)
    signed: dict[str, Any] = {"key": KEY, "alg": "RS256", "kid": "k1", "iss": idp.issuer}
    first = redeem(world.client, agent, jag(world, agent, "corp-U019488227", **signed))
    assert first.status_code == 200, first.get_json()
    # Another org activates a connection to the same IdP; nobody signs in through it, and
    # the operator opens the resource to it too.
    _, others_connection = corp_with_connection(world.app, idp, "other")
    cli(world, "resources", "allow", CHAT, "other")
    answer = redeem(world.client, agent, jag(world, agent, "corp-U019488227", **signed))
    assert answer.status_code == 200, answer.get_json()
    assert claims_of(answer.get_json()["access_token"])["sub"] == person
    # An app of the other org speaks for its own org's connection only: corp's people are
    # not vouched for through it.
    others_app = agent_of(world, "--org", "other", "--open-to-all")
    signed_for_it = jag(world, others_app, "corp-U019488227", **signed)
    assert "names no account" in refused(redeem(world.client, others_app, signed_for_it))
    corps_app = agent_of(world, "--org", "corp")
    answer = redeem(world.client, corps_app, jag(world, corps_app, "corp-U019488227", **signed))
    assert answer.status_code == 200, answer.get_json()
    # The same subject linked to another account through the other org's connection, a
    # member there: whom a service's app is vouched for is unclear, and it is refused.
    bob = register(world.client, "bob")["id"]
    linked = adapters.of(AccountsAdapters).identities.link_existing(
        bob,
        identity_provider(others_connection),
        "corp-U019488227",
        lambda user: replace(user, updated_at=datetime.now(UTC)),
    )
    assert linked is not None
    services(world.app).of(OrgServices).members.add_member(AddMember("other", "bob", ("member",)))
    unclear = redeem(world.client, agent, jag(world, agent, "corp-U019488227", **signed))
    assert "unclear" in refused(unclear)
    answer = redeem(world.client, corps_app, jag(world, corps_app, "corp-U019488227", **signed))
    assert claims_of(answer.get_json()["access_token"])["sub"] == person  # its own org's
