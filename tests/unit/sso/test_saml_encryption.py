"""Encrypted SAML assertions on the fakes, against pysaml2's own IdP encrypting to the
certificate in firegate's metadata (docs/reference/sso.md, "Encrypted assertions"): each
connection's own key, sealed; the algorithms taken and refused; ``require_encrypted``;
the key's rotation and its overlap."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from bootstrap.sso import SsoAdapters
from domain.sso.connections import (
    Connection,
    ConnectionStatus,
    SpEncryptionKey,
)
from infrastructure.firestore.sso.connections import connection_from_doc, connection_to_doc
from tests.support.saml import idp_metadata
from tests.support.saml_idp import (
    AES128_CBC,
    AES128_GCM,
    AES256_CBC,
    AES256_GCM,
    ENTITY_ID,
    RSA_1_5,
    RSA_OAEP,
    RSA_OAEP_MGF1P,
    SSO_URL,
    KeyPair,
    altered,
    encrypted,
    encryption_certificates,
    key_pair,
)
from tests.support.sso import idp_keys, sso
from tests.support.sso_world import LANDING, SamlSso, saml_sso, signed_in

pytestmark = pytest.mark.unit
__all__ = ["idp_keys", "sso"]  # fixtures
NOW = datetime(2026, 11, 30, tzinfo=UTC)
# What the refusal page says for each code.
SAID = {
    "saml_decryption_failed": "could not be decrypted with this connection",
    "saml_encryption_refused": "encrypted with an algorithm this connection does not accept",
    "saml_assertion_not_encrypted": "This connection accepts encrypted assertions only",
    "saml_bad_signature": "The answer is not signed by the identity provider",
}


def metadata(sso: SamlSso) -> str:
    answer = sso.world.client.get(f"/sso/{sso.cid}/saml/metadata")
    assert answer.status_code == 200
    return str(answer.get_data(as_text=True))


def stored(sso: SamlSso) -> Connection:
    connection = sso.world.adapters.of(SsoAdapters).connections.get(sso.cid)
    assert connection is not None
    return connection


def started(sso: SamlSso, client: FlaskClient) -> str:
    start = client.get(f"/sso/{sso.cid}/saml?next={LANDING}")
    assert start.status_code == 303
    return str(sso.idp.request_of(start.headers["Location"]).message.id)


def plain_answer(sso: SamlSso, request_id: str | None, email: str = "ada@corp.example") -> str:
    """The IdP's answer with its assertion signed (the response itself not: encrypting the
    assertion after would break the response's signature)."""
    saml = sso.connection["saml"]
    return sso.idp.response(
        in_response_to=request_id,
        destination=saml["acs_url"],
        audience=saml["sp_entity_id"],
        email=email,
        attributes={"mail": [email], "givenName": ["Ada"], "sn": ["Lovelace"]},
        sign_response=False,
    )


def round_trip(sso: SamlSso, encrypt: Any) -> tuple[FlaskClient, Any]:
    """A browser's sign-in whose answer is ``encrypt(xml)``: the browser and the ACS's answer."""
    client = sso.world.app.test_client()
    xml = encrypt(plain_answer(sso, started(sso, client)))
    return client, sso.post(client, xml)


def refused_with(answer: Any, code: str) -> None:
    """A 401 page saying, in words, the refusal of ``code``."""
    assert answer.status_code == 401, answer.get_data(as_text=True)
    assert SAID[code] in answer.get_data(as_text=True)


def patch_saml(sso: SamlSso, **fields: object) -> Any:
    return sso.world.client.patch(
        f"/orgs/corp/connections/{sso.cid}", json={"saml": fields}, headers=sso.owner
    )


def test_the_metadata_lists_the_connections_own_encryption_key_sealed_at_rest(
    sso: SamlSso,
) -> None:
    xml = metadata(sso)
    certificates = encryption_certificates(xml)
    assert len(certificates) == 1
    assert 'use="signing"' in xml  # the service provider's signing key, beside it
    for algorithm in (AES256_GCM, AES128_GCM, RSA_OAEP, RSA_OAEP_MGF1P):
        assert f'Algorithm="{algorithm}"' in xml
    assert AES128_CBC not in xml and RSA_1_5 not in xml
    (key,) = stored(sso).encryption_keys
    assert key.certificate == certificates[0]
    assert "PRIVATE KEY" not in key.sealed_key  # sealed, never in the clear
    # The same key again: made once, not at every metadata request.
    assert encryption_certificates(metadata(sso)) == certificates
    # Never in the API's answer.
    shown = sso.world.client.get(f"/orgs/corp/connections/{sso.cid}", headers=sso.owner)
    assert key.sealed_key not in shown.get_data(as_text=True)
    assert "sealed_key" not in shown.get_data(as_text=True)


def test_another_connection_has_a_key_of_its_own(sso: SamlSso) -> None:
    other = saml_sso(key_pair())
    assert encryption_certificates(metadata(sso)) != encryption_certificates(metadata(other))


@pytest.mark.parametrize(
    ("data", "transport"),
    [
        (AES256_GCM, RSA_OAEP_MGF1P),
        (AES128_GCM, RSA_OAEP),
    ],
)
def test_an_assertion_encrypted_to_the_connection_signs_the_person_in(
    sso: SamlSso, data: str, transport: str
) -> None:
    (certificate,) = encryption_certificates(metadata(sso))
    client, answer = round_trip(
        sso, lambda xml: encrypted(xml, certificate, data=data, transport=transport)
    )
    assert answer.status_code == 303, answer.get_data(as_text=True)
    assert signed_in(client)


def test_the_wrapped_key_may_sit_beside_the_encrypted_data(sso: SamlSso) -> None:
    (certificate,) = encryption_certificates(metadata(sso))
    client, answer = round_trip(sso, lambda xml: encrypted(xml, certificate, key_beside=True))
    assert answer.status_code == 303, answer.get_data(as_text=True)
    assert signed_in(client)


def test_an_altered_ciphertext_signs_nobody_in(sso: SamlSso) -> None:
    (certificate,) = encryption_certificates(metadata(sso))
    client, answer = round_trip(sso, lambda xml: altered(encrypted(xml, certificate)))
    refused_with(answer, "saml_decryption_failed")
    assert not signed_in(client)


def test_an_assertion_encrypted_for_another_connection_signs_nobody_in(sso: SamlSso) -> None:
    metadata(sso)
    (foreign,) = encryption_certificates(metadata(saml_sso(key_pair())))
    client, answer = round_trip(sso, lambda xml: encrypted(xml, foreign))
    refused_with(answer, "saml_decryption_failed")
    assert not signed_in(client)


@pytest.mark.parametrize("data", [AES128_CBC, AES256_CBC])
def test_aes_cbc_is_refused_unless_the_connection_allows_it(sso: SamlSso, data: str) -> None:
    (certificate,) = encryption_certificates(metadata(sso))
    client, answer = round_trip(sso, lambda xml: encrypted(xml, certificate, data=data))
    refused_with(answer, "saml_encryption_refused")
    assert not signed_in(client)
    assert patch_saml(sso, allow_cbc=True).get_json()["saml"]["allow_cbc"] is True
    assert data in metadata(sso)  # now offered to the IdP too, after GCM
    client, answer = round_trip(sso, lambda xml: encrypted(xml, certificate, data=data))
    assert answer.status_code == 303, answer.get_data(as_text=True)
    assert signed_in(client)


def test_rsa_pkcs1_v1_5_key_transport_is_always_refused(sso: SamlSso) -> None:
    (certificate,) = encryption_certificates(metadata(sso))
    assert patch_saml(sso, allow_cbc=True).status_code == 200
    for data in (AES256_GCM, AES128_CBC):
        client, answer = round_trip(
            sso, lambda xml, d=data: encrypted(xml, certificate, data=d, transport=RSA_1_5)
        )
        refused_with(answer, "saml_encryption_refused")
        assert not signed_in(client)


def test_require_encrypted_refuses_a_plain_assertion(sso: SamlSso) -> None:
    (certificate,) = encryption_certificates(metadata(sso))
    changed = patch_saml(sso, require_encrypted=True)
    assert changed.status_code == 200 and changed.get_json()["saml"]["require_encrypted"] is True
    assert stored(sso).saml.require_encrypted
    client, answer = round_trip(sso, lambda xml: xml)
    refused_with(answer, "saml_assertion_not_encrypted")
    assert not signed_in(client)
    client, answer = round_trip(sso, lambda xml: encrypted(xml, certificate))
    assert answer.status_code == 303, answer.get_data(as_text=True)
    assert signed_in(client)


def test_without_require_encrypted_a_plain_assertion_still_signs_in(sso: SamlSso) -> None:
    client, answer = round_trip(sso, lambda xml: xml)
    assert answer.status_code == 303, answer.get_data(as_text=True)
    assert signed_in(client)


def test_the_encryption_rules_are_booleans(sso: SamlSso) -> None:
    for name in ("allow_cbc", "require_encrypted"):
        assert patch_saml(sso, **{name: "yes"}).status_code == 422
        assert patch_saml(sso, **{name: None}).status_code == 422


def test_new_metadata_keeps_the_encryption_rules(sso: SamlSso, idp_keys: KeyPair) -> None:
    assert patch_saml(sso, require_encrypted=True, allow_cbc=True).status_code == 200
    again = patch_saml(sso, metadata_xml=idp_metadata(ENTITY_ID, SSO_URL, (idp_keys.der,)))
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["saml"]["require_encrypted"] is True
    assert again.get_json()["saml"]["allow_cbc"] is True


def test_a_rotated_key_is_listed_first_and_the_previous_one_decrypts_for_the_overlap(
    sso: SamlSso,
) -> None:
    (old,) = encryption_certificates(metadata(sso))
    runner = sso.world.app.test_cli_runner()
    done = runner.invoke(args=["orgs", "sso-encryption-key", sso.cid])
    assert done.exit_code == 0, done.output
    new, previous = encryption_certificates(metadata(sso))
    assert previous == old and new != old
    for certificate in (new, old):
        _client, answer = round_trip(sso, lambda xml, c=certificate: encrypted(xml, c))
        assert answer.status_code == 303, answer.get_data(as_text=True)
    sso.world.clock.advance(days=31)  # the overlap has ended
    assert encryption_certificates(metadata(sso)) == [new]
    _client, answer = round_trip(sso, lambda xml: encrypted(xml, old))
    refused_with(answer, "saml_decryption_failed")
    _client, answer = round_trip(sso, lambda xml: encrypted(xml, new))
    assert answer.status_code == 303, answer.get_data(as_text=True)


def test_a_leaked_key_is_replaced_at_once(sso: SamlSso) -> None:
    (old,) = encryption_certificates(metadata(sso))
    runner = sso.world.app.test_cli_runner()
    done = runner.invoke(args=["orgs", "sso-encryption-key", sso.cid, "--overlap-days", "0"])
    assert done.exit_code == 0, done.output
    assert old not in encryption_certificates(metadata(sso))
    _client, answer = round_trip(sso, lambda xml: encrypted(xml, old))
    refused_with(answer, "saml_decryption_failed")
    missing = runner.invoke(args=["orgs", "sso-encryption-key", "nosuchconnection0000"])
    assert missing.exit_code != 0


def _key(name: str, at: datetime) -> SpEncryptionKey:
    return SpEncryptionKey(f"sealed-{name}", f"cert-{name}", at)


def test_a_new_key_keeps_the_ones_before_for_the_overlap_only() -> None:
    made = replace(
        Connection.create("o1", "saml", "Corp", "u1", NOW), status=ConnectionStatus.ACTIVE
    )
    first = made.with_encryption_key(_key("a", NOW), NOW)
    assert [k.certificate for k in first.decrypting_keys(NOW)] == ["cert-a"]
    later = NOW + timedelta(days=10)
    second = first.with_encryption_key(_key("b", later), later, timedelta(days=30))
    assert second.version == first.version + 1
    assert [k.certificate for k in second.decrypting_keys(later)] == ["cert-b", "cert-a"]
    assert second.encryption_keys[1].decrypts_until == later + timedelta(days=30)
    ended = later + timedelta(days=30)
    assert [k.certificate for k in second.decrypting_keys(ended)] == ["cert-b"]
    # A third key never lengthens the second's overlap, and drops what has ended.
    third = second.with_encryption_key(_key("c", ended), ended, timedelta(days=30))
    assert [k.certificate for k in third.encryption_keys] == ["cert-c", "cert-b"]
    at_once = third.with_encryption_key(_key("d", ended), ended, timedelta(0))
    assert [k.certificate for k in at_once.encryption_keys] == ["cert-d"]


def test_the_keys_and_rules_are_stored_and_read_back() -> None:
    made = Connection.create("o1", "saml", "Corp", "u1", NOW)
    later = NOW + timedelta(days=1)
    keyed = made.with_encryption_key(_key("a", NOW), NOW).with_encryption_key(
        _key("b", later), later
    )
    connection = replace(keyed, saml=replace(keyed.saml, allow_cbc=True, require_encrypted=True))
    # A draft's rules are its own: Apply swaps them in with its IdP.
    drafted = replace(connection, saml=replace(connection.saml, require_encrypted=False))
    connection = connection.with_draft(drafted, "u1", later)
    doc = connection_to_doc(connection)
    assert connection_from_doc(connection.id, doc) == connection
    assert not connection_from_doc(connection.id, doc).drafted().saml.require_encrypted
    assert connection.without_draft(later).encryption_keys == keyed.encryption_keys
    assert doc["encryption_keys"][0]["sealed_key"] == "sealed-b"
    older = {k: v for k, v in doc.items() if k != "encryption_keys"}
    older["saml"] = {
        k: v for k, v in doc["saml"].items() if k not in {"allow_cbc", "require_encrypted"}
    }
    read = connection_from_doc(connection.id, older)
    assert (
        read.encryption_keys == () and not read.saml.allow_cbc and not read.saml.require_encrypted
    )


def test_a_key_the_box_no_longer_opens_leaves_plain_sign_ins_working(sso: SamlSso) -> None:
    """After MFA_ENCRYPTION_KEY changed, the sealed key does not open: an encrypted answer
    is refused, a plain one still signs in (not a 503 for every sign-in)."""
    (certificate,) = encryption_certificates(metadata(sso))
    connections = sso.world.adapters.of(SsoAdapters).connections
    connection = stored(sso)
    unopenable = tuple(
        replace(k, sealed_key="sealed-by-another-key") for k in connection.encryption_keys
    )
    connections.replace(
        replace(connection, encryption_keys=unopenable, version=connection.version + 1)
    )
    client, answer = round_trip(sso, lambda xml: encrypted(xml, certificate))
    refused_with(answer, "saml_decryption_failed")
    client, answer = round_trip(sso, lambda xml: xml)
    assert answer.status_code == 303, answer.get_data(as_text=True)
    assert signed_in(client)


def test_an_unsigned_assertion_encrypted_to_the_public_certificate_signs_nobody_in(
    sso: SamlSso,
) -> None:
    """Anyone may encrypt to the certificate in the metadata: encryption proves nothing of
    who made the assertion, whose signature is checked once it is decrypted."""
    (certificate,) = encryption_certificates(metadata(sso))
    client = sso.world.app.test_client()
    saml = sso.connection["saml"]
    forged = sso.idp.response(
        in_response_to=started(sso, client),
        destination=saml["acs_url"],
        audience=saml["sp_entity_id"],
        email="ada@corp.example",
        sign_response=False,
        sign_assertion=False,
    )
    refused_with(sso.post(client, encrypted(forged, certificate)), "saml_bad_signature")
    assert not signed_in(client)
