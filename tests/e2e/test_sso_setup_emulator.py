"""A setup link on the Firestore emulator: the IT admin's page configures the connection, and
30 parallel activations through one link activate it once, the rest refused, the link spent
(docs/reference/sso.md, "Setup links")."""

from __future__ import annotations

import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.api import bearer, login, register
from tests.support.saml import certificate, idp_metadata

# An active connection left behind would turn other modules' sign-in pages address-first.
pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("emptied_after")]
PARALLEL = 30


def csrf_of(client: FlaskClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found is not None
    return found.group(1)


def test_thirty_activations_through_one_link_activate_once(real_app: Flask, firestore: Any) -> None:
    admin = real_app.test_client()
    register(admin, "olga")
    owner = bearer(login(admin, "olga"))
    assert (
        admin.post("/orgs", json={"slug": "corp", "name": "Corp"}, headers=owner).status_code == 201
    )
    made = admin.post("/orgs/corp/sso/setup-links", json={"kind": "saml"}, headers=owner)
    assert made.status_code == 201, made.get_json()
    token = parse_qs(urlsplit(made.get_json()["url"]).query)["token"][0]
    cid = made.get_json()["connection_id"]
    page = f"/sso/setup?token={token}"
    stored = firestore.collection("sso_connections").document(cid).get().to_dict()
    assert len(stored["setup"]["token_hash"]) == 64 and token not in str(stored)

    it_admin = real_app.test_client()
    _, der = certificate()
    xml = idp_metadata("https://idp.example.com/m", "https://idp.example.com/sso", (der,))
    saved = it_admin.post(
        "/sso/setup",
        data={"token": token, "csrf_token": csrf_of(it_admin, page), "metadata_xml": xml},
    )
    assert saved.status_code == 200, saved.text

    presses = [real_app.test_client() for _ in range(PARALLEL)]
    forms = [{"token": token, "csrf_token": csrf_of(c, page)} for c in presses]
    barrier = Barrier(PARALLEL)

    def activate(n: int) -> int:
        barrier.wait()
        return presses[n].post("/sso/setup/activate", data=forms[n]).status_code

    with ThreadPoolExecutor(PARALLEL) as pool:
        statuses = Counter(pool.map(activate, range(PARALLEL)))
    assert statuses[200] == 1, statuses
    assert set(statuses) <= {200, 400, 409}, statuses
    stored = firestore.collection("sso_connections").document(cid).get().to_dict()
    assert stored["status"] == "active" and stored["setup"] is None
    events = [e.to_dict() for e in firestore.collection("security_events").stream()]
    activated = [e for e in events if e["type"] == "org.sso_connection_activated"]
    assert len(activated) == 1 and activated[0]["reason"] == cid
    assert it_admin.get(page).status_code == 400
    assert admin.get("/orgs/corp/sso/setup-links", headers=owner).get_json()["items"] == []
