"""OpenID Connect's parameters and claims beyond OAuth's, on the fakes
(docs/reference/oauth.md): the ``claims`` request, ``sid``, ``ui_locales``, userinfo with the
token in the body, and the discovery document's word on them."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import pytest
from werkzeug.datastructures import MultiDict

from bootstrap.accounts import AccountsAdapters
from domain.errors import InvalidInput
from domain.provider.claims_request import ClaimsRequest, parse_claims
from domain.provider.grants import session_sid
from tests.support.oauth import REDIRECT, OAuthWorld, claims, redirected
from tests.support.pages import sign_up

pytestmark = pytest.mark.unit


@pytest.fixture
def world() -> OAuthWorld:
    return OAuthWorld()


@pytest.fixture
def rp(world: OAuthWorld) -> dict[str, Any]:
    return world.relying_party()


def userinfo(world: OAuthWorld, access_token: str) -> dict[str, Any]:
    answer = world.client.get(
        "/oauth/userinfo", headers={"Authorization": f"Bearer {access_token}"}
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    found: dict[str, Any] = answer.get_json()
    return found


# -- the claims parameter


def test_a_claims_request_is_read_and_its_odd_shapes_refused() -> None:
    asked = parse_claims(
        json.dumps(
            {
                "userinfo": {"name": {"essential": True}, "email": None, "unknown_claim": None},
                "id_token": {"email_verified": {"essential": False}, "acr": {"values": ["1"]}},
                "another": {"x": 1},
            }
        )
    )
    assert asked == ClaimsRequest(id_token=("email_verified",), userinfo=("name", "email"))
    assert asked.scopes == ("email", "profile")
    assert asked.within(("openid", "email")) == ClaimsRequest(("email_verified",), ("email",))
    assert parse_claims(None) == parse_claims("") == ClaimsRequest()
    for odd in (
        "not json",
        "[]",
        '{"userinfo": []}',
        '{"userinfo": {"name": 1}}',
        '{"id_token": {"name": {"essential": "yes"}}}',
        "{" + " " * 4000 + "}",
        "[" * 1999 + "]" * 1999,  # deeper than the JSON decoder goes
    ):
        with pytest.raises(InvalidInput):
            parse_claims(odd)


def test_a_malformed_claims_request_goes_back_as_invalid_request(
    world: OAuthWorld, rp: dict[str, Any]
) -> None:
    for odd in ("{not json", "[" * 1999 + "]" * 1999):
        query = redirected(world.authorize(rp["client_id"], claims=odd))
        assert query["error"] == "invalid_request" and query["state"] == "st4te"


def test_claims_asked_for_userinfo_and_the_id_token_go_where_asked(
    world: OAuthWorld, rp: dict[str, Any]
) -> None:
    (user,) = world.store.users.values()  # alice, with a name
    world.store.users[user.id] = replace(user, name="Alice", last_name="Liddell")
    asked = {"userinfo": {"name": {"essential": True}}, "id_token": {"email": None}}
    found = world.rp_tokens(rp, scope="openid", claims=json.dumps(asked))
    assert found["scope"] == "openid"  # the grant's scope is what was asked
    id_token = claims(world, found["id_token"])
    assert id_token["email"] == "alice@example.com" and "name" not in id_token
    info = userinfo(world, found["access_token"])
    assert info["name"] == "Alice Liddell" and "email" not in info
    plain = world.rp_tokens(rp, scope="openid")  # without the request: neither
    assert "email" not in claims(world, plain["id_token"])
    assert "name" not in userinfo(world, plain["access_token"])


def test_a_claim_is_consented_to_as_its_scope_is(world: OAuthWorld, rp: dict[str, Any]) -> None:
    world.rp_tokens(rp, scope="openid")  # consented to openid alone
    asked = json.dumps({"userinfo": {"email": None}})
    page = world.authorize(rp["client_id"], scope="openid", claims=asked)
    assert page.status_code == 200  # asked again: the email is new
    assert "See your e-mail address" in page.get_data(as_text=True)
    refused = redirected(
        world.authorize(rp["client_id"], scope="openid", claims=asked, prompt="none")
    )
    assert refused["error"] == "consent_required"


def test_a_claim_of_a_scope_the_client_may_not_have_is_never_released(
    world: OAuthWorld,
) -> None:
    limited = world.register("--confidential", "--pkce", "optional", "--scope", "openid")
    asked = json.dumps({"userinfo": {"email": {"essential": True}}, "id_token": {"email": None}})
    found = world.rp_tokens(limited, scope="openid", claims=asked)
    assert "email" not in claims(world, found["id_token"])
    assert "email" not in userinfo(world, found["access_token"])


def test_claims_asked_for_userinfo_hold_after_a_refresh(
    world: OAuthWorld, rp: dict[str, Any]
) -> None:
    asked = json.dumps({"userinfo": {"email": None}})
    found = world.rp_tokens(rp, scope="openid offline_access", claims=asked)
    renewed = world.post_token(rp, grant_type="refresh_token", refresh_token=found["refresh_token"])
    assert renewed.status_code == 200, renewed.get_json()
    assert userinfo(world, renewed.get_json()["access_token"])["email"] == "alice@example.com"


def test_an_attribute_asked_for_is_released_only_within_its_granted_scope(
    world: OAuthWorld, rp: dict[str, Any]
) -> None:
    # A profile attribute with ``x-scope`` is a claim discovery names; the claims parameter
    # never widens what an app learns: asked for, it is released only once its scope is
    # granted (docs/reference/accounts.md, "Attributes as claims").
    world.adapters.of(AccountsAdapters).profile_schemas.put(
        {
            "type": "object",
            "properties": {
                "department": {"type": "string", "x-scope": "profile"},
                "badge": {"type": "string"},
            },
        }
    )
    (user,) = world.store.users.values()
    world.store.users[user.id] = replace(user, attributes={"department": "Sales", "badge": "B"})
    supported = world.client.get("/.well-known/openid-configuration").get_json()
    assert "department" in supported["claims_supported"]
    assert "badge" not in supported["claims_supported"]
    asked = json.dumps(
        {
            "userinfo": {"department": None, "badge": None},
            "id_token": {"department": {"essential": True}, "badge": None},
        }
    )
    plain = world.rp_tokens(rp, scope="openid", claims=asked)
    assert plain["scope"] == "openid"
    assert not {"department", "badge"} & set(claims(world, plain["id_token"]))
    assert not {"department", "badge"} & set(userinfo(world, plain["access_token"]))
    granted = world.rp_tokens(rp, scope="openid profile", claims=asked)
    id_token, info = claims(world, granted["id_token"]), userinfo(world, granted["access_token"])
    assert id_token["department"] == info["department"] == "Sales"
    assert "badge" not in id_token and "badge" not in info


# -- sid


def test_the_id_token_names_the_browser_session_by_its_sid(
    world: OAuthWorld, rp: dict[str, Any]
) -> None:
    first = claims(world, world.rp_tokens(rp)["id_token"])
    second = claims(world, world.rp_tokens(rp)["id_token"])
    (session_id,) = world.store.sessions
    assert first["sid"] == second["sid"] == session_sid(session_id)
    assert len(first["sid"]) == 32 and session_id not in first["sid"]  # no handle on it
    world.client = world.app.test_client()  # another browser: another session
    sign_up(world, "bobby")
    third = claims(world, world.rp_tokens(rp)["id_token"])
    assert third["sid"] != first["sid"]
    assert session_sid("abc") == session_sid("abc") != session_sid("abd")


# -- ui_locales


def test_ui_locales_chooses_the_pages_language(world: OAuthWorld, rp: dict[str, Any]) -> None:
    page = world.authorize(rp["client_id"], ui_locales="fr-CA es en")
    assert "Permitir" in page.get_data(as_text=True)
    assert "Allow" in world.authorize(rp["client_id"], ui_locales="fr").get_data(as_text=True)
    signed_out = world.app.test_client()
    query = {
        "response_type": "code",
        "client_id": rp["client_id"],
        "redirect_uri": REDIRECT,
        "scope": "openid",
        "ui_locales": "es",
    }
    sign_in = signed_out.get("/oauth/authorize?" + urlencode(query))
    assert sign_in.status_code == 303
    assert "Iniciar sesión" in signed_out.get(sign_in.headers["Location"]).get_data(as_text=True)


# -- userinfo's token in the body


def test_userinfo_takes_the_token_in_a_form_body_once(
    world: OAuthWorld, rp: dict[str, Any]
) -> None:
    token = world.rp_tokens(rp, scope="openid email")["access_token"]
    answer = world.client.post("/oauth/userinfo", data={"access_token": token})
    assert answer.status_code == 200 and answer.get_json()["email"] == "alice@example.com"
    both = world.client.post(
        "/oauth/userinfo",
        data={"access_token": token},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert both.status_code == 400 and both.get_json()["error"] == "invalid_request"
    twice = world.client.post(
        "/oauth/userinfo", data=MultiDict([("access_token", token), ("access_token", token)])
    )
    assert twice.status_code == 400
    bad = world.client.post("/oauth/userinfo", data={"access_token": "nope"})
    assert bad.status_code == 401 and bad.get_json()["error"] == "invalid_token"
    in_query = world.client.get("/oauth/userinfo?" + urlencode({"access_token": token}))
    assert in_query.status_code == 401  # never in the query (RFC 6750 §2.3, RFC 9700)


def test_discovery_says_what_the_provider_takes(world: OAuthWorld) -> None:
    found = world.client.get("/.well-known/openid-configuration").get_json()
    assert found["claims_parameter_supported"] is True
    assert found["request_parameter_supported"] is False
    assert found["request_uri_parameter_supported"] is False
    assert found["ui_locales_supported"] == ["en", "es"]
    assert {"page", "popup"} <= set(found["display_values_supported"])
    assert "sid" in found["claims_supported"]
