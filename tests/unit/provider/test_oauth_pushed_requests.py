"""Pushed authorization requests (RFC 9126) on the fakes (docs/reference/oauth.md, "Pushed
authorization requests"): ``/oauth/par``, the browser's arrival with ``request_uri``, the
sign-in and consent it goes through, clients that must push, and each refusal."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from werkzeug.test import TestResponse

from application.clients.clients import FindClient
from application.clients.services import ClientServices
from bootstrap.provider import ProviderAdapters
from domain.provider.pushed import MAX_REQUEST_URI_CHARS, REQUEST_URI_PREFIX, Push, unchanged
from infrastructure.provider.sealed_requests import AesGcmRequestSeal
from tests.fakes.provider import FakePushedRequests
from tests.support.api import bearer, login, register
from tests.support.oauth import REDIRECT, SCOPE, OAuthWorld, csrf_of, redirected
from tests.support.pages import PASSWORD

pytestmark = pytest.mark.unit


@pytest.fixture
def world() -> OAuthWorld:
    return OAuthWorld()


def push(world: OAuthWorld, client: dict[str, Any], **params: str) -> TestResponse:
    """``POST /oauth/par`` of a code request with PKCE (and the secret of a confidential
    client)."""
    body = {
        "client_id": client["client_id"],
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": SCOPE,
        "state": "st4te",
        "code_challenge": create_s256_code_challenge("v" * 43),
        "code_challenge_method": "S256",
        **params,
    }
    if "client_secret" in client:
        body["client_secret"] = client["client_secret"]
    return world.client.post("/oauth/par", data={k: v for k, v in body.items() if v})


def request_uri(world: OAuthWorld, client: dict[str, Any], **params: str) -> str:
    answer = push(world, client, **params)
    assert answer.status_code == 201, answer.get_json()
    found: str = answer.get_json()["request_uri"]
    return found


def arrive(world: OAuthWorld, client_id: str, uri: str) -> TestResponse:
    return world.client.get(
        "/oauth/authorize?" + urlencode({"client_id": client_id, "request_uri": uri})
    )


def follow(world: OAuthWorld, answer: TestResponse) -> TestResponse:
    """Through the 303 of the arrival, and the consent page when asked."""
    assert answer.status_code == 303, answer.get_data(as_text=True)
    page = world.client.get(answer.headers["Location"])
    return world.consent(page) if page.status_code == 200 else page


def test_a_pushed_request_gives_a_request_uri_for_sixty_seconds(world: OAuthWorld) -> None:
    client = world.register("--confidential")
    answer = push(world, client)
    assert answer.status_code == 201
    assert answer.headers["Cache-Control"] == "no-store"
    found = answer.get_json()
    assert found["expires_in"] == 60
    assert found["request_uri"].startswith(REQUEST_URI_PREFIX)
    assert len(found["request_uri"]) > len(REQUEST_URI_PREFIX) + 40


def test_the_code_flow_through_a_pushed_request(world: OAuthWorld) -> None:
    client = world.register("--confidential")
    uri = request_uri(world, client, nonce="n-1")
    answered = follow(world, arrive(world, client["client_id"], uri))
    query = redirected(answered)
    assert query["state"] == "st4te" and query["iss"] == "http://127.0.0.1:8000"
    answer = world.exchange(client, query["code"], "v" * 43)
    assert answer.status_code == 200, answer.get_json()
    assert "id_token" in answer.get_json()


def test_a_public_client_pushes_with_its_client_id_alone(world: OAuthWorld) -> None:
    client = world.register()
    uri = request_uri(world, client)
    assert "code" in redirected(follow(world, arrive(world, client["client_id"], uri)))


def test_the_arrival_by_post_is_spent_as_by_get(world: OAuthWorld) -> None:
    client = world.register("--confidential")
    uri = request_uri(world, client)
    form = {"client_id": client["client_id"], "request_uri": uri}
    first = world.client.post("/oauth/authorize", data=form)
    assert "code" in redirected(follow(world, first))
    again = world.client.post("/oauth/authorize", data=form)
    assert again.status_code == 400
    assert "used already" in again.get_data(as_text=True)


def test_a_request_uri_is_spent_once(world: OAuthWorld) -> None:
    client = world.register("--confidential")
    uri = request_uri(world, client)
    assert arrive(world, client["client_id"], uri).status_code == 303
    again = arrive(world, client["client_id"], uri)
    assert again.status_code == 400
    assert "used already" in again.get_data(as_text=True)


def test_an_expired_request_uri_is_refused(world: OAuthWorld) -> None:
    client = world.register("--confidential")
    uri = request_uri(world, client)
    world.clock.advance(seconds=60)
    answer = arrive(world, client["client_id"], uri)
    assert answer.status_code == 400
    assert "expired" in answer.get_data(as_text=True)


def test_another_clients_request_uri_is_refused(world: OAuthWorld) -> None:
    client, other = world.register("--confidential"), world.register("--confidential")
    uri = request_uri(world, client)
    answer = arrive(world, other["client_id"], uri)
    assert answer.status_code == 400
    assert "not pushed by this client" in answer.get_data(as_text=True)
    assert arrive(world, client["client_id"], uri).status_code == 303  # not spent by that


def test_an_unknown_request_uri_is_refused(world: OAuthWorld) -> None:
    client = world.register("--confidential")
    for uri in (
        REQUEST_URI_PREFIX + "x" * 43,
        REQUEST_URI_PREFIX,
        REQUEST_URI_PREFIX + "x/y",
        REQUEST_URI_PREFIX + "é" * 60,
        REQUEST_URI_PREFIX + "A" * 5_000,
    ):
        answer = arrive(world, client["client_id"], uri)
        assert answer.status_code == 400, uri
        assert "not one this server gave" in answer.get_data(as_text=True)


def test_nothing_is_kept_until_the_browser_brings_the_request(world: OAuthWorld) -> None:
    client = world.register("--confidential")
    kept = world.adapters.of(ProviderAdapters).pushed_requests
    assert isinstance(kept, FakePushedRequests)
    # a nonce no sealed text holds by chance (the seal's alphabet has no "!"), so that its
    # absence from the URI says the request is sealed, not only signed
    nonce = "nonce!visible!if!only!signed"
    uri = request_uri(world, client, nonce=nonce)
    assert kept.requests == {}  # the request_uri carries the request, sealed
    assert nonce not in uri and REDIRECT not in uri  # sealed, not only signed
    assert arrive(world, client["client_id"], uri).status_code == 303
    (spent,) = kept.requests.values()
    assert spent.client_id == client["client_id"] and ("nonce", nonce) in spent.params


def test_a_changed_request_uri_is_refused_as_an_unknown_one(world: OAuthWorld) -> None:
    client = world.register("--confidential")
    uri = request_uri(world, client)
    for at in (len(REQUEST_URI_PREFIX) + 5, len(uri) // 2, len(uri) - 3):
        changed = uri[:at] + ("A" if uri[at] != "A" else "B") + uri[at + 1 :]
        answer = arrive(world, client["client_id"], changed)
        assert answer.status_code == 400
        assert "not one this server gave" in answer.get_data(as_text=True)
    assert arrive(world, client["client_id"], uri[:-1]).status_code == 400
    assert arrive(world, client["client_id"], uri).status_code == 303  # left unspent


def test_a_request_uri_sealed_under_another_secret_is_refused(world: OAuthWorld) -> None:
    client = world.register("--confidential")
    other = OAuthWorld(jwt_secret="another-secret-another-secret-another-secret")
    other_client = other.register("--confidential")
    uri = request_uri(other, other_client)
    answer = arrive(world, other_client["client_id"], uri)
    assert answer.status_code == 400
    assert "not one this server gave" in answer.get_data(as_text=True)
    assert arrive(other, other_client["client_id"], uri).status_code == 303
    assert arrive(world, client["client_id"], request_uri(world, client)).status_code == 303


def test_the_signed_out_browser_resumes_its_request_after_signing_in(
    world: OAuthWorld,
) -> None:
    client = world.register("--confidential")
    uri = request_uri(world, client)
    world.client.post(
        "/sign-out",
        data={"csrf_token": csrf_of(world.client.get("/account").get_data(as_text=True))},
    )
    resumed = arrive(world, client["client_id"], uri).headers["Location"]
    to_sign_in = world.client.get(resumed)
    assert to_sign_in.status_code == 303
    back = parse_qs(urlsplit(to_sign_in.headers["Location"]).query)["next"][0]
    assert "pushed=" in back and "request_uri" not in back
    signed_in_and_back(world, "/sign-in", back)


def signed_in_and_back(world: OAuthWorld, sign_in: str, back: str) -> None:
    """Signs in on the page at ``sign_in`` (shown even to a signed-in browser asked anew),
    then back to the resumed request, which answers the app with a code."""
    page = world.client.get(sign_in)
    assert page.status_code == 200
    world.client.post(
        sign_in,
        data={
            "username": "alice",
            "password": PASSWORD,
            "csrf_token": csrf_of(page.get_data(as_text=True)),
        },
    )
    answered = world.client.get(back)
    if answered.status_code == 200:
        answered = world.consent(answered)
    assert "code" in redirected(answered)


def test_a_resumed_request_cannot_be_changed_nor_resumed_without_its_ticket(
    world: OAuthWorld,
) -> None:
    client = world.register("--confidential")
    uri = request_uri(world, client)
    resumed = arrive(world, client["client_id"], uri).headers["Location"]
    changed = resumed.replace("st4te", "other")
    assert world.client.get(changed).status_code == 400
    query = parse_qs(urlsplit(resumed).query)
    handle = query["pushed"][0].partition(".")[0]
    forged = resumed.replace(query["pushed"][0], handle + ".not-the-ticket")
    assert world.client.get(forged).status_code == 400
    world.clock.advance(minutes=10)
    assert world.client.get(resumed).status_code == 400  # the sign-in and consent took too long


def test_a_client_that_must_push_is_refused_a_request_in_the_url(world: OAuthWorld) -> None:
    client = world.register("--confidential", "--require-par")
    assert client["require_pushed_authorization_requests"] is True
    answer = world.authorize(
        client["client_id"], code_challenge="a" * 43, code_challenge_method="S256"
    )
    query = redirected(answer)
    assert query["error"] == "invalid_request" and query["state"] == "st4te"
    assert "pushed" in query["error_description"]
    uri = request_uri(world, client)
    assert "code" in redirected(follow(world, arrive(world, client["client_id"], uri)))


def test_the_server_may_require_every_client_to_push() -> None:
    world = OAuthWorld(oauth_require_par=True)
    client = world.register("--confidential")
    found = world.client.get("/.well-known/openid-configuration").get_json()
    assert found["require_pushed_authorization_requests"] is True
    answer = world.authorize(
        client["client_id"], code_challenge="a" * 43, code_challenge_method="S256"
    )
    assert redirected(answer)["error"] == "invalid_request"


def test_discovery_names_the_endpoint_and_does_not_require_it(world: OAuthWorld) -> None:
    found = world.client.get("/.well-known/openid-configuration").get_json()
    assert found["pushed_authorization_request_endpoint"] == "http://127.0.0.1:8000/oauth/par"
    assert found["require_pushed_authorization_requests"] is False


# -- what /oauth/par refuses, as JSON (RFC 9126 §2.3)


def test_a_confidential_client_must_authenticate(world: OAuthWorld) -> None:
    client = world.register("--confidential")
    answer = push(world, {"client_id": client["client_id"], "client_secret": "wrong"})
    assert answer.status_code in (400, 401)
    assert answer.get_json()["error"] == "invalid_client"
    bare = push(world, {"client_id": client["client_id"]})
    assert bare.get_json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"redirect_uri": "https://evil.example.com/cb"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"code_challenge": "", "code_challenge_method": ""}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"request_uri": REQUEST_URI_PREFIX + "x" * 43}, "invalid_request"),
        ({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported"),
        ({"resource": "no-uri"}, "invalid_target"),
    ],
)
def test_the_pushed_request_is_checked_as_an_authorization_request(
    world: OAuthWorld, params: dict[str, str], error: str
) -> None:
    client = world.register("--confidential")
    answer = push(world, client, **params)
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert answer.mimetype == "application/json"
    assert "Location" not in answer.headers  # never a redirect
    assert answer.get_json()["error"] == error


def test_a_client_id_of_another_client_is_refused(world: OAuthWorld) -> None:
    client, other = world.register("--confidential"), world.register("--confidential")
    answer = world.client.post(
        "/oauth/par",
        data={
            "client_id": other["client_id"],
            "response_type": "code",
            "redirect_uri": REDIRECT,
            "code_challenge": "a" * 43,
            "code_challenge_method": "S256",
        },
        headers={"Authorization": basic(client)},
    )
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "invalid_request"


def basic(client: dict[str, Any]) -> str:
    pair = f"{client['client_id']}:{client['client_secret']}".encode()
    return "Basic " + base64.b64encode(pair).decode()


@pytest.mark.parametrize("length", [17_000, 4_000, 3_000])
def test_a_pushed_request_too_long_is_refused(world: OAuthWorld, length: int) -> None:
    """Its request_uri would pass 4,096 characters: too long to seal into one (the last: the
    parameters under the cap, the request sealed over it)."""
    client = world.register("--confidential")
    answer = push(world, client, login_hint="x" * length)
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "invalid_request"
    assert "4096 characters" in answer.get_json()["error_description"]


def test_a_pushed_request_as_long_as_a_request_uri_takes_goes_through(
    world: OAuthWorld,
) -> None:
    client = world.register("--confidential")
    uri = request_uri(world, client, login_hint="é" * 1_000, nonce="n" * 500)
    assert 3_000 < len(uri) <= MAX_REQUEST_URI_CHARS
    resumed = arrive(world, client["client_id"], uri).headers["Location"]
    assert parse_qs(urlsplit(resumed).query)["login_hint"] == ["é" * 1_000]


# -- the rule that keeps a resumed request as pushed


def test_a_resumed_request_may_only_lose_what_a_new_sign_in_answers() -> None:
    pushed = (("state", "s"), ("prompt", "login consent"), ("max_age", "0"), ("nonce", "n"))
    assert unchanged(pushed, list(pushed))
    assert unchanged(pushed, [("state", "s"), ("prompt", "consent"), ("nonce", "n")])
    assert not unchanged(pushed, [("state", "t"), ("prompt", "consent"), ("nonce", "n")])
    assert not unchanged(pushed, [("state", "s"), ("nonce", "n"), ("scope", "openid")])
    assert not unchanged(pushed, [("state", "s"), ("prompt", "none"), ("nonce", "n")])
    assert not unchanged(pushed, [("state", "s"), ("max_age", "9999"), ("nonce", "n")])
    assert not unchanged(
        pushed, [("state", "s"), ("nonce", "n"), ("prompt", "login"), ("prompt", "x")]
    )


# -- where a client is registered as one that must push


def test_dynamic_registration_takes_require_pushed_authorization_requests() -> None:
    world = OAuthWorld(oauth_dynamic_registration=True)
    body = {"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"}
    made = world.client.post(
        "/oauth/register", json={**body, "require_pushed_authorization_requests": True}
    )
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["require_pushed_authorization_requests"] is True
    client = world.services.of(ClientServices).clients.client(
        FindClient(made.get_json()["client_id"])
    )
    assert client is not None and client.par_required
    plain = world.client.post("/oauth/register", json=body).get_json()
    assert plain["require_pushed_authorization_requests"] is False
    wrong = world.client.post(
        "/oauth/register", json={**body, "require_pushed_authorization_requests": "yes"}
    )
    assert wrong.status_code == 400
    assert wrong.get_json()["error"] == "invalid_client_metadata"


def test_an_orgs_admin_registers_a_client_that_must_push(world: OAuthWorld) -> None:
    register(world.client, "olga")
    auth = bearer(login(world.client, "olga"))
    world.client.post("/orgs", json={"slug": "acme", "name": "Acme"}, headers=auth)
    body = {"name": "Acme app", "redirect_uris": [REDIRECT], "confidential": True}
    made = world.client.post(
        "/orgs/acme/clients",
        json={**body, "require_pushed_authorization_requests": True},
        headers=auth,
    )
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["require_pushed_authorization_requests"] is True
    listed = world.client.get("/orgs/acme/clients", headers=auth).get_json()["items"]
    assert listed[0]["require_pushed_authorization_requests"] is True
    plain = world.client.post("/orgs/acme/clients", json=body, headers=auth).get_json()
    assert plain["require_pushed_authorization_requests"] is False


def test_an_admin_registers_an_app_that_must_push_on_admin(world: OAuthWorld) -> None:
    world.app.test_cli_runner().invoke(args=["users", "set-role", "alice", "admin"])
    html = world.client.get("/admin").get_data(as_text=True)
    assert 'name="require_par"' in html
    answer = world.client.post(
        "/admin/clients",
        data={
            "csrf_token": csrf_of(html),
            "name": "Server App",
            "redirect_uris": REDIRECT,
            "confidential": "true",
            "require_par": "true",
        },
    )
    assert answer.status_code == 201
    assert "Pushed to this site first" in answer.get_data(as_text=True)
    (client,) = world.services.of(ClientServices).clients.list_clients()
    assert client.par_required


def test_a_pushed_prompt_login_signs_in_again_once_and_goes_on(world: OAuthWorld) -> None:
    client = world.register("--confidential")
    uri = request_uri(world, client, prompt="login")
    resumed = arrive(world, client["client_id"], uri).headers["Location"]
    again = world.client.get(resumed)
    assert again.status_code == 303
    assert again.headers["Location"].startswith("/sign-in?")
    back = parse_qs(urlsplit(again.headers["Location"]).query)["next"][0]
    assert "prompt" not in parse_qs(urlsplit(back).query)  # answered by the new sign-in
    signed_in_and_back(world, again.headers["Location"], back)


# -- the seal a request_uri carries its request in


def test_the_seal_opens_what_it_sealed_and_nothing_else() -> None:
    seal = AesGcmRequestSeal(b"k" * 32)
    sealed = seal.seal(b'["id","c1",0,[]]')
    assert seal.open(sealed) == b'["id","c1",0,[]]'
    assert seal.seal(b"same") != seal.seal(b"same")  # a nonce of its own each time
    assert AesGcmRequestSeal(b"o" * 32).open(sealed) is None  # another key: the secret rotated
    flipped = sealed[:20] + ("A" if sealed[20] != "A" else "B") + sealed[21:]
    for broken in (flipped, sealed[:-2], sealed[:30], "", "!!!", "é" * 40, sealed + "="):
        assert seal.open(broken) is None, broken


def test_what_opens_but_is_no_push_is_refused_as_unknown() -> None:
    now = datetime(2026, 5, 1, tzinfo=UTC)
    push = Push.new("c1", (("scope", "openid"), ("state", "a&b")), now)
    assert Push.from_plaintext(push.plaintext()) == push
    for other in (b"", b"[]", b'{"a": 1}', b'["i","c",1,[["x"]]]', b'["i","c","x",[]]', b"\xff"):
        assert Push.from_plaintext(other) is None, other
