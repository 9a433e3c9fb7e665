"""Deleting an org deletes the accounts it manages, end to end: gunicorn on the emulators and
maildev, pysaml2's own IdP, real HTTP (docs/reference/orgs.md, "Deletion";
docs/decisions/0468-deleting-an-org-deletes-its-accounts.md). The org "corp" has an account
its SCIM made, one its single sign-on made, one its single sign-on made whose holder then
set a password, and an ordinary member; its settings page tells the owner, in Chromium, in
English and Spanish, axe-clean and 375 px wide, that two accounts will be deleted with it.
Once deleted, the two are gone (404 to the admin API, no sign-in), the other two are kept,
in no org."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from domain.orgs.domains import OrgDomain
from infrastructure.firestore.orgs.domains import FirestoreOrgDomains
from tests.support import mailbox, served_api
from tests.support.api import PASSWORD, bearer
from tests.support.browser import address_first, chromium, fill, phone_checked
from tests.support.saml_idp import ENTITY_ID, SSO_URL, SamlIdpForTests, key_pair, posted
from tests.support.scim import user_body
from tests.support.servers import cli, serving

# An active connection left behind would turn other modules' sign-in pages address-first.
pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("emptied_after")]
CORP = "corp.example"
NEW_PASSWORD = "a fresh passphrase of mine"
PURGE_WAIT = 60.0  # seconds the purge job may take on a busy machine, at most


@pytest.fixture(scope="module")
def served(emulators: Any) -> Iterator[str]:
    with serving("gunicorn-org-deletion.log") as url:
        yield url


def call(method: str, url: str, auth: dict[str, str] | None = None, **kwargs: Any) -> Any:
    return requests.request(method, url, headers=auth or {}, timeout=30, **kwargs)


def signed_in(url: str, name: str) -> dict[str, str]:
    return bearer(served_api.signed_in(url, name)["access_token"])


def logged_in(url: str, login: str, password: str) -> dict[str, str]:
    answer = call("POST", url + "/login", json={"username": login, "password": password})
    assert answer.status_code == 200, answer.text
    return bearer(answer.json()["access_token"])


@dataclass(frozen=True)
class Corp:
    owner: dict[str, str]
    org_id: str
    connection: dict[str, Any]
    idp: SamlIdpForTests

    def sso_sign_in(self, url: str, email: str) -> None:
        """A browser's round trip through the IdP for ``email``: signed in, its session
        cookie kept by the session."""
        browser = requests.Session()
        cid = self.connection["id"]
        start = browser.get(f"{url}/sso/{cid}/saml?next=/account", allow_redirects=False)
        assert start.status_code == 303, start.text
        request = self.idp.request_of(start.headers["Location"])
        saml = self.connection["saml"]
        xml = self.idp.response(
            in_response_to=request.message.id,
            destination=saml["acs_url"],
            audience=saml["sp_entity_id"],
            email=email,
            attributes={"mail": [email]},
        )
        done = browser.post(
            f"{url}/sso/{cid}/saml/acs",
            data={"SAMLResponse": posted(xml)},
            allow_redirects=False,
            timeout=30,
        )
        assert done.status_code == 303 and done.headers["Location"].endswith("/account"), done.text


def corp_of(url: str, firestore: Any) -> Corp:
    """The org "corp" of its owner olga: ``CORP`` verified, an active SAML connection."""
    olga = signed_in(url, "olga")
    made = call("POST", url + "/orgs", olga, json={"slug": "corp", "name": "Corp"})
    assert made.status_code == 201, made.text
    org_id = made.json()["id"]
    domains, now = FirestoreOrgDomains(firestore), datetime.now(UTC)
    domain = OrgDomain.create(org_id, CORP, "olga", now)
    domains.add(domain)
    domains.verify(domain.verified_now(now))
    keys = key_pair()
    body = {
        "kind": "saml",
        "name": "Corp IdP",
        "saml": {"entity_id": ENTITY_ID, "sso_url": SSO_URL, "certificates": [keys.der]},
        "mapping": {"email": "mail"},
        "status": "active",
    }
    connection = call("POST", url + "/orgs/corp/connections", olga, json=body)
    assert connection.status_code == 201, connection.text
    metadata = call("GET", f"{url}/sso/{connection.json()['id']}/saml/metadata").text
    return Corp(olga, org_id, connection.json(), SamlIdpForTests(metadata, keys=keys))


def password_set_by_reset(url: str, email: str) -> None:
    """The account's holder sets a password through the mailed reset link."""
    assert call("POST", url + "/auth/password/forgot", json={"email": email}).status_code == 202
    (mail,) = mailbox.wait_for(email)
    token = mailbox.token_in(mail)
    body = {"token": token, "new_password": NEW_PASSWORD}
    assert call("POST", url + "/auth/password/reset", json=body).status_code == 204


def admin_headers(url: str) -> dict[str, str]:
    signed_in(url, "root")
    cli(["users", "set-role", "root", "admin"])
    return logged_in(url, "root", PASSWORD)  # a token minted with the new role


def the_deletion_page_says(url: str, owner: dict[str, str], english: str, spanish: str) -> None:
    """The owner's page deleting the org, in Chromium: what it says of the accounts the org
    manages, in English, then in Spanish (the account's own choice of language)."""
    with chromium(javascript=True) as page:
        address_first(page, url + "/sign-in")  # an org has single sign-on
        fill(page, username="olga")
        page.click("button:has-text('Continue')")
        fill(page, password=PASSWORD)
        page.click("button:has-text('Sign in')")
        page.wait_for_url(url + "/account")
        for locale, expected in (("en", english), ("es", spanish)):
            assert call("PATCH", url + "/user", owner, json={"locale": locale}).ok
            page.goto(url + "/account/orgs/corp/delete")
            assert page.locator("#delete-accounts").inner_text() == expected
            phone_checked(page)


def test_the_accounts_the_org_manages_go_with_it_the_others_stay(
    served: str, firestore: Any
) -> None:
    url = served
    corp = corp_of(url, firestore)
    # Made by the org's directory: managed.
    scim = call("POST", url + "/orgs/corp/scim/tokens", corp.owner, json={"name": "Okta"})
    assert scim.status_code == 201, scim.text
    sam = call(
        "POST",
        url + "/scim/v2/Users",
        bearer(scim.json()["token"]),
        json=user_body(f"sam@{CORP}"),
    )
    assert sam.status_code == 201, sam.text
    sam_id = sam.json()["id"]
    # Made by its single sign-on: ada keeps it so; pat makes it theirs with a password.
    corp.sso_sign_in(url, f"ada@{CORP}")
    corp.sso_sign_in(url, f"pat@{CORP}")
    password_set_by_reset(url, f"pat@{CORP}")
    # An ordinary member, who joined with an account of their own.
    bob = signed_in(url, "bob")
    bob_id = call("GET", url + "/user", bob).json()["id"]
    cli(["orgs", "members", "add", "corp", "bob"])
    admin = admin_headers(url)
    members = call("GET", url + "/orgs/corp/members?limit=50", corp.owner).json()["items"]
    ids = {m["user_id"] for m in members}
    ada_id = next(m["user_id"] for m in members if m["email"] == f"ada@{CORP}")
    pat_id = next(m["user_id"] for m in members if m["email"] == f"pat@{CORP}")
    assert {sam_id, ada_id, pat_id, bob_id} <= ids

    the_deletion_page_says(
        url,
        corp.owner,
        "2 accounts this organization manages will be deleted with it; other members only"
        " lose their membership.",
        "Se eliminarán con ella 2 cuentas que administra esta organización; los demás"
        " miembros solo pierden su membresía.",
    )

    assert call("DELETE", url + "/orgs/corp", corp.owner).status_code == 204

    deadline = time.monotonic() + PURGE_WAIT
    while firestore.collection("orgs").document(corp.org_id).get().exists:
        assert time.monotonic() < deadline, "the org's purge did not finish"
        time.sleep(0.5)
    for gone in (sam_id, ada_id):
        assert call("GET", f"{url}/users/{gone}", admin).status_code == 404
        assert not firestore.collection("users").document(gone).get().exists
    for address in (f"sam@{CORP}", f"ada@{CORP}"):
        refused = call("POST", url + "/login", json={"username": address, "password": PASSWORD})
        assert refused.status_code == 401
    sso = call("GET", f"{url}/sso/{corp.connection['id']}/saml", allow_redirects=False)
    assert sso.status_code == 404  # the connection went with the org: no way in there either
    for kept in (pat_id, bob_id):
        assert call("GET", f"{url}/users/{kept}", admin).status_code == 200
    pat = logged_in(url, f"pat@{CORP}", NEW_PASSWORD)
    assert call("GET", url + "/orgs", pat).json() == {"items": []}
    assert call("GET", url + "/orgs", bob).json() == {"items": []}
