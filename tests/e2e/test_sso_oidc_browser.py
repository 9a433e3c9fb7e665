"""Signing in through an org's OpenID connection, end to end (docs/reference/sso.md,
"Signing in"): gunicorn on the emulators, its DNS the tests' own server (the org's domain
verified as an admin does it), panva's oidc-provider (npm, tests/upstream_provider.mjs) as the
org's IdP, the person's part in Chromium: a person on the verified domain gets an account and
a membership with the roles their groups map to, and the same account the next time; an
address on another domain joins nobody; a forged return is refused; thirty first sign-ins of
one person at once (through a stand-in IdP, tests/support/oidc_idp.py) make one account, one
link and one membership; the setup page's test sign-in shows the IdP's answer and makes
nothing, and so does an org admin's from the connection's own page, whose trial another
signed-in account cannot bring back (docs/decisions/0469-the-admins-test-sign-in.md); an
account the connection made is the org's to manage, so its directory's deprovisioning (SCIM)
disables it (docs/decisions/0414-accounts-the-orgs-sso-made.md)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from playwright.sync_api import Page

from domain.accounts.users import User
from infrastructure.firestore.accounts.identities import FirestoreIdentityRepository
from infrastructure.firestore.accounts.users import FirestoreUserRepository
from infrastructure.firestore.events.security_events import write_staged
from infrastructure.firestore.orgs.orgs import FirestoreOrgRepository
from tests.support import oidc_idp as stand_in
from tests.support.api import PASSWORD, bearer
from tests.support.browser import (
    address_first,
    fill,
    own_context,
    page,
    phone_checked,
    shared_page,
    violations,
)
from tests.support.dns_server import dns_server
from tests.support.oidc_provider import CLIENT_ID, CLIENT_SECRET, oidc_provider, upstream_sign_in
from tests.support.races import RACERS
from tests.support.scim import SCIM_JSON, USERS, patch_body, user_body
from tests.support.served_api import signed_in
from tests.support.servers import free_port, serving

__all__ = ["page", "shared_page"]  # the fixtures
# An active connection left behind would turn other modules' sign-in pages address-first.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240), pytest.mark.usefixtures("emptied_after")]
CORP = "corp.example"


@dataclass(frozen=True)
class Corp:
    url: str  # firegate
    org_id: str
    cid: str  # the org's active OpenID connection
    owner: dict[str, str]


def _verified_org(url: str, owner: dict[str, str], publish: Any) -> str:
    """The org "corp" with ``CORP`` verified, its TXT record published by ``publish``."""
    org = requests.post(
        f"{url}/orgs", json={"slug": "corp", "name": "Corp"}, headers=owner, timeout=30
    )
    assert org.status_code == 201, org.text
    added = requests.post(
        f"{url}/orgs/corp/domains", json={"domain": CORP}, headers=owner, timeout=30
    )
    assert added.status_code == 201, added.text
    publish(added.json()["record"]["name"], added.json()["record"]["value"])
    verified = requests.post(f"{url}/orgs/corp/domains/{CORP}/verify", headers=owner, timeout=60)
    assert verified.status_code == 200, verified.text
    return str(org.json()["id"])


@pytest.fixture(scope="module")
def corp(emulators: Any) -> Iterator[Corp]:
    """firegate, the org with its domain verified and an OpenID connection to oidc-provider,
    made as its admin makes one (a draft, configured, then switched on)."""
    emulators.wipe()  # its own org and owner, whatever ran before in this worker
    idp_port, port = free_port(), free_port()
    with (
        dns_server() as dns,
        serving(
            "gunicorn-sso-oidc.log",
            PORT=str(port),
            PUBLIC_URL=f"http://127.0.0.1:{port}",
            DNS_RESOLVER=dns.address,
            WEB_CONCURRENCY="2",
        ) as url,
    ):
        owner = bearer(signed_in(url, "olga")["access_token"])
        org_id = _verified_org(url, owner, dns.zone.set_txt)
        made = requests.post(
            f"{url}/orgs/corp/connections",
            json={
                "kind": "oidc",
                "name": "Corp IdP",
                "oidc": {
                    "issuer": f"http://127.0.0.1:{idp_port}",
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                },
                "mapping": {"groups": "groups", "roles": {"IT": ["admin"]}},
            },
            headers=owner,
            timeout=30,
        )
        assert made.status_code == 201, made.text
        connection = made.json()
        with oidc_provider(connection["oidc"]["redirect_uri"], port=idp_port):
            on = requests.patch(
                f"{url}/orgs/corp/connections/{connection['id']}",
                json={"status": "active"},
                headers=owner,
                timeout=30,
            )
            assert on.status_code == 200, on.text
            yield Corp(url, org_id, connection["id"], owner)


def sso_sign_in(page: Page, corp: Corp, login: str) -> None:
    """The person's round trip: firegate's start, the IdP's login and consent, back."""
    page.goto(f"{corp.url}/sso/{corp.cid}/oidc?next=/account/orgs")
    upstream_sign_in(page, login)
    page.wait_for_url(corp.url + "/account/orgs**")


def account(firestore_client: Any, email: str) -> User:
    found = FirestoreUserRepository(firestore_client, write_staged=write_staged).find_by_login(
        email
    )
    assert found is not None, email
    return found


def roles(firestore_client: Any, corp: Corp, user: User) -> tuple[str, ...] | None:
    found = FirestoreOrgRepository(firestore_client).membership(corp.org_id, user.id)
    return found.roles if found is not None else None


def test_a_person_on_the_verified_domain_joins_and_comes_back_to_the_same_account(
    corp: Corp, page: Page, shared_page: Page, firestore_client: Any
) -> None:
    sso_sign_in(page, corp, "it.ada@corp.example")
    assert "Corp" in page.content()  # /account/orgs lists the org joined
    ada = account(firestore_client, "it.ada@corp.example")
    assert ada.email_verified and ada.password_hash is None
    # given and family name, from userinfo, kept apart
    assert (ada.name, ada.last_name) == ("Ada", "it.ada")
    assert ada.full_name is None
    assert roles(firestore_client, corp, ada) == ("admin",)  # IT → admin; Staff maps nothing
    # Another browser, the same person: the same account, the same membership.
    with own_context(shared_page) as other:
        sso_sign_in(other, corp, "it.ada@corp.example")
    assert account(firestore_client, "it.ada@corp.example").id == ada.id
    assert roles(firestore_client, corp, ada) == ("admin",)
    members = requests.get(f"{corp.url}/orgs/corp/members", headers=corp.owner, timeout=30)
    assert [m["user_id"] for m in members.json()["items"]].count(ada.id) == 1


def test_sign_in_page_sends_an_address_on_the_domain_to_the_openid_connection(
    corp: Corp, page: Page, firestore_client: Any
) -> None:
    """Home-realm discovery: the address typed at /sign-in, on the org's verified domain, goes
    to the org's OpenID connection and comes back signed in, a member."""
    address_first(page, f"{corp.url}/sign-in?next=/account/orgs")
    fill(page, username="it.eve@corp.example")
    page.click("button:has-text('Continue')")
    upstream_sign_in(page, "it.eve@corp.example")
    page.wait_for_url(corp.url + "/account/orgs**")
    eve = account(firestore_client, "it.eve@corp.example")
    assert roles(firestore_client, corp, eve) == ("admin",)


def test_the_directory_deprovisions_an_account_the_connection_made(
    corp: Corp, page: Page, firestore_client: Any
) -> None:
    sso_sign_in(page, corp, "it.kai@corp.example")
    kai = account(firestore_client, "it.kai@corp.example")
    assert page.request.get(corp.url + "/account", max_redirects=0).status == 200
    membership = FirestoreOrgRepository(firestore_client).membership(corp.org_id, kai.id)
    assert membership is not None and membership.managed
    token = requests.post(
        f"{corp.url}/orgs/corp/scim/tokens", json={"name": "Okta"}, headers=corp.owner, timeout=30
    )
    assert token.status_code == 201, token.text
    directory = {**bearer(token.json()["token"]), "Content-Type": SCIM_JSON}
    body = user_body("it.kai@corp.example")
    made = requests.post(corp.url + USERS, json=body, headers=directory, timeout=30)
    assert made.status_code == 201 and made.json()["id"] == kai.id, made.text
    off = patch_body({"op": "replace", "path": "active", "value": False})
    answer = requests.patch(f"{corp.url}{USERS}/{kai.id}", json=off, headers=directory, timeout=30)
    assert answer.status_code == 200, answer.text

    assert account(firestore_client, "it.kai@corp.example").disabled
    assert page.request.get(corp.url + "/account", max_redirects=0).status != 200  # signed out
    events = requests.get(f"{corp.url}/orgs/corp/events", headers=corp.owner, timeout=30)
    kinds = {(e["type"], e["via"]) for e in events.json()["items"] if e["user_id"] == kai.id}
    assert {("org.member_added", "sso"), ("user.disabled", "scim")} <= kinds


def test_an_address_on_another_domain_joins_nobody(
    corp: Corp, page: Page, firestore_client: Any
) -> None:
    sso_sign_in(page, corp, "it.eve@elsewhere.example")
    eve = account(firestore_client, "it.eve@elsewhere.example")
    assert not eve.email_verified  # the connection proves no address off the org's domains
    assert roles(firestore_client, corp, eve) is None
    assert "Corp" not in page.content()


def test_a_return_without_this_browsers_flight_is_refused(corp: Corp) -> None:
    session = requests.Session()
    started = session.get(f"{corp.url}/sso/{corp.cid}/oidc", allow_redirects=False, timeout=10)
    assert started.status_code == 303, started.text
    assert "code_challenge_method=S256" in started.headers["Location"]
    assert "scope=openid+email+profile+groups" in started.headers["Location"]
    callback = f"{corp.url}/sso/{corp.cid}/oidc/callback"
    forged = session.get(callback, params={"code": "x", "state": "forged"}, timeout=10)
    assert forged.status_code == 401
    stranger = requests.get(callback, params={"code": "x", "state": "y"}, timeout=10)
    assert stranger.status_code == 401
    unknown = requests.get(f"{corp.url}/sso/{'0' * 20}/oidc", allow_redirects=False, timeout=10)
    assert unknown.status_code == 404


def test_thirty_first_sign_ins_of_one_person_at_once_make_one_account(
    corp: Corp, firestore_client: Any
) -> None:
    with stand_in.oidc_idp() as idp:
        made = requests.post(
            f"{corp.url}/orgs/corp/connections",
            json={
                "kind": "oidc",
                "name": "Stand-in",
                "oidc": {
                    "issuer": idp.issuer,
                    "client_id": stand_in.CLIENT_ID,
                    "client_secret": stand_in.CLIENT_SECRET,
                },
                "mapping": {"groups": "groups", "roles": {"IT": ["admin"]}},
                "status": "active",
            },
            headers=corp.owner,
            timeout=30,
        )
        assert made.status_code == 201, made.text
        person = {"sub": "sub-rae", "email": "rae@corp.example", "groups": ["IT"]}
        browsers = [requests.Session() for _ in range(RACERS)]
        returns = []
        for browser in browsers:  # thirty browsers of one person, each with its own flight
            started = browser.get(
                f"{corp.url}/sso/{made.json()['id']}/oidc?next=/account/orgs",
                allow_redirects=False,
                timeout=30,
            )
            assert started.status_code == 303, started.text
            returns.append(idp.authorize(started.headers["Location"], person))
        barrier = threading.Barrier(RACERS)

        def back(i: int) -> requests.Response:
            barrier.wait()
            return browsers[i].get(returns[i], allow_redirects=False, timeout=120)

        with ThreadPoolExecutor(RACERS) as pool:
            answers = list(pool.map(back, range(RACERS)))
    assert [a.status_code for a in answers] == [303] * RACERS, [a.text for a in answers]
    assert {urlsplit(a.headers["Location"]).path for a in answers} == {"/account/orgs"}
    rae = account(firestore_client, "rae@corp.example")  # one account holds the address
    links = FirestoreIdentityRepository(firestore_client).list_for(rae.id)
    assert [link.subject for link in links] == ["sub-rae"]
    assert roles(firestore_client, corp, rae) == ("admin",)
    members = requests.get(f"{corp.url}/orgs/corp/members", headers=corp.owner, timeout=30)
    assert [m["user_id"] for m in members.json()["items"]].count(rae.id) == 1


def test_the_setup_pages_test_sign_in_shows_the_answer_and_makes_nothing(
    corp: Corp, page: Page, firestore_client: Any
) -> None:
    """The IT admin's test sign-in through oidc-provider, in Chromium, while the connection is
    switched off: the page of what a sign-in would do, axe-clean; no account, no link, no
    membership. The connection is switched on again after (the link is spent then)."""
    path = f"{corp.url}/orgs/corp/connections/{corp.cid}"
    off = requests.patch(path, json={"status": "inactive"}, headers=corp.owner, timeout=30)
    assert off.status_code == 200, off.text
    made = requests.post(
        f"{corp.url}/orgs/corp/sso/setup-links",
        json={"connection": corp.cid},
        headers=corp.owner,
        timeout=30,
    )
    assert made.status_code == 201, made.text
    try:
        page.goto(made.json()["url"])  # under PUBLIC_URL, this server
        page.get_by_role("link", name="Test sign-in").click()
        upstream_sign_in(page, "it.ivy@corp.example")
        page.wait_for_url(f"{corp.url}/sso/{corp.cid}/oidc/callback**")
        shown = page.content()
        assert "Nothing was created and nobody is signed in." in shown
        assert "it.ivy@corp.example" in shown and "Subject (sub)" in shown
        assert "A new account (without a password) would be made" in shown
        assert "would join the organization with the roles: admin" in shown
        assert violations(page) == [], page.url
        users = FirestoreUserRepository(firestore_client, write_staged=write_staged)
        assert users.find_by_login("it.ivy@corp.example") is None
        page.goto(f"{corp.url}/account")  # nobody is signed in: the sign-in page
        assert page.url.startswith(f"{corp.url}/sign-in"), page.url
    finally:
        on = requests.patch(path, json={"status": "active"}, headers=corp.owner, timeout=30)
        assert on.status_code == 200, on.text


def password_sign_in(page: Page, url: str, name: str) -> None:
    """``name`` signed in on the pages with their password: the sign-in page may ask for the
    address first (single sign-on is on), then for the password."""
    page.goto(f"{url}/sign-in")
    fill(page, username=name)
    if not page.locator("input[name=password]").count():
        page.click("button:has-text('Continue')")
    fill(page, password=PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"{url}/account")


def test_an_admins_test_sign_in_shows_the_answer_and_makes_nothing(
    corp: Corp, page: Page, firestore_client: Any
) -> None:
    """The org's owner, signed in, presses "Test sign-in" on the OpenID connection's page,
    passes oidc-provider and sees the preview, 375 px wide and axe-clean; no account, link or
    session for the IdP's person, and the owner's own session is still theirs."""
    page.set_viewport_size({"width": 375, "height": 667})
    password_sign_in(page, corp.url, "olga")
    view = f"{corp.url}/account/orgs/corp/sso/{corp.cid}"
    page.goto(view)
    phone_checked(page)
    sessions = len(list(firestore_client.collection("sessions").stream()))
    page.get_by_role("button", name="Test sign-in", exact=True).click()
    upstream_sign_in(page, "it.uma@corp.example")
    page.wait_for_url(f"{corp.url}/sso/{corp.cid}/oidc/callback**")
    shown = page.inner_text("main")
    assert "Nothing was created and nobody is signed in." in shown
    assert "This test tried the connection as it is." in shown
    assert "it.uma@corp.example" in shown and "Subject (sub)" in shown
    phone_checked(page)
    users = FirestoreUserRepository(firestore_client, write_staged=write_staged)
    assert users.find_by_login("it.uma@corp.example") is None
    page.get_by_role("link", name="Back to the connection").click()
    page.wait_for_url(view)  # still the owner's session
    assert len(list(firestore_client.collection("sessions").stream())) == sessions


def test_an_admins_trial_brought_back_by_another_account_is_refused(
    corp: Corp, page: Page, shared_page: Page, firestore_client: Any
) -> None:
    """The owner's trial flight (its sealed cookie, taken while at the IdP) and the IdP's
    answer, brought back by another signed-in account's browser: refused, nothing shown."""
    password_sign_in(page, corp.url, "olga")
    callback = f"{corp.url}/sso/{corp.cid}/oidc/callback"
    page.goto(f"{corp.url}/account/orgs/corp/sso/{corp.cid}")
    page.get_by_role("button", name="Test sign-in", exact=True).click()
    page.wait_for_selector("input[name=login]")  # at the IdP, the flight held
    flight = [c for c in page.context.cookies() if c["name"].endswith("upstream")]
    assert len(flight) == 1
    upstream_sign_in(page, "it.vic@corp.example")
    page.wait_for_url(callback + "**")
    answer = page.url
    signed_in(corp.url, "rex")
    with own_context(shared_page) as other:
        password_sign_in(other, corp.url, "rex")
        other.context.add_cookies(
            [{"name": flight[0]["name"], "value": flight[0]["value"], "url": corp.url}]
        )
        refused = other.goto(answer)
        assert refused is not None and refused.status == 403
        assert "started by another account" in other.inner_text("main")
    users = FirestoreUserRepository(firestore_client, write_staged=write_staged)
    assert users.find_by_login("it.vic@corp.example") is None
