"""Encrypted SAML assertions end to end on the Firestore emulator, with pysaml2's own IdP whose
answers the test encrypts to the certificate in firegate's metadata (docs/reference/sso.md,
"Encrypted assertions"): the connection's key made once however many ask for its metadata at
once, stored sealed; an encrypted assertion signs the person in; an altered one, one for
another connection's key, AES-CBC without ``allow_cbc`` and RSA PKCS#1 v1.5 sign nobody in;
``require_encrypted`` refuses a plain one; a rotated key's predecessor still decrypts."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.api import bearer, login, register
from tests.support.saml_idp import (
    AES128_CBC,
    AES128_GCM,
    ENTITY_ID,
    RSA_1_5,
    RSA_OAEP,
    SSO_URL,
    SamlIdpForTests,
    altered,
    encrypted,
    encryption_certificates,
    key_pair,
    posted,
)

# An active connection left behind would turn other modules' sign-in pages address-first.
pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("emptied_after")]
PARALLEL = 30
BASE = "http://127.0.0.1:8000"  # the test settings' PUBLIC_URL
SAID = {  # what the refusal page says for each code
    "saml_decryption_failed": "could not be decrypted with this connection",
    "saml_encryption_refused": "encrypted with an algorithm this connection does not accept",
    "saml_assertion_not_encrypted": "This connection accepts encrypted assertions only",
}


def connection(admin: FlaskClient, owner: dict[str, str], der: str, name: str) -> str:
    made = admin.post(
        "/orgs/corp/connections",
        json={
            "kind": "saml",
            "name": name,
            "saml": {"entity_id": ENTITY_ID, "sso_url": SSO_URL, "certificates": [der]},
            "mapping": {"email": "mail"},
            "status": "active",
        },
        headers=owner,
    )
    assert made.status_code == 201, made.get_json()
    return str(made.get_json()["id"])


def answer(app: Flask, idp: SamlIdpForTests, cid: str, encrypt: Any) -> tuple[FlaskClient, Any]:
    """A browser's sign-in, answered by ``idp`` for ada@corp.example with its assertion
    signed, then ``encrypt``-ed, and posted to the connection's ACS."""
    client = app.test_client()
    started = client.get(f"/sso/{cid}/saml?next=/account")
    assert started.status_code == 303, started.text
    xml = idp.response(
        in_response_to=idp.request_of(started.headers["Location"]).message.id,
        destination=f"{BASE}/sso/{cid}/saml/acs",
        audience=f"{BASE}/sso/{cid}/saml/metadata",
        email="ada@corp.example",
        sign_response=False,
    )
    return client, client.post(f"/sso/{cid}/saml/acs", data={"SAMLResponse": posted(encrypt(xml))})


def signed_in(page: Any, client: FlaskClient) -> bool:
    return bool(
        page.status_code == 303
        and page.headers["Location"].endswith("/account")
        and client.get("/account").status_code == 200
    )


def refused(page: Any, client: FlaskClient, code: str) -> bool:
    """A 401 page saying, in words, the refusal of ``code``; nobody signed in."""
    return bool(
        page.status_code == 401
        and SAID[code] in page.text
        and client.get("/account").status_code != 200
    )


def test_encrypted_assertions_on_the_emulator(real_app: Flask, firestore: Any) -> None:
    admin = real_app.test_client()
    register(admin, "olga")
    owner = bearer(login(admin, "olga"))
    made = admin.post("/orgs", json={"slug": "corp", "name": "Corp"}, headers=owner)
    assert made.status_code == 201
    idp_keys = key_pair()
    cid = connection(admin, owner, idp_keys.der, "Corp IdP")
    other = connection(admin, owner, idp_keys.der, "Corp IdP 2")

    # Thirty ask for the metadata at once: one key is made, all thirty list it.
    askers = [real_app.test_client() for _ in range(PARALLEL)]
    barrier = Barrier(PARALLEL)

    def ask(n: int) -> tuple[int, str]:
        barrier.wait()
        got = askers[n].get(f"/sso/{cid}/saml/metadata")
        return got.status_code, got.text

    with ThreadPoolExecutor(PARALLEL) as pool:
        answers = list(pool.map(ask, range(PARALLEL)))
    assert Counter(status for status, _ in answers) == {200: PARALLEL}
    listed = {tuple(encryption_certificates(text)) for _, text in answers}
    assert len(listed) == 1
    ((certificate,),) = listed
    stored = firestore.collection("sso_connections").document(cid).get().to_dict()
    (key,) = stored["encryption_keys"]
    assert key["certificate"] == certificate and key["decrypts_until"] is None
    assert "PRIVATE KEY" not in key["sealed_key"]  # sealed at rest
    metadata = admin.get(f"/sso/{cid}/saml/metadata").text
    idp = SamlIdpForTests(metadata, keys=idp_keys)
    (foreign,) = encryption_certificates(admin.get(f"/sso/{other}/saml/metadata").text)
    assert foreign != certificate

    client, page = answer(
        real_app, idp, cid, lambda xml: encrypted(xml, certificate, data=AES128_GCM)
    )
    assert signed_in(page, client), page.text
    client, page = answer(
        real_app, idp, cid, lambda xml: encrypted(xml, certificate, transport=RSA_OAEP)
    )
    assert signed_in(page, client), page.text
    for encrypt, code in (
        (lambda xml: altered(encrypted(xml, certificate)), "saml_decryption_failed"),
        (lambda xml: encrypted(xml, foreign), "saml_decryption_failed"),
        (lambda xml: encrypted(xml, certificate, data=AES128_CBC), "saml_encryption_refused"),
        (lambda xml: encrypted(xml, certificate, transport=RSA_1_5), "saml_encryption_refused"),
    ):
        client, page = answer(real_app, idp, cid, encrypt)
        assert refused(page, client, code), page.text

    # require_encrypted: a plain assertion is refused; stored with the connection.
    changed = admin.patch(
        f"/orgs/corp/connections/{cid}", json={"saml": {"require_encrypted": True}}, headers=owner
    )
    assert changed.status_code == 200, changed.get_json()
    stored = firestore.collection("sso_connections").document(cid).get().to_dict()
    assert stored["saml"]["require_encrypted"] is True
    client, page = answer(real_app, idp, cid, lambda xml: xml)
    assert refused(page, client, "saml_assertion_not_encrypted"), page.text

    # The key rotated: the new one first; the one before still decrypts meanwhile.
    done = real_app.test_cli_runner().invoke(args=["orgs", "sso-encryption-key", cid])
    assert done.exit_code == 0, done.output
    new, previous = encryption_certificates(admin.get(f"/sso/{cid}/saml/metadata").text)
    assert previous == certificate and new != certificate
    for key_certificate in (new, certificate):
        client, page = answer(real_app, idp, cid, lambda xml, c=key_certificate: encrypted(xml, c))
        assert signed_in(page, client), page.text
