"""A client metadata document that could not be fetched is refused naming the cause the
outbound client gave (docs/reference/webhooks.md, "Why a call failed"): in the refusal, on
the authorization endpoint's error page, in the token endpoint's JSON error and in a log
line with the cause as a field (docs/reference/oauth.md)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from application.agents.documents import ClientDocuments
from application.outbound import WebhookUnreachable
from domain.agents.metadata_document import DocumentRefused
from tests.fakes.events import FakePinnedClient
from tests.fakes.kernel import FakeClock, FakeHostResolver
from tests.support.oauth import REDIRECT, OAuthWorld
from tests.unit.agents.fakes import documents_getter

pytestmark = pytest.mark.unit

URL = "https://agent.example.com/client.json"


@pytest.mark.parametrize(
    ("cause", "words"),
    [
        ("tls_verification_failed", "its TLS certificate could not be verified"),
        ("connection_refused", "the connection was refused"),
        ("deadline_exceeded", "no whole answer came within 3 seconds"),
        ("connection_closed", "the connection closed before a whole answer"),
    ],
)
def test_a_refused_document_names_the_cause_the_client_gave(
    cause: str, words: str, caplog: pytest.LogCaptureFixture
) -> None:
    getter = FakePinnedClient({("GET", URL): WebhookUnreachable(cause)})
    documents = ClientDocuments(
        getter=getter, resolver=FakeHostResolver(), local=True, clock=FakeClock()
    )
    with (
        caplog.at_level(logging.WARNING, "firegate.outbound"),
        pytest.raises(DocumentRefused) as refused,
    ):
        documents.client(URL)
    assert refused.value.detail == (
        f"The client metadata document could not be fetched: {words} ({cause})."
    )
    logged = [r for r in caplog.records if getattr(r, "outbound_cause", None) == cause]
    assert len(logged) == 1 and getattr(logged[0], "outbound_host", "") == "agent.example.com"


def authorize(world: OAuthWorld) -> Any:
    query = {
        "response_type": "code",
        "client_id": URL,
        "redirect_uri": REDIRECT,
        "scope": "openid",
        "state": "st4te",
        "code_challenge": create_s256_code_challenge("v" * 43),
        "code_challenge_method": "S256",
    }
    return world.client.get("/oauth/authorize", query_string=query)


def test_the_error_page_and_the_json_error_name_the_cause() -> None:
    world = OAuthWorld()
    getter = documents_getter(world)
    assert isinstance(getter, FakePinnedClient)
    getter.answers[("GET", URL)] = WebhookUnreachable("tls_verification_failed")
    page = authorize(world)
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "its TLS certificate could not be verified (tls_verification_failed)" in html
    assert "within 3 seconds" not in html
    token = world.client.post(
        "/oauth/token", data={"client_id": URL, "grant_type": "authorization_code", "code": "x"}
    )
    body = token.get_json()
    assert body["error"] == "invalid_client"
    assert "(tls_verification_failed)" in body["error_description"]
