"""An org "corp" with its domain verified, and sign-ins through its SAML and OpenID
connections on the app on the emulator: for the tests of what a single sign-on does (a
guest's upgrade, the before_sign_in hook)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from domain.orgs.domains import OrgDomain
from infrastructure.firestore.orgs.domains import FirestoreOrgDomains
from tests.support.api import bearer, login, register
from tests.support.oidc_idp import CLIENT_ID, CLIENT_SECRET, OidcIdpForTests
from tests.support.saml_idp import ENTITY_ID, SSO_URL, SamlIdpForTests, key_pair, posted

BASE = "http://127.0.0.1:8000"  # the test settings' PUBLIC_URL

SignIn = Callable[[FlaskClient, str], TestResponse]


def corp(app: Flask, firestore: Any) -> dict[str, str]:
    """The org "corp" of olga with corp.example verified: her headers."""
    client = app.test_client()
    register(client, "olga")
    owner = bearer(login(client, "olga"))
    made = client.post("/orgs", json={"slug": "corp", "name": "Corp"}, headers=owner)
    assert made.status_code == 201, made.get_json()
    domains, now = FirestoreOrgDomains(firestore), datetime.now(UTC)
    domain = OrgDomain.create(made.get_json()["id"], "corp.example", "olga", now)
    domains.add(domain)
    domains.verify(domain.verified_now(now))
    return owner


def connection(app: Flask, owner: dict[str, str], body: dict[str, Any]) -> str:
    made = app.test_client().post(
        "/orgs/corp/connections", json={**body, "status": "active"}, headers=owner
    )
    assert made.status_code == 201, made.get_json()
    return str(made.get_json()["id"])


def saml_sign_in(app: Flask, owner: dict[str, str]) -> SignIn:
    keys = key_pair()
    cid = connection(
        app,
        owner,
        {
            "kind": "saml",
            "name": "Corp IdP",
            "saml": {"entity_id": ENTITY_ID, "sso_url": SSO_URL, "certificates": [keys.der]},
            "mapping": {"email": "mail"},
        },
    )
    idp = SamlIdpForTests(app.test_client().get(f"/sso/{cid}/saml/metadata").text, keys=keys)

    def sign_in(browser: FlaskClient, email: str) -> TestResponse:
        started = browser.get(f"/sso/{cid}/saml?next=/account")
        assert started.status_code == 303, started.text
        xml = idp.response(
            in_response_to=idp.request_of(started.headers["Location"]).message.id,
            destination=f"{BASE}/sso/{cid}/saml/acs",
            audience=f"{BASE}/sso/{cid}/saml/metadata",
            email=email,
            attributes={"mail": [email]},
        )
        # The IdP's cross-site post brings no session cookie (SameSite=Lax): the flight
        # says who started.
        browser.delete_cookie("firegate_session")
        answer: TestResponse = browser.post(
            f"/sso/{cid}/saml/acs", data={"SAMLResponse": posted(xml)}
        )
        return answer

    return sign_in


def oidc_sign_in(app: Flask, owner: dict[str, str], idp: OidcIdpForTests) -> SignIn:
    cid = connection(
        app,
        owner,
        {
            "kind": "oidc",
            "name": "Corp IdP",
            "oidc": {"issuer": idp.issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        },
    )

    def sign_in(browser: FlaskClient, email: str) -> TestResponse:
        started = browser.get(f"/sso/{cid}/oidc?next=/account")
        assert started.status_code == 303, started.text
        person = {"sub": "sub-" + email, "email": email}
        back = urlsplit(idp.authorize(started.headers["Location"], person))
        answer: TestResponse = browser.get(back.path + "?" + back.query)
        return answer

    return sign_in
