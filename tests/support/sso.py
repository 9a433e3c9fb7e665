"""An org with a verified domain and an active SAML connection on the fakes, and a browser's
round trips through pysaml2's own IdP (docs/reference/sso.md, "Signing in")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.fakes.orgs import FakeTxtRecords
from tests.support.api import bearer, login, register
from tests.support.app import World
from tests.support.saml_idp import (
    ENTITY_ID,
    SSO_URL,
    KeyPair,
    SamlIdpForTests,
    key_pair,
    posted,
)

CORP = "corp.example"


@dataclass
class Sso:
    world: World
    org_id: str
    connection: dict[str, Any]
    idp: SamlIdpForTests
    owner: dict[str, str]

    @property
    def cid(self) -> str:
        return str(self.connection["id"])

    def answer(self, client: FlaskClient, email: str, groups: tuple[str, ...] = ()) -> Any:
        """A browser's round trip: to the IdP, whose signed answer it posts to the ACS."""
        start = client.get(f"/sso/{self.cid}/saml?next=/account/orgs")
        assert start.status_code == 303, start.get_data(as_text=True)
        request = self.idp.request_of(start.headers["Location"])
        return self.post(client, self.response(request.message.id, email, groups))

    def response(self, request_id: str | None, email: str, groups: tuple[str, ...] = ()) -> str:
        saml = self.connection["saml"]
        attributes = {"mail": [email], "givenName": ["Ada"], "sn": ["Lovelace"]}
        if groups:
            attributes["groups"] = list(groups)
        return self.idp.response(
            in_response_to=request_id,
            destination=saml["acs_url"],
            audience=saml["sp_entity_id"],
            email=email,
            attributes=attributes,
        )

    def post(self, client: FlaskClient, xml: str) -> Any:
        return client.post(f"/sso/{self.cid}/saml/acs", data={"SAMLResponse": posted(xml)})

    def member_roles(self, user_id: str) -> tuple[str, ...] | None:
        found = self.world.adapters.orgs.orgs.membership(self.org_id, user_id)
        return found.roles if found is not None else None

    def user_of(self, email: str) -> Any:
        return self.world.adapters.accounts.users.find_by_login(email)


def sso_world(idp_keys: KeyPair) -> Sso:
    """Org ``corp`` (owner olga) with ``corp.example`` verified and an active SAML connection
    to pysaml2's IdP (``mail`` the address, ``groups`` IT → admin)."""
    world = World()
    client = world.client
    register(client, "olga")
    owner = bearer(login(client, "olga"))
    org = client.post("/orgs", json={"slug": "corp", "name": "Corp"}, headers=owner).get_json()
    record = client.post("/orgs/corp/domains", json={"domain": CORP}, headers=owner).get_json()
    txt = world.adapters.orgs.txt
    assert isinstance(txt, FakeTxtRecords)
    txt.records[record["record"]["name"]] = [record["record"]["value"]]
    verified = client.post(f"/orgs/corp/domains/{CORP}/verify", headers=owner)
    assert verified.status_code == 200, verified.get_json()
    made = client.post(
        "/orgs/corp/connections",
        json={
            "kind": "saml",
            "name": "Corp IdP",
            "saml": {"entity_id": ENTITY_ID, "sso_url": SSO_URL, "certificates": [idp_keys.der]},
            "mapping": {"email": "mail", "groups": "groups", "roles": {"IT": ["admin"]}},
            "status": "active",
        },
        headers=owner,
    )
    assert made.status_code == 201, made.get_json()
    connection = made.get_json()
    metadata = client.get(f"/sso/{connection['id']}/saml/metadata").get_data(as_text=True)
    return Sso(world, org["id"], connection, SamlIdpForTests(metadata, keys=idp_keys), owner)


@pytest.fixture(scope="module")
def idp_keys() -> KeyPair:
    """The IdP's key, one per test module (an RSA key takes a while to make)."""
    return key_pair()


@pytest.fixture
def sso(idp_keys: KeyPair) -> Sso:
    return sso_world(idp_keys)


def onward(answer: TestResponse, status: int = 200) -> str:
    """Where the sign-in page's "on to the single sign-on" answer leads: a page that goes on
    by itself (``Refresh``) and links there (a form's answer cannot redirect to the IdP's
    site under the pages' CSP); ``status``: 403 where a sign-in was refused for it."""
    assert answer.status_code == status, answer.get_data(as_text=True)
    delay, _, target = answer.headers["Refresh"].partition("; url=")
    assert delay == "0" and target.startswith("/sso/")
    assert f'<a href="{target.replace("&", "&amp;")}">' in answer.get_data(as_text=True)
    return target
