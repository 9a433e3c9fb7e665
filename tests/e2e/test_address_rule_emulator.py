"""The address rule on the Firestore emulator, in the production profile: an address on a
special-use name is refused until an org has verified its domain, then taken by the sign-up
and the org's directory alike (docs/decisions/0463-one-address-rule.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bootstrap import build_adapters
from domain.orgs.domains import OrgDomain
from infrastructure.firestore.orgs.domains import FirestoreOrgDomains
from tests.support.api import PASSWORD, assert_problem, bearer, login, register
from tests.support.app import app_on
from tests.support.scim import USERS, directory, user_body
from tests.support.settings import PRODUCTION_SETTINGS, make_settings

pytestmark = pytest.mark.e2e


def test_a_special_use_name_is_taken_once_an_org_verified_its_domain(firestore: Any) -> None:
    settings = make_settings(**PRODUCTION_SETTINGS)
    client = app_on(settings, build_adapters(settings, firestore=firestore)).test_client()
    carol = {"username": "carol", "email": "carol@acme.test", "password": PASSWORD}
    assert_problem(client.post("/register", json=carol), 422, "special_use_email")

    acme = directory(client)
    eve = client.post(USERS, json=user_body("eve@acme.test"), headers=acme.auth)
    assert eve.status_code == 400
    assert eve.get_json(force=True)["detail"].startswith("special_use_email")

    now = datetime.now(UTC)
    domains = FirestoreOrgDomains(firestore)
    domain = OrgDomain.create(acme.org_id, "acme.test", "alice", now)
    domains.add(domain)
    domains.verify(domain.verified_now(now))

    made = client.post(USERS, json=user_body("eve@acme.test"), headers=acme.auth)
    assert made.status_code == 201, made.get_data(as_text=True)
    assert client.post("/register", json=carol).status_code == 201
    token = login(client, "carol")
    me = client.get("/user", headers=bearer(token)).get_json()
    assert me["email"] == "carol@acme.test"
    register(client, "dana")  # an ordinary domain, as ever
