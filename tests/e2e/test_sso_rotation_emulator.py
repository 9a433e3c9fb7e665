"""Rotating an active SAML connection's IdP certificate without downtime, on the Firestore
emulator with pysaml2's own IdP: a setup link for the active connection saves the new
certificate in a draft; sign-ins signed with the old certificate keep working while it
exists; the test sign-in checks the draft's; Apply swaps it in (of 30 Applies at once one
wins, the others get 409 ``draft_gone``), and then the new certificate signs people in and
the old one no longer does (docs/reference/sso.md, "Rotating a certificate or secret";
docs/decisions/0461-sso-drafts-and-apply.md)."""

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
from tests.support.saml import idp_metadata
from tests.support.saml_idp import ENTITY_ID, SSO_URL, SamlIdpForTests, key_pair, posted

# An active connection left behind would turn other modules' sign-in pages address-first.
pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("emptied_after")]
PARALLEL = 30
BASE = "http://127.0.0.1:8000"  # the test settings' PUBLIC_URL


def csrf_of(client: FlaskClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found is not None
    return found.group(1)


def answer(client: FlaskClient, idp: SamlIdpForTests, cid: str, start: str) -> Any:
    """A sign-in started at ``start`` (a real one or a test), answered by ``idp`` for
    ada@corp.example and posted to the connection's ACS."""
    started = client.get(start)
    assert started.status_code == 303, started.text
    xml = idp.response(
        in_response_to=idp.request_of(started.headers["Location"]).message.id,
        destination=f"{BASE}/sso/{cid}/saml/acs",
        audience=f"{BASE}/sso/{cid}/saml/metadata",
        email="ada@corp.example",
    )
    return client.post(f"/sso/{cid}/saml/acs", data={"SAMLResponse": posted(xml)})


def refused_signature(page: Any) -> bool:
    """The ACS refused the answer (``saml_bad_signature``: not signed by a certificate the
    connection trusts, the only refusal these answers can meet)."""
    return bool(page.status_code == 401)


def signed_in(page: Any) -> bool:
    """The ACS signed the person in: on to ``next`` with a session."""
    return bool(page.status_code == 303 and page.headers["Location"].endswith("/account"))


def test_a_certificate_is_rotated_through_a_draft_without_downtime(
    real_app: Flask, firestore: Any
) -> None:
    admin = real_app.test_client()
    register(admin, "olga")
    owner = bearer(login(admin, "olga"))
    assert (
        admin.post("/orgs", json={"slug": "corp", "name": "Corp"}, headers=owner).status_code == 201
    )
    old_keys, new_keys = key_pair(), key_pair()
    made = admin.post(
        "/orgs/corp/connections",
        json={
            "kind": "saml",
            "name": "Corp IdP",
            "saml": {"entity_id": ENTITY_ID, "sso_url": SSO_URL, "certificates": [old_keys.der]},
            "mapping": {"email": "mail"},
            "status": "active",
        },
        headers=owner,
    )
    assert made.status_code == 201, made.get_json()
    cid = made.get_json()["id"]
    metadata = admin.get(f"/sso/{cid}/saml/metadata").text
    old_idp = SamlIdpForTests(metadata, keys=old_keys)
    new_idp = SamlIdpForTests(metadata, keys=new_keys)
    sign_in = f"/sso/{cid}/saml?next=/account"
    before = answer(real_app.test_client(), old_idp, cid, sign_in)
    assert signed_in(before), before.text
    assert refused_signature(answer(real_app.test_client(), new_idp, cid, sign_in))

    # The owner makes a setup link for the active connection; the IT admin saves the new
    # certificate through it: a draft, the live connection unchanged.
    link = admin.post("/orgs/corp/sso/setup-links", json={"connection": cid}, headers=owner)
    assert link.status_code == 201, link.get_json()
    token = parse_qs(urlsplit(link.get_json()["url"]).query)["token"][0]
    page = f"/sso/setup?token={token}"
    it_admin = real_app.test_client()
    saved = it_admin.post(
        "/sso/setup",
        data={
            "token": token,
            "csrf_token": csrf_of(it_admin, page),
            "metadata_xml": idp_metadata(ENTITY_ID, SSO_URL, (new_keys.der,)),
            "email": "mail",
        },
    )
    assert saved.status_code == 200, saved.text
    stored = firestore.collection("sso_connections").document(cid).get().to_dict()
    assert [c["der"] for c in stored["saml"]["certificates"]] == [old_keys.der]
    assert [c["der"] for c in stored["draft"]["saml"]["certificates"]] == [new_keys.der]
    assert stored["status"] == "active"

    # While the draft exists the old certificate keeps signing people in, the new one not;
    # the test sign-in checks the draft's certificate.
    during = answer(real_app.test_client(), old_idp, cid, sign_in)
    assert signed_in(during), during.text
    assert refused_signature(answer(real_app.test_client(), new_idp, cid, sign_in))
    trial = f"/sso/setup/test?token={token}"
    tested = answer(it_admin, new_idp, cid, trial)
    assert tested.status_code == 200, tested.text
    assert "ada@corp.example" in tested.text
    assert refused_signature(answer(it_admin, old_idp, cid, trial))

    # Thirty Applies at once: one swaps the draft in, the others are told it is gone.
    presses = [real_app.test_client() for _ in range(PARALLEL)]
    forms = [{"token": token, "csrf_token": csrf_of(c, page)} for c in presses]
    barrier = Barrier(PARALLEL)

    def apply(n: int) -> tuple[int, str]:
        barrier.wait()
        done = presses[n].post("/sso/setup/apply", data=forms[n])
        return done.status_code, done.text

    with ThreadPoolExecutor(PARALLEL) as pool:
        answers = list(pool.map(apply, range(PARALLEL)))
    statuses = Counter(status for status, _ in answers)
    assert statuses == {200: 1, 409: PARALLEL - 1}, statuses
    assert all("draft" in text.lower() for status, text in answers if status == 409)
    stored = firestore.collection("sso_connections").document(cid).get().to_dict()
    assert stored["draft"] is None and stored["status"] == "active"
    assert [c["der"] for c in stored["saml"]["certificates"]] == [new_keys.der]
    events = [e.to_dict() for e in firestore.collection("security_events").stream()]
    kinds = Counter(e["type"] for e in events if e.get("reason") == cid)
    assert kinds["org.sso_connection_draft_saved"] == 1
    assert kinds["org.sso_connection_draft_applied"] == 1

    # From then on the new certificate signs people in and the old one no longer does.
    after = answer(real_app.test_client(), new_idp, cid, sign_in)
    assert signed_in(after), after.text
    assert refused_signature(answer(real_app.test_client(), old_idp, cid, sign_in))
