"""An org's connections fill profile attributes on the Firestore emulator, SAML (pysaml2's
own IdP) and OpenID (the stand-in IdP): the mapping saved with the connection, the values the
IdP gives written as ``org_admin`` to the account it makes and at each sign-in after, one the
schema refuses skipped without failing the sign-in (docs/reference/sso.md, "Attribute
mapping"; docs/decisions/0488-sso-writes-profile-attributes-as-org-admin.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from google.cloud.firestore_v1.base_query import FieldFilter

from domain.orgs.domains import OrgDomain
from infrastructure.firestore.orgs.domains import FirestoreOrgDomains
from tests.support.api import admin_token, bearer, login, register
from tests.support.oidc_idp import CLIENT_ID, CLIENT_SECRET, oidc_idp
from tests.support.saml_idp import ENTITY_ID, SSO_URL, SamlIdpForTests, key_pair, posted

# An active connection left behind would turn other modules' sign-in pages address-first.
pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("emptied_after")]
BASE = "http://127.0.0.1:8000"  # the test settings' PUBLIC_URL
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "department": {"type": "string", "x-write": ["admin", "org_admin"]},
        "floor": {"type": "integer", "x-write": ["org_admin"]},
        "badge": {"type": "string", "x-write": ["admin"]},
    },
}
MAPPED = {"department": "urn:oid:2.5.4.11", "floor": "floor", "badge": "badge"}


def corp(app: Flask, client: FlaskClient, firestore: Any) -> dict[str, str]:
    """The org "corp" of olga with corp.example verified, the schema stored: her headers."""
    root = admin_token(app, client)
    assert client.put("/admin/profile-schema", json=SCHEMA, headers=root).status_code == 200
    register(client, "olga")
    owner = bearer(login(client, "olga"))
    made = client.post("/orgs", json={"slug": "corp", "name": "Corp"}, headers=owner)
    assert made.status_code == 201, made.get_json()
    domains, now = FirestoreOrgDomains(firestore), datetime.now(UTC)
    domain = OrgDomain.create(made.get_json()["id"], "corp.example", "olga", now)
    domains.add(domain)
    domains.verify(domain.verified_now(now))
    return owner


def connection(client: FlaskClient, owner: dict[str, str], body: dict[str, Any]) -> str:
    made = client.post("/orgs/corp/connections", json={**body, "status": "active"}, headers=owner)
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["mapping"]["attributes"] == MAPPED
    return str(made.get_json()["id"])


def stored_attributes(firestore: Any, email: str) -> dict[str, Any]:
    query = firestore.collection("users").where(filter=FieldFilter("email", "==", email))
    found = list(query.stream())
    assert len(found) == 1
    attributes: dict[str, Any] = found[0].to_dict().get("attributes") or {}
    return attributes


def test_a_saml_connection_fills_the_attributes(
    real_app: Flask, real_client: FlaskClient, firestore: Any
) -> None:
    owner = corp(real_app, real_client, firestore)
    keys = key_pair()
    cid = connection(
        real_client,
        owner,
        {
            "kind": "saml",
            "name": "Corp IdP",
            "saml": {"entity_id": ENTITY_ID, "sso_url": SSO_URL, "certificates": [keys.der]},
            "mapping": {"email": "mail", "attributes": MAPPED},
        },
    )
    idp = SamlIdpForTests(real_client.get(f"/sso/{cid}/saml/metadata").text, keys=keys)

    def sign_in(**attributes: list[str]) -> None:
        browser = real_app.test_client()
        started = browser.get(f"/sso/{cid}/saml?next=/account")
        assert started.status_code == 303, started.text
        xml = idp.response(
            in_response_to=idp.request_of(started.headers["Location"]).message.id,
            destination=f"{BASE}/sso/{cid}/saml/acs",
            audience=f"{BASE}/sso/{cid}/saml/metadata",
            email="ada@corp.example",
            attributes={"mail": ["ada@corp.example"], **attributes},
        )
        arrived = browser.post(f"/sso/{cid}/saml/acs", data={"SAMLResponse": posted(xml)})
        assert arrived.status_code == 303, arrived.text
        assert urlsplit(arrived.headers["Location"]).path == "/account"

    sign_in(**{"urn:oid:2.5.4.11": ["Engineering"], "floor": ["7"], "badge": ["B-1"]})
    assert stored_attributes(firestore, "ada@corp.example") == {
        "department": "Engineering",
        "floor": 7,
    }
    sign_in(**{"urn:oid:2.5.4.11": ["Sales"], "floor": ["upstairs"]})
    assert stored_attributes(firestore, "ada@corp.example") == {"department": "Sales", "floor": 7}


def test_an_openid_connection_fills_the_attributes(
    real_app: Flask, real_client: FlaskClient, firestore: Any
) -> None:
    owner = corp(real_app, real_client, firestore)
    with oidc_idp() as idp:
        cid = connection(
            real_client,
            owner,
            {
                "kind": "oidc",
                "name": "Corp IdP",
                "oidc": {
                    "issuer": idp.issuer,
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                },
                "mapping": {"attributes": MAPPED},
            },
        )

        def sign_in(**claims: Any) -> None:
            browser = real_app.test_client()
            started = browser.get(f"/sso/{cid}/oidc?next=/account")
            assert started.status_code == 303, started.text
            person = {"sub": "sub-ada", "email": "ada@corp.example", **claims}
            back = urlsplit(idp.authorize(started.headers["Location"], person))
            arrived = browser.get(back.path + "?" + back.query)
            assert arrived.status_code == 303, arrived.text
            assert urlsplit(arrived.headers["Location"]).path == "/account"

        sign_in(**{"urn:oid:2.5.4.11": "Engineering", "floor": 7, "badge": "B-1"})
        assert stored_attributes(firestore, "ada@corp.example") == {
            "department": "Engineering",
            "floor": 7,
        }
        sign_in(floor=8)
        assert stored_attributes(firestore, "ada@corp.example") == {
            "department": "Engineering",
            "floor": 8,
        }
