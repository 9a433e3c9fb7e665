"""Signing in through an org's OpenID connection on the fakes, against a stand-in IdP in the
test's process whose ID tokens the tests choose (tests/support/oidc_idp.py), checked by the
upstream providers' Authlib client: the authorization request, the mapping of claims (from
the ID token or userinfo), and each refusal (docs/reference/sso.md, "Signing in"). Which
account the person gets is tested for both kinds of connection in
tests/unit/sso/test_sso_accounts.py."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient

from bootstrap.accounts import AccountsAdapters
from bootstrap.sso import SsoAdapters
from tests.support.oidc_idp import CLIENT_ID
from tests.support.sso_world import OidcSso, oidc_sso, signed_in

pytestmark = pytest.mark.unit
CORP = "corp.example"


@pytest.fixture
def sso() -> Iterator[OidcSso]:
    with oidc_sso() as found:
        yield found


def test_the_start_asks_for_a_code_with_pkce_state_and_nonce(sso: OidcSso) -> None:
    location = sso.start(sso.world.app.test_client())
    assert location.startswith(sso.idp.issuer + "/authorize?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert query["response_type"] == "code" and query["client_id"] == CLIENT_ID
    assert query["code_challenge_method"] == "S256" and query["code_challenge"]
    assert query["state"] and query["nonce"]
    assert query["redirect_uri"] == sso.connection["oidc"]["redirect_uri"]
    assert query["redirect_uri"].endswith(f"/sso/{sso.cid}/oidc/callback")
    # The mapping reads groups and the IdP lists the scope: it is asked for.
    assert query["scope"].split() == ["openid", "email", "profile", "groups"]


def test_groups_is_asked_for_only_where_the_idp_lists_it(sso: OidcSso) -> None:
    sso.idp.scopes_supported = ["openid", "email", "profile"]
    location = sso.start(sso.world.app.test_client())
    assert parse_qs(urlsplit(location).query)["scope"] == ["openid email profile"]


def test_claims_the_id_token_lacks_are_read_from_userinfo(sso: OidcSso) -> None:
    browser = sso.world.app.test_client()
    location = sso.start(browser)
    userinfo = {
        "sub": "sub-bo",
        "email": "bo@corp.example",
        "given_name": "Bo",
        "family_name": "Diddley",
        "groups": ["Staff", "IT"],
    }
    callback = sso.idp.authorize(location, {"sub": "sub-bo"}, userinfo=userinfo)
    assert sso.back(browser, callback).status_code == 303
    bo = sso.user_of("bo@corp.example")
    assert bo is not None and (bo.name, bo.last_name) == ("Bo", "Diddley")
    assert sso.member_roles(bo.id) == ("member", "admin")


def test_the_mapping_names_the_claims(sso: OidcSso) -> None:
    changed = sso.world.client.patch(
        f"/orgs/corp/connections/{sso.cid}",
        json={
            "mapping": {
                "email": "upn",
                "given_name": "first",
                "family_name": "last",
                "groups": "roles_at_corp",
                "roles": {"IT": ["admin"]},
            }
        },
        headers=sso.owner,
    )
    assert changed.status_code == 200, changed.get_json()
    browser = sso.world.app.test_client()
    arrived = sso.sign_in_with(
        browser,
        "private@elsewhere.example",
        upn="cy@corp.example",
        first="Cy",
        last="Young",
        roles_at_corp="IT",  # one group, as a text
    )
    assert arrived.status_code == 303
    cy = sso.user_of("cy@corp.example")
    assert cy is not None and (cy.name, cy.last_name) == ("Cy", "Young") and cy.email_verified
    assert sso.member_roles(cy.id) == ("admin",)
    assert sso.user_of("private@elsewhere.example") is None


def test_a_whole_name_serves_where_the_idp_gives_no_parts(sso: OidcSso) -> None:
    browser = sso.world.app.test_client()
    location = sso.start(browser)
    person = {"sub": "sub-hal", "email": "hal@corp.example", "name": "Hal Jordan"}
    assert sso.back(browser, sso.idp.authorize(location, person)).status_code == 303
    assert sso.user_of("hal@corp.example").full_name == "Hal Jordan"


def test_an_address_the_idp_says_is_unverified_proves_nothing(sso: OidcSso) -> None:
    arrived = sso.sign_in_with(
        sso.world.app.test_client(), "fay@corp.example", email_verified=False
    )
    assert arrived.status_code == 303
    fay = sso.user_of("fay@corp.example")
    assert fay is not None and not fay.email_verified
    assert sso.member_roles(fay.id) is None


@contextlib.contextmanager
def logged(name: str) -> Iterator[list[str]]:
    """What the logger ``name`` logs meanwhile (whatever another test set its propagation
    to)."""
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    logger, handler = logging.getLogger(name), Keep(logging.INFO)
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def refused(sso: OidcSso, answer: Any) -> None:
    assert answer.status_code == 401, answer.get_data(as_text=True)
    assert "text/html" in answer.content_type  # an error page
    assert sso.user_of("gus@corp.example") is None


def test_another_state_or_another_browsers_answer_signs_nobody_in(sso: OidcSso) -> None:
    browser = sso.world.app.test_client()
    location = sso.start(browser)
    callback = sso.idp.authorize(location, {"sub": "gus", "email": "gus@corp.example"})
    # Another browser, which started nothing, cannot use this browser's answer.
    thief = sso.world.app.test_client()
    refused(sso, sso.back(thief, callback))
    assert not signed_in(thief)
    # Another state than the flight's.
    forged = callback.replace("state=", "state=x")
    refused(sso, sso.back(browser, forged))
    # The flight was dropped by that answer: the real one finds none now.
    refused(sso, sso.back(browser, callback))
    assert not signed_in(browser)
    # Another browser's flight (its own round trip) does not take this one's answer either.
    other = sso.world.app.test_client()
    sso.start(other)
    refused(sso, sso.back(other, callback))


@pytest.mark.parametrize(
    ("claim", "value"),
    [("nonce", "another-nonce"), ("iss", "https://elsewhere.example"), ("aud", "another-client")],
    ids=["wrong-nonce", "another-issuer", "another-audience"],
)
def test_an_id_token_not_for_this_flight_or_client_is_refused(
    sso: OidcSso, claim: str, value: str
) -> None:
    browser = sso.world.app.test_client()
    location = sso.start(browser)
    person = {"sub": "gus", "email": "gus@corp.example"}
    with logged("firegate.upstream") as lines:
        answer = sso.back(browser, sso.idp.authorize(location, person, changes={claim: value}))
    refused(sso, answer)
    assert not signed_in(browser)
    assert any(f"Invalid claim: '{claim}'" in line for line in lines)  # refused by that check


def test_the_idps_error_answer_signs_nobody_in(sso: OidcSso) -> None:
    browser = sso.world.app.test_client()
    refused(sso, sso.back(browser, sso.idp.error(sso.start(browser))))
    assert not signed_in(browser)


@pytest.mark.parametrize("status", ["inactive", "draft"])
def test_a_connection_not_active_signs_nobody_in(sso: OidcSso, status: str) -> None:
    browser = sso.world.app.test_client()
    location = sso.start(browser)
    callback = sso.idp.authorize(location, {"sub": "gus", "email": "gus@corp.example"})
    off = sso.world.client.patch(
        f"/orgs/corp/connections/{sso.cid}", json={"status": status}, headers=sso.owner
    )
    assert off.status_code == 200, off.get_json()
    for answer in (browser.get(f"/sso/{sso.cid}/oidc"), sso.back(browser, callback)):
        assert answer.status_code == 404
    api = sso.world.client.get(f"/sso/{sso.cid}/oidc", headers={"Accept": "application/json"})
    assert api.status_code == 404
    assert sso.user_of("gus@corp.example") is None


def test_a_saml_connection_or_no_connection_has_no_openid_sign_in(sso: OidcSso) -> None:
    client = sso.world.app.test_client()
    saml = sso.world.client.post(
        "/orgs/corp/connections", json={"kind": "saml", "name": "Other"}, headers=sso.owner
    ).get_json()
    assert client.get(f"/sso/{saml['id']}/oidc").status_code == 404
    assert client.get("/sso/nosuchconnection0000/oidc").status_code == 404
    assert client.get("/sso/..%2F..%2Fadmin/oidc/callback?code=x&state=y").status_code == 404


def trial_link(sso: OidcSso, status: str = "inactive") -> str:
    """The connection switched to ``status`` and a setup link to it: its token."""
    off = sso.world.client.patch(
        f"/orgs/corp/connections/{sso.cid}", json={"status": status}, headers=sso.owner
    )
    assert off.status_code == 200, off.get_json()
    made = sso.world.client.post(
        "/orgs/corp/sso/setup-links", json={"connection": sso.cid}, headers=sso.owner
    )
    assert made.status_code == 201, made.get_json()
    url: str = made.get_json()["url"]
    return parse_qs(urlsplit(url).query)["token"][0]


def began_trial(sso: OidcSso, browser: FlaskClient, token: str) -> str:
    """The setup page's test sign-in started: the authorization request's address."""
    started = browser.get(f"/sso/setup/test?token={token}")
    assert started.status_code == 303, started.get_data(as_text=True)
    assert started.headers["Location"].startswith(sso.idp.issuer + "/authorize?")
    return str(started.headers["Location"])


@pytest.mark.parametrize("status", ["inactive", "draft"])
def test_a_test_sign_in_shows_what_the_idp_sent_and_makes_nothing(
    sso: OidcSso, status: str
) -> None:
    token = trial_link(sso, status)
    browser = sso.world.app.test_client()
    person = {
        "sub": "sub-ida",
        "email": "ida@corp.example",
        "given_name": "Ida",
        "family_name": "Noddack",
        "groups": ["IT"],
    }
    callback = sso.idp.authorize(began_trial(sso, browser, token), person)
    shown = sso.back(browser, callback)
    assert shown.status_code == 200, shown.get_data(as_text=True)
    html = shown.get_data(as_text=True)
    for seen in ("sub-ida", "ida@corp.example", "Ida", "Noddack", "Subject (sub)", "Claims"):
        assert seen in html, seen
    assert "A new account (without a password) would be made" in html
    assert "would join the organization with the roles: admin" in html
    assert f'href="/sso/setup?token={token}"' in html
    # Nothing was made: no account, no membership, no link to the identity, no session.
    assert sso.user_of("ida@corp.example") is None
    identities = sso.world.adapters.of(AccountsAdapters).identities
    assert identities.find_by_identity(f"sso-{sso.cid}", "sub-ida") is None
    assert not signed_in(browser)
    members = sso.world.client.get("/orgs/corp/members", headers=sso.owner).get_json()["items"]
    assert len(members) == 1
    connection = sso.world.adapters.of(SsoAdapters).connections.get(sso.cid)
    assert connection is not None and connection.status.value == status
    # The same answer again finds no flight (it went with the first): a connection that is
    # not active is not there for it.
    assert sso.back(browser, callback).status_code == 404
    assert sso.user_of("ida@corp.example") is None


def test_a_test_from_an_ended_link_is_refused(sso: OidcSso) -> None:
    token = trial_link(sso)
    browser = sso.world.app.test_client()
    location = began_trial(sso, browser, token)
    ended = sso.world.client.delete(f"/orgs/corp/sso/setup-links/{sso.cid}", headers=sso.owner)
    assert ended.status_code == 204
    person = {"sub": "sub-jo", "email": "jo@corp.example"}
    answer = sso.back(browser, sso.idp.authorize(location, person))
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert sso.user_of("jo@corp.example") is None and not signed_in(browser)
    # An ended link starts no test either.
    assert browser.get(f"/sso/setup/test?token={token}").status_code == 400


def test_a_test_flight_signs_nobody_in_once_the_connection_is_active(sso: OidcSso) -> None:
    """Activating spends the link: the answer of a test begun before is refused, and is no
    sign-in either."""
    token = trial_link(sso)
    browser = sso.world.app.test_client()
    location = began_trial(sso, browser, token)
    on = sso.world.client.patch(
        f"/orgs/corp/connections/{sso.cid}", json={"status": "active"}, headers=sso.owner
    )
    assert on.status_code == 200
    person = {"sub": "sub-kit", "email": "kit@corp.example"}
    answer = sso.back(browser, sso.idp.authorize(location, person))
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert sso.user_of("kit@corp.example") is None and not signed_in(browser)


def test_a_draft_refuses_an_answer_without_a_test_flight(sso: OidcSso) -> None:
    token = trial_link(sso, "draft")
    browser = sso.world.app.test_client()
    location = began_trial(sso, browser, token)
    person = {"sub": "sub-lu", "email": "lu@corp.example"}
    callback = sso.idp.authorize(location, person)
    other = sso.world.app.test_client()  # no flight: a draft is not there
    assert sso.back(other, callback).status_code == 404
