"""Home-realm discovery on the fakes: ``GET /sso/discover`` answers a domain's connection and
the same for every address of it; ``/sign-in`` asks for the address first while any org has
single sign-on, sends an address of an org's domain to its IdP and any other to the usual
form, and is the one-step form while none has (docs/reference/sso.md, "Home-realm
discovery")."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient

from application.sso.discovery import Discovered, SignInStart, SsoPresence
from application.sso.services import SsoServices
from interfaces.shared.services import services
from tests.fakes.kernel import FakeClock
from tests.fakes.sso import FakeConnections
from tests.support.api import PASSWORD, assert_field_error, assert_problem, register
from tests.support.app import World
from tests.support.pages import csrf
from tests.support.saml_idp import ENTITY_ID, SSO_URL, KeyPair
from tests.support.sso import idp_keys, onward, sso
from tests.support.sso_world import SamlSso

pytestmark = pytest.mark.unit
__all__ = ["idp_keys", "sso"]  # fixtures


def test_an_address_on_the_verified_domain_is_answered_its_connection(sso: SamlSso) -> None:
    found = sso.world.client.get("/sso/discover?email=ada@corp.example")
    assert found.status_code == 200, found.get_data(as_text=True)
    assert found.headers["Cache-Control"] == "no-store"
    assert found.get_json() == {
        "connection": {"id": sso.cid, "kind": "saml", "name": "Corp IdP"},
        "url": sso.connection["saml"]["acs_url"].removesuffix("/acs"),
        "domain": "corp.example",
    }
    shouted = sso.world.client.get("/sso/discover?email=Ada@CORP.Example")
    assert shouted.get_json() == found.get_json()


def test_the_answer_tells_a_domain_never_an_account(sso: SamlSso) -> None:
    """An address with an account and one without get the same answer, on the domain and
    off it: discovery reads no account."""
    register(sso.world.client, "ivy", email="ivy@corp.example")
    register(sso.world.client, "max", email="max@elsewhere.example")
    client = sso.world.client
    with_account = client.get("/sso/discover?email=ivy@corp.example").get_json()
    assert with_account == client.get("/sso/discover?email=nobody@corp.example").get_json()
    elsewhere = assert_problem(
        client.get("/sso/discover?email=max@elsewhere.example"), 404, "sso_not_found"
    )
    nobody = assert_problem(
        client.get("/sso/discover?email=nobody@elsewhere.example"), 404, "sso_not_found"
    )
    assert elsewhere == nobody
    for text in ("no-at-sign", "trailing@", "@corp.example.", "a@b@corp.example"):
        answer = client.get("/sso/discover", query_string={"email": text})
        assert answer.status_code in (404, 200), text
    # a subdomain is not the domain verified
    assert_problem(client.get("/sso/discover?email=a@eu.corp.example"), 404, "sso_not_found")


def test_bad_queries_are_refused(sso: SamlSso) -> None:
    client = sso.world.client
    assert_field_error(client.get("/sso/discover"), "email", "missing")
    assert_problem(client.get("/sso/discover?email=a@corp.example&x=1"), 422, "validation_failed")
    assert_problem(
        client.get("/sso/discover?email=a@corp.example&email=b@corp.example"),
        400,
        "repeated_field",
    )


def test_a_switched_off_connection_routes_nobody(sso: SamlSso) -> None:
    off = sso.world.client.patch(
        f"/orgs/corp/connections/{sso.cid}", json={"status": "inactive"}, headers=sso.owner
    )
    assert off.status_code == 200, off.get_json()
    assert_problem(
        sso.world.client.get("/sso/discover?email=ada@corp.example"), 404, "sso_not_found"
    )


def test_of_two_active_connections_the_oldest_signs_in(sso: SamlSso, idp_keys: KeyPair) -> None:
    sso.world.clock.advance(seconds=1)
    newer = sso.world.client.post(
        "/orgs/corp/connections",
        json={
            "kind": "saml",
            "name": "Corp IdP 2",
            "saml": {"entity_id": ENTITY_ID, "sso_url": SSO_URL, "certificates": [idp_keys.der]},
            "status": "active",
        },
        headers=sso.owner,
    )
    assert newer.status_code == 201, newer.get_json()
    found = sso.world.client.get("/sso/discover?email=ada@corp.example").get_json()
    assert found["connection"]["id"] == sso.cid
    sso.world.client.patch(
        f"/orgs/corp/connections/{sso.cid}", json={"status": "inactive"}, headers=sso.owner
    )
    found = sso.world.client.get("/sso/discover?email=ada@corp.example").get_json()
    assert found["connection"]["id"] == newer.get_json()["id"]


def test_a_deleted_org_routes_nobody(sso: SamlSso) -> None:
    assert sso.world.client.delete("/orgs/corp", headers=sso.owner).status_code == 204
    assert_problem(
        sso.world.client.get("/sso/discover?email=ada@corp.example"), 404, "sso_not_found"
    )


# -- the org's own start (``HomeRealmDiscovery.of_org``), as another unit asks it


def _org_start(sso: SamlSso, org_id: str) -> SignInStart | None:
    """The org's start, asked through the sso's services as a unit's page or route does."""
    with sso.world.app.test_request_context("/"):
        return services().of(SsoServices).discovery.of_org(org_id)


def test_an_org_with_an_active_connection_starts_at_it(sso: SamlSso) -> None:
    start = _org_start(sso, sso.org_id)
    assert start is not None and not isinstance(start, Discovered)  # no address: no domain
    found = sso.world.services.of(SsoServices).discovery.discover("ada@corp.example")
    assert found is not None
    assert (start.org, start.connection, start.path, start.url) == (
        found.org,
        found.connection,
        found.path,
        found.url,
    )
    assert start.path == f"/sso/{sso.cid}/saml"
    assert start.org.id == sso.org_id


def test_an_org_without_an_active_connection_has_no_start(sso: SamlSso) -> None:
    off = sso.world.client.patch(
        f"/orgs/corp/connections/{sso.cid}", json={"status": "inactive"}, headers=sso.owner
    )
    assert off.status_code == 200, off.get_json()
    assert _org_start(sso, sso.org_id) is None
    assert _org_start(sso, "no-such-org") is None


def test_an_org_with_no_connection_at_all_has_no_start(sso: SamlSso) -> None:
    other = sso.world.client.post(
        "/orgs", json={"slug": "other", "name": "Other"}, headers=sso.owner
    )
    assert other.status_code == 201, other.get_json()
    assert _org_start(sso, other.get_json()["id"]) is None


def test_a_deleted_org_has_no_start(sso: SamlSso) -> None:
    assert sso.world.client.delete("/orgs/corp", headers=sso.owner).status_code == 204
    assert _org_start(sso, sso.org_id) is None


# -- the sign-in page


def _form_action(html: str) -> list[str]:
    """Where the page's sign-in forms post (the language switch aside)."""
    found = re.findall(r'<form method="post" action="([^"]+)"', html)
    return [action for action in found if not action.startswith("/language")]


def test_without_single_sign_on_the_page_signs_in_in_one_step() -> None:
    world = World()
    register(world.client, "alice")
    html = world.client.get("/sign-in").get_data(as_text=True)
    assert 'name="password"' in html and "/sign-in/continue" not in html
    answer = world.client.post(
        "/sign-in",
        data={"username": "alice", "password": PASSWORD, "csrf_token": csrf(world.client)},
    )
    assert answer.status_code == 303 and answer.headers["Location"] == "/account"


def test_with_single_sign_on_the_page_asks_for_the_address_first(sso: SamlSso) -> None:
    browser = sso.world.app.test_client()
    html = browser.get("/sign-in?next=/account/orgs").get_data(as_text=True)
    assert 'name="password"' not in html
    assert _form_action(html) == ["/sign-in/continue?next=%2Faccount%2Forgs"]
    assert 'autocomplete="username webauthn"' in html  # passkeys still offered there
    token = csrf(browser, "/sign-in")
    to_idp = browser.post(
        "/sign-in/continue?next=/account/orgs",
        data={"username": " ada@corp.example ", "csrf_token": token},
    )
    target = onward(to_idp)
    location = urlsplit(target)
    assert location.path == f"/sso/{sso.cid}/saml"
    assert parse_qs(location.query) == {"next": ["/account/orgs"]}
    # ... and on through the IdP, signed in where the page was asked to lead
    start = browser.get(target)
    request = sso.idp.request_of(start.headers["Location"])
    arrived = sso.post(browser, sso.response(request.message.id, "ada@corp.example"))
    assert arrived.status_code == 303 and arrived.headers["Location"] == "/account/orgs"
    assert browser.get("/account").status_code == 200


def test_any_other_address_gets_the_usual_form_filled_in(sso: SamlSso) -> None:
    register(sso.world.client, "max", email="max@elsewhere.example")
    browser = sso.world.app.test_client()
    token = csrf(browser, "/sign-in")
    for typed in ("max@elsewhere.example", "max"):
        step = browser.post("/sign-in/continue", data={"username": typed, "csrf_token": token})
        assert step.status_code == 200
        html = step.get_data(as_text=True)
        assert _form_action(html) == ["/sign-in?next=%2Faccount"]
        assert f'value="{typed}"' in html and 'name="password"' in html
    signed_in = browser.post(
        "/sign-in", data={"username": "max", "password": PASSWORD, "csrf_token": token}
    )
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == "/account"


def test_the_one_step_form_still_signs_in_while_an_org_has_sso(sso: SamlSso) -> None:
    """A form that posts the username and password at once (a password manager, a script)
    signs in as before."""
    register(sso.world.client, "max", email="max@elsewhere.example")
    browser = sso.world.app.test_client()
    answer = browser.post(
        "/sign-in",
        data={"username": "max", "password": PASSWORD, "csrf_token": csrf(browser, "/sign-in")},
    )
    assert answer.status_code == 303 and answer.headers["Location"] == "/account"


def test_the_first_step_needs_an_address(sso: SamlSso) -> None:
    browser = sso.world.app.test_client()
    refused = browser.post(
        "/sign-in/continue", data={"username": "", "csrf_token": csrf(browser, "/sign-in")}
    )
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'role="alert"' in html and "/sign-in/continue" in html


def test_whether_any_org_has_sso_is_read_once_per_interval() -> None:
    class Counting(FakeConnections):
        asked = 0

        def any_active(self) -> bool:
            Counting.asked += 1
            return super().any_active()

    clock = FakeClock()
    presence = SsoPresence(Counting(), clock)
    assert [presence() for _ in range(50)] == [False] * 50
    assert Counting.asked == 1
    clock.advance(seconds=31)
    assert presence() is False and Counting.asked == 2


def test_the_last_connection_switched_off_shows_on_the_page_within_the_interval(
    sso: SamlSso,
) -> None:
    browser: FlaskClient = sso.world.app.test_client()
    assert "/sign-in/continue" in browser.get("/sign-in").get_data(as_text=True)
    sso.world.client.patch(
        f"/orgs/corp/connections/{sso.cid}", json={"status": "inactive"}, headers=sso.owner
    )
    assert "/sign-in/continue" in browser.get("/sign-in").get_data(as_text=True)  # remembered
    sso.world.clock.advance(seconds=31)
    assert 'name="password"' in browser.get("/sign-in").get_data(as_text=True)


def test_an_openid_connection_starts_at_its_own_address(sso: SamlSso) -> None:
    client = sso.world.client
    client.patch(
        f"/orgs/corp/connections/{sso.cid}", json={"status": "inactive"}, headers=sso.owner
    )
    made = client.post(
        "/orgs/corp/connections",
        json={
            "kind": "oidc",
            "name": "Entra",
            "oidc": {
                "issuer": "https://login.example.com/t",
                "client_id": "a",
                "client_secret": "s",
            },
            "status": "active",
        },
        headers=sso.owner,
    )
    assert made.status_code == 201, made.get_json()
    oidc = made.get_json()["id"]
    found = client.get("/sso/discover?email=ada@corp.example").get_json()
    assert found["connection"] == {"id": oidc, "kind": "oidc", "name": "Entra"}
    assert urlsplit(found["url"]).path == f"/sso/{oidc}/oidc"
    browser = sso.world.app.test_client()
    sent = browser.post(
        "/sign-in/continue",
        data={"username": "ada@corp.example", "csrf_token": csrf(browser, "/sign-in")},
    )
    assert urlsplit(onward(sent)).path == f"/sso/{oidc}/oidc"
