"""Client metadata documents on the fakes: each client address names so many documents this
process does not keep, then 429 with Retry-After on every endpoint that looks a client up
(docs/security.md, "Client metadata documents"), a page's problem or the OAuth JSON error."""

from __future__ import annotations

from typing import Any

import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from application.agents.documents import ClientDocuments, FetchBound
from domain.agents.metadata_document import DocumentRefused
from domain.errors import RateLimited
from domain.request_limits import parse_limits
from infrastructure.request_counts import InMemoryRequestCounter
from tests.fakes.events import FakePinnedClient
from tests.fakes.kernel import FakeClock, FakeHostResolver
from tests.support.oauth import REDIRECT, OAuthWorld

pytestmark = pytest.mark.unit

HOST = "https://agent.example.com"


def bounded(getter: FakePinnedClient, requester: list[str], limits: str) -> ClientDocuments:
    return ClientDocuments(
        getter=getter,
        resolver=FakeHostResolver(),
        local=True,
        clock=FakeClock(),
        bound=FetchBound(
            limits=tuple(parse_limits(limits)),
            counter=InMemoryRequestCounter(),
            requester=lambda: requester[0],
        ),
    )


# -- the bound per client address


def test_requests_naming_documents_not_kept_are_bounded_per_address() -> None:
    address = ["198.51.100.7"]
    documents = bounded(FakePinnedClient(), address, "3/minute")
    for n in range(3):  # none answers: each refused, and the refusal kept
        with pytest.raises(DocumentRefused):
            documents.client(f"{HOST}/{n}.json")
    with pytest.raises(RateLimited) as limited:
        documents.client(f"{HOST}/3.json")
    assert limited.value.retry_after >= 1
    with pytest.raises(DocumentRefused, match="connection_refused"):
        documents.client(f"{HOST}/0.json")  # kept: no fetch, nothing counted
    address[0] = "203.0.113.9"  # another address has a bound of its own
    with pytest.raises(DocumentRefused):
        documents.client(f"{HOST}/3.json")
    address[0] = ""  # outside a request (a job's lookup): not counted
    for n in range(4, 10):
        with pytest.raises(DocumentRefused):
            documents.client(f"{HOST}/{n}.json")


@pytest.fixture
def world() -> OAuthWorld:
    return OAuthWorld(rate_limit_oauth_client_documents="3/minute")


def authorize(world: OAuthWorld, client_id: str, **environ: Any) -> Any:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid",
        "state": "st4te",
        "code_challenge": create_s256_code_challenge("v" * 43),
        "code_challenge_method": "S256",
    }
    return world.client.get("/oauth/authorize", query_string=query, **environ)


def test_past_the_bound_every_endpoint_answers_429_with_retry_after(world: OAuthWorld) -> None:
    for n in range(3):
        assert authorize(world, f"{HOST}/{n}.json").status_code == 400  # refused, told why
    page = authorize(world, f"{HOST}/3.json")
    assert page.status_code == 429 and int(page.headers["Retry-After"]) >= 1
    problem = authorize(world, f"{HOST}/4.json", headers={"Accept": "application/json"})
    assert problem.status_code == 429 and int(problem.headers["Retry-After"]) >= 1
    assert problem.mimetype == "application/problem+json"
    assert problem.get_json()["code"] == "rate_limited"
    token = world.client.post(
        "/oauth/token",
        data={"client_id": f"{HOST}/5.json", "grant_type": "authorization_code", "code": "x"},
    )
    assert token.status_code == 429 and int(token.headers["Retry-After"]) >= 1
    assert token.get_json()["error"] == "temporarily_unavailable"
    # A document kept (its refusal) costs no fetch: it is answered as before.
    assert authorize(world, f"{HOST}/0.json").status_code == 400
    # Another client address has its own bound.
    other = authorize(world, f"{HOST}/6.json", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert other.status_code == 400
