"""The provider's refusals of RFC 9700 and its neighbours, through Flask's test client on the
Firestore emulator (docs/reference/oauth.md, docs/security.md): where what is kept decides
(a code's resource, a client's resources, a revoked token), the real store is asked."""

from __future__ import annotations

from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from bootstrap import build_adapters
from tests.support.app import app_on
from tests.support.oauth import REDIRECT, EmulatorWorld, csrf_of
from tests.support.pages import PASSWORD
from tests.support.settings import make_settings

pytestmark = pytest.mark.e2e


@pytest.fixture
def world(firestore: Any) -> EmulatorWorld:
    settings = make_settings(oauth_dynamic_registration=True)
    return EmulatorWorld(app_on(settings, build_adapters(settings, firestore=firestore)))


def test_a_response_type_an_error_cannot_quote_gets_the_error_page(world: EmulatorWorld) -> None:
    for value in ('"', "\\", "é", "\x00", "\x7f", "\U0001f600"):
        for client in (world.client, world.app.test_client()):
            answer = client.get(
                "/oauth/authorize", query_string={"response_type": value, "client_id": "x"}
            )
            assert answer.status_code == 400 and answer.mimetype == "text/html"


def introspection(world: EmulatorWorld, client: dict[str, Any], token: str) -> dict[str, Any]:
    auth = {"client_id": client["client_id"], "client_secret": client["client_secret"]}
    found: dict[str, Any] = world.client.post(
        "/oauth/introspect", data={"token": token, **auth}
    ).get_json()
    return found


def test_a_revoked_client_credentials_token_is_inactive_at_once(world: EmulatorWorld) -> None:
    service = world.register("--confidential", "--scope", "roles", name="A service")
    token = world.post_token(service, grant_type="client_credentials").get_json()["access_token"]
    assert introspection(world, service, token)["active"] is True
    auth = {"client_id": service["client_id"], "client_secret": service["client_secret"]}
    answer = world.client.post("/oauth/revoke", data={"token": token, **auth})
    assert answer.status_code == 200
    assert introspection(world, service, token) == {"active": False}


def test_a_clients_own_token_is_granted_no_scope_about_a_person(world: EmulatorWorld) -> None:
    service = world.register("--confidential", name="A service")
    answer = world.post_token(service, grant_type="client_credentials")
    assert answer.status_code == 200, answer.get_json()
    assert sorted(answer.get_json()["scope"].split()) == ["email", "phone", "profile", "roles"]
    asked = world.post_token(service, grant_type="client_credentials", scope="openid")
    assert asked.status_code == 400 and asked.get_json()["error"] == "invalid_scope"


API = "https://api.example.com/"
CHALLENGE = {"code_challenge": "a" * 43, "code_challenge_method": "S256"}


def audience(world: EmulatorWorld, answer: Any) -> str:
    assert answer.status_code == 200, answer.get_json()
    keys = KeySet.import_key_set(world.client.get("/.well-known/jwks.json").get_json())
    found: str = jwt.decode(answer.get_json()["access_token"], keys).claims["aud"]
    return found


def test_a_token_request_may_not_widen_the_resource(world: EmulatorWorld) -> None:
    app = world.register()
    other = "https://payments.internal.example"
    code, verifier = world.code(app["client_id"], resource=API)
    widened = world.exchange(app, code, verifier, resource=other)
    assert widened.status_code == 400 and widened.get_json()["error"] == "invalid_target"
    code, verifier = world.code(app["client_id"], resource=API)
    answer = world.exchange(app, code, verifier)
    assert audience(world, answer) == API
    refresh = {"grant_type": "refresh_token", "refresh_token": answer.get_json()["refresh_token"]}
    widened = world.post_token(app, **refresh, resource=other)
    assert widened.status_code == 400 and widened.get_json()["error"] == "invalid_target"
    assert audience(world, world.post_token(app, **refresh)) == API  # the grant's, kept
    # a public client that registered itself: no token for a resource nobody consented to
    registered = world.client.post(
        "/oauth/register",
        json={
            "redirect_uris": [REDIRECT],
            "client_name": "MCP client",
            "token_endpoint_auth_method": "none",
        },
    ).get_json()
    code, verifier = world.code(registered["client_id"])
    widened = world.exchange(registered, code, verifier, resource=other)
    assert widened.status_code == 400 and widened.get_json()["error"] == "invalid_target"


def test_the_consent_page_names_the_resource_and_asks_again_for_another(
    world: EmulatorWorld,
) -> None:
    app = world.register()
    page = world.authorize(app["client_id"], resource=API, **CHALLENGE)
    assert page.status_code == 200 and API in page.get_data(as_text=True)
    world.consent(page)
    assert world.authorize(app["client_id"], resource=API, **CHALLENGE).status_code == 302
    other = world.authorize(app["client_id"], resource="https://other.example/", **CHALLENGE)
    assert other.status_code == 200


def test_a_client_limited_to_resources_is_kept_so(world: EmulatorWorld) -> None:
    service = world.register("--confidential", "--resource", API, name="Limited")
    own = world.post_token(service, grant_type="client_credentials", resource=API)
    assert audience(world, own) == API
    other = world.post_token(
        service, grant_type="client_credentials", resource="https://other.example/"
    )
    assert other.status_code == 400 and other.get_json()["error"] == "invalid_target"


def test_a_link_asking_to_sign_in_again_signs_nobody_out(
    world: EmulatorWorld, firestore: Any
) -> None:
    app = world.register()
    before = [doc.id for doc in firestore.collection("sessions").stream()]
    for asked in ({"prompt": "login"}, {"max_age": "0"}):
        answer = world.authorize(app["client_id"], **CHALLENGE, **asked)
        assert answer.status_code == 303 and "again=1" in answer.headers["Location"]
        assert world.client.get("/account").status_code == 200  # still signed in
    page = world.client.get(answer.headers["Location"])
    form = {"username": "alice", "password": PASSWORD, "csrf_token": csrf_of(page.text)}
    assert world.client.post(answer.headers["Location"], data=form).status_code == 303
    assert world.client.get("/account").status_code == 200
    live = [
        doc.id
        for doc in firestore.collection("sessions").stream()
        if doc.to_dict().get("revoked_at") is None
    ]
    assert len(before) == 1 and len(live) == 1 and live != before  # the old one replaced


def test_a_name_that_impersonates_is_refused_and_the_page_says_where_it_goes(
    world: EmulatorWorld, firestore: Any
) -> None:
    body = {
        "redirect_uris": [REDIRECT],
        "client_name": "firegate \u202eetagerif Sign-in",
        "token_endpoint_auth_method": "none",
    }
    refused = world.client.post("/oauth/register", json=body)
    assert refused.status_code == 400
    assert refused.get_json()["error"] == "invalid_client_metadata"
    assert list(firestore.collection("oauth_clients").stream()) == []
    registered = world.client.post(
        "/oauth/register", json={**body, "client_name": "Sign-in"}
    ).get_json()
    html = world.authorize(registered["client_id"], **CHALLENGE).get_data(as_text=True)
    assert "You will be sent back to app.example.com." in html
    assert "This app registered itself" in html


def test_an_exchange_spends_its_code_creates_its_grant_and_stores_its_event_together(
    world: EmulatorWorld, firestore: Any
) -> None:
    """One commit: the code spent, its grant issued, ``oauth.granted`` stored
    (docs/decisions/0254-a-code-exchange-in-one-commit.md); a second use is refused and
    revokes the grant; a refused try (a wrong verifier) burns its code."""
    app = world.register()
    code, verifier = world.code(app["client_id"])
    tokens = world.exchange(app, code, verifier)
    assert tokens.status_code == 200 and "refresh_token" in tokens.get_json()
    (grant,) = [doc.to_dict() for doc in firestore.collection("oauth_grants").stream()]
    assert grant["issued"] is True and grant["revoked"] is False
    (spent,) = [doc.to_dict() for doc in firestore.collection("oauth_codes").stream()]
    assert spent["spent"] is True
    events = [doc.to_dict() for doc in firestore.collection("security_events").stream()]
    assert [e["type"] for e in events if e["type"].startswith("oauth.")] == ["oauth.granted"]
    again = world.exchange(app, code, verifier)
    assert again.status_code == 400 and again.get_json()["error"] == "invalid_grant"
    (grant,) = [doc.to_dict() for doc in firestore.collection("oauth_grants").stream()]
    assert grant["revoked"] is True
    code, verifier = world.code(app["client_id"])
    assert world.exchange(app, code, verifier[::-1]).get_json()["error"] == "invalid_grant"
    assert world.exchange(app, code, verifier).get_json()["error"] == "invalid_grant"
