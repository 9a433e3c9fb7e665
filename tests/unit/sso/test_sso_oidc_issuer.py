"""An org's OpenID issuer is an address firegate will fetch from, so it is held to the
webhooks' rules (docs/reference/sso.md, "An OpenID identity provider"): outside the local
profile its host must resolve only to public addresses, when it is configured (through the
API or a setup link: 422 ``issuer_private_address`` on ``oidc.issuer``) and again at each
use, where a host that resolves elsewhere by then is not called (409
``idp_address_refused``). On the fakes, each host's addresses the test's own."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.test import TestResponse

from bootstrap.sso import SsoAdapters
from tests.fakes.kernel import FakeHostResolver
from tests.support.admin_pages import post
from tests.support.api import assert_field_error
from tests.support.sso_world import draft_connection

pytestmark = pytest.mark.unit

PUBLIC = "93.184.215.14"
ISSUER = "https://idp.example.com"
OIDC = {"issuer": ISSUER, "client_id": "firegate", "client_secret": "s3cret"}
REFUSED = "idp_address_refused"


class Corp:
    """An org with an OpenID connection (a draft), in production unless told otherwise (the
    local profile checks no address, as for webhooks)."""

    def __init__(self, *, local: bool = False) -> None:
        self.world, self.alice, self.cid = draft_connection("oidc", local=local)
        self.client = self.world.client
        resolver = self.world.adapters.of(SsoAdapters).metadata_resolver
        assert isinstance(resolver, FakeHostResolver)
        self.resolver = resolver
        resolver.names.update(
            {
                "idp.example.com": [PUBLIC],
                "localhost": ["127.0.0.1", "::1"],
                "inside.example.com": [PUBLIC, "10.1.2.3"],  # one private is enough
            }
        )

    def patch(self, body: dict[str, Any]) -> TestResponse:
        return self.client.patch(
            f"/orgs/acme/connections/{self.cid}", json=body, headers=self.alice
        )

    def issuer(self) -> str:
        found = self.client.get(f"/orgs/acme/connections/{self.cid}", headers=self.alice)
        return str(found.get_json()["oidc"]["issuer"])

    def setup_link(self) -> str:
        made = self.client.post(
            "/orgs/acme/sso/setup-links", json={"connection": self.cid}, headers=self.alice
        )
        assert made.status_code == 201, made.get_json()
        return str(parse_qs(urlsplit(made.get_json()["url"]).query)["token"][0])


NOT_PUBLIC = [
    "http://127.0.0.1:8080",
    "http://localhost:8080",
    "https://10.0.0.7",
    "https://169.254.169.254/latest",  # a cloud's metadata service
    "https://[::1]:8443",
    "https://[::ffff:10.0.0.7]",
    "https://inside.example.com",
]


@pytest.mark.parametrize("issuer", NOT_PUBLIC)
def test_an_issuer_that_is_not_public_is_refused_outside_the_local_profile(issuer: str) -> None:
    corp = Corp()
    assert_field_error(
        corp.patch({"oidc": {"issuer": issuer}}), "oidc.issuer", "issuer_private_address"
    )
    assert corp.issuer() == ""
    # Nor when the connection is made with it.
    made = corp.client.post(
        "/orgs/acme/connections",
        json={"kind": "oidc", "name": "Other", "oidc": {**OIDC, "issuer": issuer}},
        headers=corp.alice,
    )
    assert_field_error(made, "oidc.issuer", "issuer_private_address")


def test_a_setup_link_holder_is_refused_a_private_issuer_beside_its_field() -> None:
    corp = Corp()
    token = corp.setup_link()
    browser = corp.world.app.test_client()  # no account
    status, _, html = post(
        browser,
        "/sso/setup",
        f"/sso/setup?token={token}",
        token=token,
        issuer="http://127.0.0.1:8080",
        client_id="firegate",
        client_secret="s3cret",
    )
    assert status == 422
    assert "This address is not on the internet" in html
    assert corp.issuer() == ""


def test_a_public_issuer_is_kept_and_one_without_an_address_yet_too() -> None:
    corp = Corp()
    assert corp.patch({"oidc": OIDC}).status_code == 200
    assert corp.issuer() == ISSUER
    # A name nobody resolves yet is checked when it is used (an IdP set up before its DNS).
    later = corp.patch({"oidc": {"issuer": "https://sso.not-yet.example"}})
    assert later.status_code == 200, later.get_json()


def test_the_local_profile_takes_an_issuer_on_this_machine() -> None:
    corp = Corp(local=True)
    answer = corp.patch({"oidc": {"issuer": "http://127.0.0.1:8080"}})
    assert answer.status_code == 200, answer.get_json()
    assert corp.issuer() == "http://127.0.0.1:8080"


def test_an_issuer_that_resolves_elsewhere_by_the_sign_in_is_not_called() -> None:
    """Its host checked when given, and again at each fetch: a name whose DNS answers a
    private address by then (DNS rebinding) is not called."""
    corp = Corp()
    assert corp.patch({"oidc": OIDC, "status": "active"}).status_code == 200
    corp.resolver.names["idp.example.com"] = ["127.0.0.1"]
    browser = corp.world.app.test_client()
    start = f"/sso/{corp.cid}/oidc"
    api = browser.get(start, headers={"Accept": "application/json"})  # the pages' script
    assert (api.status_code, api.get_json()["code"]) == (409, REFUSED)
    page = browser.get(start)
    assert page.status_code == 409
    assert "firegate does not call" in page.get_data(as_text=True)


def test_a_test_sign_in_through_a_setup_link_is_refused_it_too() -> None:
    corp = Corp()
    assert corp.patch({"oidc": OIDC}).status_code == 200
    token = corp.setup_link()
    corp.resolver.names["idp.example.com"] = ["10.0.0.7"]
    answer = corp.world.app.test_client().get(
        f"/sso/setup/test?token={token}", headers={"Accept": "application/json"}
    )
    assert (answer.status_code, answer.get_json()["code"]) == (409, REFUSED)
