"""Clients whose ``client_id`` is the https URL of their metadata document, on the fakes
(docs/agents-and-clis.md, "Agents with a client metadata document"): which ids are such URLs,
the document's rules, the fetch's rules and how long what it found is kept, and each endpoint
that looks a client up."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from application.agents.documents import ClientDocuments, FetchBound
from application.outbound import Answer
from domain.agents.metadata_document import (
    DocumentRefused,
    client_of_document,
    document_client_id,
    kept_seconds,
)
from domain.clients.oauth import may_introspect
from infrastructure.request_counts import InMemoryRequestCounter
from tests.fakes.events import FakePinnedClient
from tests.fakes.kernel import FakeClock, FakeHostResolver
from tests.support.oauth import REDIRECT, OAuthWorld, csrf_of, redirected
from tests.unit.agents.fakes import documents_getter

pytestmark = pytest.mark.unit

URL = "https://agent.example.com/oauth/client.json"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def document(**fields: Any) -> dict[str, Any]:
    found = {
        "client_id": URL,
        "client_name": "Example Agent",
        "redirect_uris": [REDIRECT],
        "token_endpoint_auth_method": "none",
        **fields,
    }
    return {k: v for k, v in found.items() if v is not None}


def answer(body: object, *headers: tuple[str, str], status: int = 200) -> Answer:
    text = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Answer(status, "OK", (("Content-Type", "application/json"), *headers), text)


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def documents(
    getter: FakePinnedClient,
    *,
    local: bool = True,
    resolver: FakeHostResolver | None = None,
    ticks: Ticks | None = None,
) -> ClientDocuments:
    return ClientDocuments(
        getter=getter,
        resolver=resolver or FakeHostResolver(),
        local=local,
        clock=FakeClock(NOW),
        monotonic=ticks or Ticks(),
    )


# -- which client_ids are documents' URLs


@pytest.mark.parametrize(
    "client_id",
    [URL, "https://agent.example.com/c", "https://agent.example.com:8443/a/b?x=1"],
)
def test_an_https_url_with_a_path_names_a_document(client_id: str) -> None:
    assert document_client_id(client_id)


@pytest.mark.parametrize(
    "client_id",
    [
        "http://agent.example.com/client.json",  # not https
        "https://agent.example.com",  # no path
        "https://agent.example.com/",  # the root
        "https://agent.example.com/client.json#x",  # a fragment
        "https://user:pw@agent.example.com/client.json",  # credentials
        "https://agent.example.com/a/../client.json",  # a dot segment
        "https://agent.example.com/./client.json",
        "https:///client.json",  # no host
        "https://agent.example.com:x/client.json",  # no port
        "https://agent.example.com/\u202eclient.json",  # a direction character
        "Zx8-registered-client-id",
    ],
)
def test_other_client_ids_are_not_documents(client_id: str) -> None:
    assert not document_client_id(client_id)


# -- the document's rules


def test_a_public_client_of_a_document() -> None:
    client = client_of_document(URL, document(), NOW)
    assert client.client_id == URL and client.name == "Example Agent"
    assert client.metadata_document and not client.confidential
    assert client.auth_method == "none" and client.pkce_required
    assert client.scopes == ("openid", "profile", "email", "offline_access", "organization")
    assert client.grant_types() == ("authorization_code", "refresh_token")


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"client_id": "https://agent.example.com/other.json"}, "client_id"),
        ({"client_id": URL + "?"}, "client_id"),
        ({"client_id": None}, "client_id"),
        ({"redirect_uris": ["http://agent.example.com/cb"]}, "https"),
        ({"redirect_uris": ["com.example.agent:/cb"]}, "https"),
        ({"redirect_uris": []}, "redirect_uris"),
        ({"redirect_uris": "https://agent.example.com/cb"}, "redirect_uris"),
        ({"redirect_uris": ["https://agent.example.com/cb#f"]}, "not usable"),
        ({"token_endpoint_auth_method": "client_secret_basic"}, "none or private_key_jwt"),
        ({"token_endpoint_auth_method": "client_secret_post"}, "none or private_key_jwt"),
        ({"client_secret": "s3cret"}, "client_secret"),
        ({"token_endpoint_auth_method": "private_key_jwt"}, "jwks_uri or jwks"),
        (
            {
                "token_endpoint_auth_method": "private_key_jwt",
                "jwks_uri": "https://keys.elsewhere.example/jwks.json",
            },
            "own host",
        ),
        ({"client_name": "Agent\u202e"}, "not usable"),
        ({"client_name": 7}, "client_name"),
        ({"scope": ["openid"]}, "scope"),
    ],
)
def test_a_document_that_says_what_may_not_be_is_refused(fields: dict[str, Any], why: str) -> None:
    found = {**document(), **fields}
    with pytest.raises(DocumentRefused, match=why):
        client_of_document(URL, {k: v for k, v in found.items() if v is not None}, NOW)


def test_not_an_object_is_refused() -> None:
    values: tuple[object, ...] = ([], "x", None, 3)
    for value in values:
        with pytest.raises(DocumentRefused, match="JSON object"):
            client_of_document(URL, value, NOW)


def test_redirect_uris_are_https_or_http_on_loopback() -> None:
    uris = ["https://agent.example.com/cb", "http://127.0.0.1/cb", "http://localhost:3000/cb"]
    client = client_of_document(URL, document(redirect_uris=uris), NOW)
    assert client.redirect_uris == tuple(uris)
    assert client.allows_redirect("http://127.0.0.1:49152/cb")  # any port (RFC 8252)


def test_a_private_key_jwt_client_has_its_keys_on_its_own_host() -> None:
    keys = "https://agent.example.com/jwks.json"
    fields = {"token_endpoint_auth_method": "private_key_jwt", "jwks_uri": keys}
    client = client_of_document(URL, document(**fields), NOW)
    assert client.auth_method == "private_key_jwt" and client.jwks_uri == keys
    # confidential, yet no client's own tokens, opt-in grants, or others' tokens to look at
    assert client.confidential
    assert client.grant_types() == ("authorization_code", "refresh_token")
    assert not client.allows_grant("client_credentials")
    assert not may_introspect(
        client, issued_to="another", kind="access_token", audience="https://api.example.com"
    )
    assert may_introspect(client, issued_to=URL, kind="access_token", audience=None)


def test_its_scope_narrows_what_it_may_ask_for_and_never_widens_it() -> None:
    client = client_of_document(URL, document(scope="openid email roles organization"), NOW)
    assert client.scopes == ("openid", "email", "organization")
    assert client.allowed_scope(("openid", "roles", "phone")) == ("openid",)
    unknown_only = client_of_document(URL, document(scope="mcp:tools"), NOW)
    assert "roles" not in unknown_only.scopes and "phone" not in unknown_only.scopes
    assert unknown_only.scopes == ("openid", "profile", "email", "offline_access", "organization")


def test_grant_types_beyond_the_codes_are_ignored() -> None:
    fields = {"grant_types": ["client_credentials", "authorization_code"]}
    client = client_of_document(URL, document(**fields), NOW)
    assert client.grant_types() == ("authorization_code", "refresh_token")


def test_without_a_name_it_is_named_by_its_host() -> None:
    assert client_of_document(URL, document(client_name=None), NOW).name == "agent.example.com"


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, 300),
        ("no-store", 300),
        ("max-age=60", 300),
        ("public, max-age=3600", 3600),
        ('max-age="7200"', 7200),
        ("max-age=999999", 86400),
        ("max-age=-5", 300),
        ("max-age=abc", 300),
    ],
)
def test_a_document_is_kept_as_long_as_its_answer_says_within_bounds(
    header: str | None, seconds: int
) -> None:
    assert kept_seconds(header) == seconds


# -- the fetch


def test_a_document_is_fetched_once_and_kept_by_its_max_age() -> None:
    getter = FakePinnedClient({("GET", URL): answer(document(), ("Cache-Control", "max-age=600"))})
    ticks = Ticks()
    docs = documents(getter, ticks=ticks)
    assert docs.client(URL).name == "Example Agent"
    assert docs.client(URL).name == "Example Agent"
    assert len(getter.asked) == 1
    asked = getter.asked[0]
    assert asked.method == "GET" and asked.headers == {"Accept": "application/json"}
    ticks.now += 599
    docs.client(URL)
    assert len(getter.asked) == 1
    ticks.now += 1
    docs.client(URL)
    assert len(getter.asked) == 2


def test_a_refusal_is_kept_five_minutes() -> None:
    getter = FakePinnedClient({("GET", URL): answer(document(client_id="https://x.example/c"))})
    ticks = Ticks()
    docs = documents(getter, ticks=ticks)
    for _ in range(3):
        with pytest.raises(DocumentRefused, match="client_id"):
            docs.client(URL)
    assert len(getter.asked) == 1
    assert docs.refusal(URL) == "The document's client_id is not the URL it was fetched from."
    getter.answers[("GET", URL)] = answer(document())
    ticks.now += 299
    with pytest.raises(DocumentRefused):
        docs.client(URL)
    ticks.now += 1
    assert docs.client(URL).client_id == URL
    assert docs.refusal(URL) is None and len(getter.asked) == 2


@pytest.mark.parametrize(
    ("given", "why"),
    [
        (301, r"a redirect, which is not followed \(redirect\)"),
        (302, r"\(redirect\)"),
        (307, r"\(redirect\)"),
        (404, r"answered 404 \(status_404\)"),
        (answer(b"{not json"), "not JSON"),
        (answer(b"\xff\xfe"), "not JSON"),
        (answer({"x": "y" * 6000}), r"larger than 5 KB \(too_large\)"),
    ],
)
def test_what_the_url_answers_but_a_document_is_refused(given: object, why: str) -> None:
    getter = FakePinnedClient({("GET", URL): given})
    with pytest.raises(DocumentRefused, match=why):
        documents(getter).client(URL)


def test_a_url_that_does_not_answer_is_refused() -> None:
    with pytest.raises(DocumentRefused, match=r"connection was refused \(connection_refused\)"):
        documents(FakePinnedClient()).client(URL)


def test_a_document_is_fetched_only_from_a_public_address_pinned() -> None:
    getter = FakePinnedClient({("GET", URL): answer(document())})
    resolver = FakeHostResolver({"agent.example.com": ["10.0.0.7"]})
    docs = documents(getter, local=False, resolver=resolver)
    with pytest.raises(DocumentRefused, match="public address"):
        docs.client(URL)
    assert getter.asked == []  # never connected
    for private in (["127.0.0.1"], ["169.254.169.254"], ["93.184.216.34", "192.168.1.1"], []):
        resolver.names["agent.example.com"] = private
        with pytest.raises(DocumentRefused):
            documents(getter, local=False, resolver=resolver).client(URL)
    assert getter.asked == []
    resolver.names["agent.example.com"] = ["93.184.216.34"]
    assert documents(getter, local=False, resolver=resolver).client(URL).client_id == URL
    assert [(a.url, a.address) for a in getter.asked] == [(URL, "93.184.216.34")]


class SlowGetter(FakePinnedClient):
    """Answers after ``delay`` seconds, counting the requests it was sent."""

    def __init__(self, delay: float) -> None:
        super().__init__({("GET", URL): answer(document())})
        self.delay = delay

    def exchange(self, *args: Any, **kwargs: Any) -> Answer:
        time.sleep(self.delay)
        return super().exchange(*args, **kwargs)


def test_thirty_first_requests_at_once_share_one_fetch() -> None:
    getter = SlowGetter(0.2)
    docs = documents(getter)
    found: list[str] = []
    start = threading.Barrier(30)

    def ask() -> None:
        start.wait()
        found.append(docs.client(URL).client_id)

    threads = [threading.Thread(target=ask) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert found == [URL] * 30
    assert len(getter.asked) == 1


# -- through the provider's endpoints


@pytest.fixture
def world() -> OAuthWorld:
    return OAuthWorld()


def serve(world: OAuthWorld, given: object) -> FakePinnedClient:
    getter = documents_getter(world)
    assert isinstance(getter, FakePinnedClient)
    getter.answers[("GET", URL)] = given
    return getter


def authorize(world: OAuthWorld, **params: str) -> Any:
    query = {
        "response_type": "code",
        "client_id": URL,
        "redirect_uri": REDIRECT,
        "scope": "openid profile",
        "state": "st4te",
        "code_challenge": create_s256_code_challenge("v" * 43),
        "code_challenge_method": "S256",
        **params,
    }
    return world.client.get("/oauth/authorize", query_string=query)


def test_discovery_says_documents_are_supported(world: OAuthWorld) -> None:
    for path in ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"):
        assert world.client.get(path).get_json()["client_id_metadata_document_supported"] is True


def test_the_whole_flow_of_a_document_client(world: OAuthWorld) -> None:
    getter = serve(world, answer(document()))
    page = authorize(world)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # the verified host first; the name it gives itself as its own words
    assert html.index("agent.example.com") < html.index("Example Agent")
    assert "It calls itself “Example Agent”" in html
    consent = world.client.post(
        page.request.full_path.replace("/oauth/authorize?", "/oauth/authorize/consent?"),
        data={"decision": "allow", "csrf_token": csrf_of(html)},
    )
    code = redirected(consent)["code"]
    tokens = world.client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": URL,
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": "v" * 43,
        },
    )
    assert tokens.status_code == 200, tokens.get_json()
    refreshed = world.client.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "client_id": URL,
            "refresh_token": tokens.get_json().get("refresh_token", "none"),
        },
    )
    assert refreshed.status_code in (200, 400)  # no offline_access asked: no refresh token
    assert len(getter.asked) == 1  # kept: one fetch for the whole flow


def test_a_refused_document_is_an_error_page_never_a_redirect(world: OAuthWorld) -> None:
    serve(world, answer(document(redirect_uris=["http://attacker.example/cb"])))
    page = authorize(world, redirect_uri="http://attacker.example/cb")
    assert page.status_code == 400 and "Location" not in page.headers
    assert "invalid_client" in page.get_data(as_text=True)
    assert "https (http only on loopback)" in page.get_data(as_text=True)


def test_an_unregistered_redirect_uri_is_an_error_page(world: OAuthWorld) -> None:
    serve(world, answer(document()))
    page = authorize(world, redirect_uri="https://attacker.example/cb")
    assert page.status_code == 400 and "Location" not in page.headers


def test_the_token_endpoint_and_par_say_why_a_document_is_refused(world: OAuthWorld) -> None:
    serve(world, 302)
    for path in ("/oauth/token", "/oauth/par"):
        form = {"client_id": URL, "grant_type": "authorization_code", "code": "x"}
        if path == "/oauth/par":
            form = {"client_id": URL, "response_type": "code", "redirect_uri": REDIRECT}
        found = world.client.post(path, data=form)
        assert found.status_code in (400, 401), (path, found.get_json())
        body = found.get_json()
        assert body["error"] == "invalid_client", (path, body)
        assert "(redirect)" in body["error_description"], (path, body)


def test_a_document_client_gets_no_client_credentials(world: OAuthWorld) -> None:
    serve(world, answer(document()))
    found = world.client.post(
        "/oauth/token", data={"client_id": URL, "grant_type": "client_credentials"}
    )
    assert found.status_code in (400, 401) and found.get_json()["error"] in (
        "unauthorized_client",
        "invalid_client",
        "unsupported_grant_type",
    )


def test_every_provider_endpoint_looks_a_document_client_up_without_a_500(
    world: OAuthWorld,
) -> None:
    """Each route of the provider, by GET and POST, with a refused document's client_id:
    answered, never a server error (the one lookup is ClientCache's)."""
    getter = serve(world, 500)
    rules = [r for r in world.app.url_map.iter_rules() if r.rule.startswith("/oauth/")]
    assert rules
    for rule in rules:
        if rule.arguments:
            continue
        for method in ("GET", "POST"):
            if method not in (rule.methods or ()):
                continue
            params = {"client_id": URL, "response_type": "code", "redirect_uri": REDIRECT}
            found = (
                world.client.get(rule.rule, query_string=params)
                if method == "GET"
                else world.client.post(rule.rule, data={**params, "token": "x"})
            )
            assert found.status_code < 500, (rule.rule, method, found.get_data(as_text=True))
    assert len(getter.asked) == 1  # the refusal kept: one fetch for them all


def test_a_request_that_found_nothing_kept_takes_what_a_fetch_kept_meanwhile() -> None:
    """A request that looked before another's fetch ended, and came to join a fetch after it
    (its count against the bound came between), takes the document kept: one fetch."""
    getter = FakePinnedClient({("GET", URL): answer(document(), ("Cache-Control", "max-age=600"))})
    looked, go_on = threading.Event(), threading.Event()

    def requester() -> str:
        if threading.current_thread().name == "late":
            looked.set()
            go_on.wait(5)
        return ""

    docs = ClientDocuments(
        getter=getter,
        resolver=FakeHostResolver(),
        local=True,
        clock=FakeClock(NOW),
        monotonic=Ticks(),
        bound=FetchBound(limits=(), counter=InMemoryRequestCounter(), requester=requester),
    )
    found: list[str] = []
    late = threading.Thread(target=lambda: found.append(docs.client(URL).name), name="late")
    late.start()
    assert looked.wait(5)
    assert docs.client(URL).name == "Example Agent"  # fetched and kept meanwhile
    go_on.set()
    late.join(5)
    assert found == ["Example Agent"]
    assert len(getter.asked) == 1
