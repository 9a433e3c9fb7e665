"""Google's RISC events on the fakes (docs/reference/ssf-receiver.md, "Google"): the upstream
provider SSF_GOOGLE_PROVIDER names (here the tests' OpenID IdP, "corp") takes the SETs pushed
to ``/ssf/receive/google``, checked against the RISC configuration SSF_GOOGLE_RISC_
CONFIGURATION_URL names (a local issuer with the tests' keys): sessions revoked end the linked
account's sessions, an account disabled also stops its sign-in through the provider; every
refusal leaves the person signed in."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from bootstrap.federation import FederationAdapters, configured_providers
from tests.fakes.federation import FakeUpstreamProviders
from tests.support.app import World
from tests.support.oidc_idp import CLIENT_ID, CLIENT_SECRET, OidcIdpForTests, oidc_idp
from tests.support.ssf_transmitter import (
    ACCOUNT_DISABLED,
    OTHER_KEY,
    RISC_CONFIGURATION,
    SESSIONS_REVOKED,
    documents,
    set_claims,
    signed_set,
)
from tests.support.sso_world import signed_in
from tests.unit.shared_signals.fakes import FakeTransmitterCalls, joined

pytestmark = pytest.mark.unit

RISC = "https://risc.google.example"
DAN = "dan@example.com"


@dataclass
class Google:
    world: World
    idp: OidcIdpForTests
    browser: FlaskClient  # Dan's, signed in through the provider

    def sign_in(self, browser: FlaskClient) -> TestResponse:
        started = browser.get("/sign-in/with/corp")
        assert started.status_code == 303, started.get_data(as_text=True)
        person = {"sub": "sub-dan", "email": DAN, "email_verified": True}
        back = urlsplit(self.idp.authorize(started.headers["Location"], person))
        return browser.get(f"{back.path}?{back.query}")

    def push(
        self, event: str = SESSIONS_REVOKED, sub: str = "sub-dan", **more: Any
    ) -> TestResponse:
        subject = {"subject_type": "iss-sub", "iss": self.idp.issuer, "sub": sub}
        claims = set_claims(RISC, event, subject, audience=CLIENT_ID, **more)
        return self.post(signed_set(claims))

    def post(self, token: str) -> TestResponse:
        return self.world.client.post(
            "/ssf/receive/google", data=token, content_type="application/secevent+jwt"
        )


@pytest.fixture(scope="module")
def idp() -> Iterator[OidcIdpForTests]:
    with oidc_idp() as found:
        yield found


@pytest.fixture
def google(idp: OidcIdpForTests) -> Google:
    provider = {"id": "corp", "issuer": idp.issuer, "client_id": CLIENT_ID}
    world = World(
        app_profile="local",
        upstream_providers=[{**provider, "client_secret": CLIENT_SECRET}],
        ssf_google_provider="corp",
        ssf_google_risc_configuration_url=RISC + RISC_CONFIGURATION,
    )
    for configured in configured_providers(world.settings, FakeUpstreamProviders()).list_all():
        world.adapters.of(FederationAdapters).upstream_providers.add(configured)
    own = joined(world.adapters, world.store)
    assert isinstance(own.calls, FakeTransmitterCalls)
    own.calls.documents.update(documents(RISC))
    made = Google(world, idp, world.app.test_client())
    assert made.sign_in(made.browser).status_code == 303
    assert signed_in(made.browser)
    return made


def _refused(answer: TestResponse, err: str) -> None:
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert answer.get_json()["err"] == err


def test_sessions_revoked_ends_the_linked_accounts_sessions(google: Google) -> None:
    assert google.push().status_code == 202
    assert not signed_in(google.browser)
    again = google.world.app.test_client()
    assert google.sign_in(again).status_code == 303  # Google still signs the person in


def test_account_disabled_stops_signing_in_through_google(google: Google) -> None:
    assert google.push(ACCOUNT_DISABLED).status_code == 202
    assert not signed_in(google.browser)
    again = google.world.app.test_client()
    refused = google.sign_in(again)
    assert refused.status_code == 403, refused.get_data(as_text=True)
    assert not signed_in(again)


@pytest.mark.parametrize(
    ("change", "err"),
    [
        ({"aud": "another-client"}, "invalid_audience"),
        ({"iss": "https://accounts.google.example"}, "invalid_issuer"),
        ({"sub": "sub-nobody"}, "invalid_request"),
    ],
)
def test_a_set_refused_leaves_the_person_signed_in(
    google: Google, change: dict[str, str], err: str
) -> None:
    sub = change.pop("sub", "sub-dan")
    _refused(google.push(sub=sub, **change), err)
    assert signed_in(google.browser)


def test_a_bad_signature_or_a_replay_is_refused(google: Google) -> None:
    subject = {"subject_type": "iss-sub", "iss": google.idp.issuer, "sub": "sub-dan"}
    claims = set_claims(RISC, ACCOUNT_DISABLED, subject, audience=CLIENT_ID)
    _refused(google.post(signed_set(claims, key=OTHER_KEY)), "invalid_key")
    assert signed_in(google.browser)
    claims = set_claims(RISC, SESSIONS_REVOKED, subject, audience=CLIENT_ID)
    assert google.post(signed_set(claims)).status_code == 202
    again = google.world.app.test_client()
    assert google.sign_in(again).status_code == 303
    _refused(google.post(signed_set(claims)), "invalid_request")
    assert signed_in(again)
