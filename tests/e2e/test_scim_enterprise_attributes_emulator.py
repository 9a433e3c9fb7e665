"""SCIM's enterprise extension maps onto profile attributes, on the Firestore emulator: a
directory's ``department``, ``employeeNumber``, ``manager.value`` reach the account where the
schema lets ``scim`` write them, its answers read them back where ``scim`` reads them, and
the others stay in the resource as sent (docs/reference/scim.md, "Enterprise attributes")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from domain.orgs.domains import OrgDomain
from domain.scim.enterprise import ENTERPRISE
from infrastructure.firestore.orgs.domains import FirestoreOrgDomains
from tests.support.api import admin_token
from tests.support.scim import USER, USERS, directory, patch_body, user_body

pytestmark = pytest.mark.e2e


def string(*, reads: bool, writes: bool, **more: object) -> dict[str, Any]:
    """A string attribute admins read and write, and scim as said."""
    read, write = ["admin", *["scim"] * reads], ["admin", *["scim"] * writes]
    return {"type": "string", "x-read": read, "x-write": write, **more}


SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "department": string(reads=True, writes=True, maxLength=16),
        "employeeNumber": string(reads=False, writes=True),
        "costCenter": string(reads=True, writes=False),
        "manager": string(reads=True, writes=True),
    },
}
SENT = {
    "department": "Sales",
    "employeeNumber": "E7",
    "costCenter": "CC1",
    "organization": "Acme Corp",
    "manager": {"value": "m1", "$ref": "../Users/m1", "displayName": "Boss"},
}


def attributes(client: FlaskClient, root: dict[str, str], user_id: str) -> dict[str, Any]:
    answer = client.get(f"/users/{user_id}", headers=root)
    assert answer.status_code == 200, answer.get_json()
    found: dict[str, Any] = answer.get_json()["attributes"]
    return found


def extension(answer: Any) -> dict[str, Any]:
    assert answer.status_code in (200, 201), answer.get_data(as_text=True)
    found: dict[str, Any] = answer.get_json(force=True).get(ENTERPRISE, {})
    return found


def test_the_enterprise_extension_writes_and_reads_back_the_attributes_scim_may(
    real_app: Flask, real_client: FlaskClient, firestore: Any
) -> None:
    root = admin_token(real_app, real_client)
    assert real_client.put("/admin/profile-schema", json=SCHEMA, headers=root).status_code == 200
    acme = directory(real_client)
    domains, now = FirestoreOrgDomains(firestore), datetime.now(UTC)
    domain = OrgDomain.create(acme.org_id, "example.com", "alice", now)
    domains.add(domain)
    domains.verify(domain.verified_now(now))
    body = user_body("nina@example.com", schemas=[USER, ENTERPRISE])

    # A value scim may not take is refused, and nothing is made.
    wrong = {**body, ENTERPRISE: {**SENT, "department": "A" * 17}}
    refused = real_client.post(USERS, json=wrong, headers=acme.auth)
    assert refused.status_code == 400, refused.get_data(as_text=True)
    assert "attributes.department" in refused.get_json(force=True)["detail"]

    made = real_client.post(USERS, json={**body, ENTERPRISE: SENT}, headers=acme.auth)
    user_id = made.get_json(force=True)["id"]
    # costCenter is not scim's to write, organization is no attribute (kept as sent),
    # employeeNumber is not scim's to read.
    answered = extension(made)
    assert answered.pop("manager")["value"] == "m1"
    assert answered == {"department": "Sales", "organization": "Acme Corp"}
    stored = {"department": "Sales", "employeeNumber": "E7", "manager": "m1"}
    assert attributes(real_client, root, user_id) == stored

    # An admin's change is what the directory reads back.
    change = {"attributes": {"department": "Support", "costCenter": "CC9"}}
    assert real_client.patch(f"/users/{user_id}", json=change, headers=root).status_code == 200
    read = extension(real_client.get(f"{USERS}/{user_id}", headers=acme.auth))
    assert (read["department"], read["costCenter"]) == ("Support", "CC9")
    listed = real_client.get(f'{USERS}?filter=userName eq "nina@example.com"', headers=acme.auth)
    assert listed.get_json(force=True)["Resources"][0][ENTERPRISE]["department"] == "Support"

    # A PATCH of the extension writes through; the manager's value is mapped.
    patch = patch_body(
        {
            "op": "replace",
            "path": f"{ENTERPRISE}:manager",
            "value": {"value": "m2", "$ref": "../Users/m2"},
        },
        {"op": "remove", "path": f"{ENTERPRISE}:department"},
    )
    patched = real_client.patch(f"{USERS}/{user_id}", json=patch, headers=acme.auth)
    assert extension(patched)["manager"]["value"] == "m2"
    assert "department" not in extension(patched)
    assert attributes(real_client, root, user_id) == {
        "employeeNumber": "E7",
        "costCenter": "CC9",
        "manager": "m2",
    }

    # A resource without the extension leaves the attributes as they are.
    replaced = real_client.put(
        f"{USERS}/{user_id}", json=user_body("nina@example.com"), headers=acme.auth
    )
    assert replaced.status_code == 200, replaced.get_data(as_text=True)
    assert attributes(real_client, root, user_id)["manager"] == "m2"
