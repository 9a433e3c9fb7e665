"""What an org's OpenID connection fetches from its IdP (discovery, keys, the code's exchange,
userinfo) is fetched as a webhook is sent (docs/reference/sso.md, "Signing in"): no redirect
is followed (409 ``idp_address_refused``), and an IdP that trickles its answer in is cut at
the webhooks' deadline (503), whichever of its addresses does it. Against a stand-in IdP in
the test's process that redirects or trickles where a test says (tests/support/oidc_idp.py),
in the local profile, which allows an IdP on this machine; the address rules of the other
profiles are tested in tests/unit/sso/test_sso_oidc_issuer.py and
tests/unit/sso/test_sso_idp_requests.py."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.support.oidc_idp import DISCOVERY
from tests.support.sso_world import LANDING, OidcSso, oidc_sso, signed_in

pytestmark = pytest.mark.unit

REFUSED = "idp_address_refused"
PERSON = {"sub": "sub-gus", "email": "gus@corp.example", "given_name": "Gus"}


def returned(sso: OidcSso, browser: FlaskClient, path: str, *, trickled: bool = False) -> Any:
    """A sign-in whose return finds ``path`` of the IdP redirecting (or trickling): the
    answer to the browser back from the IdP. The ID token lacks the address, so that userinfo
    is read for it."""
    location = sso.start(browser)
    (sso.idp.slow if trickled else sso.idp.redirected).add(path)
    callback = sso.idp.authorize(location, {"sub": PERSON["sub"]}, userinfo=PERSON)
    return sso.back(browser, callback)


def nobody_signed_in(sso: OidcSso, browser: FlaskClient) -> None:
    assert sso.user_of(PERSON["email"]) is None
    assert not signed_in(browser)


def test_a_discovery_document_that_redirects_is_not_followed() -> None:
    with oidc_sso() as sso:
        sso.idp.redirected.add(DISCOVERY)
        browser = sso.world.app.test_client()
        start = f"/sso/{sso.cid}/oidc?next={LANDING}"
        page = browser.get(start)
        assert page.status_code == 409, page.get_data(as_text=True)
        assert "firegate does not call" in page.get_data(as_text=True)
        api = browser.get(start, headers={"Accept": "application/json"})  # the pages' script
        assert (api.status_code, api.get_json()["code"]) == (409, REFUSED)
        assert sso.idp.followed == []


@pytest.mark.parametrize("path", ["/token", "/jwks", "/userinfo"])
def test_an_idp_address_that_redirects_is_not_followed(path: str) -> None:
    with oidc_sso() as sso:
        browser = sso.world.app.test_client()
        answer = returned(sso, browser, path)
        assert answer.status_code == 409, answer.get_data(as_text=True)
        assert sso.idp.followed == []
        nobody_signed_in(sso, browser)


def test_a_test_sign_in_is_refused_a_redirect_as_a_sign_in_is() -> None:
    with oidc_sso() as sso:
        off = sso.world.client.patch(
            f"/orgs/corp/connections/{sso.cid}", json={"status": "inactive"}, headers=sso.owner
        )
        assert off.status_code == 200, off.get_json()
        made = sso.world.client.post(
            "/orgs/corp/sso/setup-links", json={"connection": sso.cid}, headers=sso.owner
        )
        token = made.get_json()["url"].partition("token=")[2]
        sso.idp.redirected.add(DISCOVERY)
        answer = sso.world.app.test_client().get(f"/sso/setup/test?token={token}")
        assert answer.status_code == 409, answer.get_data(as_text=True)
        assert sso.idp.followed == []


# The deadline: a second; each trickled answer takes several, a byte well within any read's
# timeout.
DEADLINE = {"webhook_timeout": 1.0}


def test_a_discovery_document_that_trickles_in_is_cut_at_the_deadline() -> None:
    with oidc_sso(**DEADLINE) as sso:
        sso.idp.slow.add(DISCOVERY)
        answer = sso.world.app.test_client().get(f"/sso/{sso.cid}/oidc?next={LANDING}")
        assert answer.status_code == 503, answer.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/token", "/jwks", "/userinfo"])
def test_an_idp_address_that_trickles_in_is_cut_at_the_deadline(path: str) -> None:
    with oidc_sso(**DEADLINE) as sso:
        browser = sso.world.app.test_client()
        answer = returned(sso, browser, path, trickled=True)
        assert answer.status_code == 503, answer.get_data(as_text=True)
        nobody_signed_in(sso, browser)


def test_an_idp_that_behaves_signs_in_through_the_same_client() -> None:
    with oidc_sso(**DEADLINE) as sso:
        browser = sso.world.app.test_client()
        location = sso.start(browser)
        callback = sso.idp.authorize(location, {"sub": PERSON["sub"]}, userinfo=PERSON)
        assert sso.back(browser, callback).status_code == 303
        assert sso.user_of(PERSON["email"]) is not None and signed_in(browser)


def test_an_idp_that_cannot_be_reached_says_when_to_try_again() -> None:
    with oidc_sso() as sso, socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # a port nobody listens on
        issuer = f"http://127.0.0.1:{closed.getsockname()[1]}"
        moved = sso.world.client.patch(
            f"/orgs/corp/connections/{sso.cid}",
            json={"oidc": {"issuer": issuer}},
            headers=sso.owner,
        )
        assert moved.status_code == 200, moved.get_json()
        browser = sso.world.app.test_client()
        start = f"/sso/{sso.cid}/oidc?next={LANDING}"
        for accept in ("text/html", "application/json"):  # the page, the pages' script
            answer = browser.get(start, headers={"Accept": accept})
            assert answer.status_code == 503, answer.get_data(as_text=True)
            assert answer.headers["Retry-After"] == "30"


@pytest.mark.parametrize("changed", [{"code_challenge_method": None}, {"token_endpoint": 7}])
def test_a_discovery_document_that_unsettles_the_client_is_refused_not_a_500(
    changed: dict[str, Any],
) -> None:
    # Authlib hands a discovery document's keys to the client it makes: an IdP's document
    # that turns PKCE off, or names no usable token endpoint, is the IdP's fault, told as a
    # refused sign-in, never a 500.
    with oidc_sso() as sso:
        sso.idp.discovery_extra.update(changed)
        browser = sso.world.app.test_client()
        started = browser.get(f"/sso/{sso.cid}/oidc?next={LANDING}")
        if started.status_code == 303:  # the start did not need the key: the return does
            callback = sso.idp.authorize(started.headers["Location"], PERSON)
            started = sso.back(browser, callback)
        assert started.status_code in (401, 409, 503), started.get_data(as_text=True)
        nobody_signed_in(sso, browser)
