"""The IdP's signatures checked in this process (libxmlsec1 through python-xmlsec, as pysaml2's
crypto backend): no program is run, the signature is bound to the element pysaml2 reads,
SHA-1 is refused, and pysaml2's schema check runs in libxml2 first (docs/reference/sso.md,
"The service provider"; docs/decisions/0399-saml-signatures-in-process.md,
docs/decisions/0400-no-sha1-in-saml.md)."""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from domain.errors import Unauthenticated
from domain.sso.connections import (
    Connection,
    ConnectionStatus,
    IdpCertificate,
    SamlIdp,
    SpAddresses,
)
from infrastructure.dev_secrets import development_rsa_key_pem
from infrastructure.sso.saml_signatures import LibxmlsecBackend
from infrastructure.sso.saml_sp import Pysaml2ServiceProvider
from tests.support.saml_idp import (
    ENTITY_ID,
    RSA_SHA1,
    RSA_SHA256,
    SHA1,
    SHA256,
    SSO_URL,
    KeyPair,
    SamlIdpForTests,
    key_pair,
    posted,
)

pytestmark = pytest.mark.unit
PUBLIC_URL = "https://id.example.com"
NOW = datetime(2026, 11, 26, tzinfo=UTC)
ASSERTION = "urn:oasis:names:tc:SAML:2.0:assertion:Assertion"
RESPONSE = "urn:oasis:names:tc:SAML:2.0:protocol:Response"


@pytest.fixture(scope="module")
def keys() -> KeyPair:
    return key_pair()


@pytest.fixture
def sp() -> Pysaml2ServiceProvider:
    return Pysaml2ServiceProvider(development_rsa_key_pem, PUBLIC_URL)


@pytest.fixture
def connection(keys: KeyPair) -> Connection:
    made = Connection.create("o1", "saml", "Corp", "u1", NOW)
    idp = SamlIdp(ENTITY_ID, SSO_URL, (IdpCertificate(keys.der, NOW),), False)
    return replace(made, saml=idp, status=ConnectionStatus.ACTIVE)


def answer(
    sp: Pysaml2ServiceProvider,
    connection: Connection,
    keys: KeyPair,
    *,
    sign_alg: str = RSA_SHA256,
    digest_alg: str = SHA256,
    sign_response: bool = False,
) -> tuple[str, str]:
    """(the request's id, the IdP's answer to it as XML), signed as asked."""
    idp = SamlIdpForTests(
        sp.metadata(connection), keys=keys, sign_alg=sign_alg, digest_alg=digest_alg
    )
    request_id = sp.login(connection, "relay").request_id
    addresses = SpAddresses.of(PUBLIC_URL, connection.id)
    xml = idp.response(
        in_response_to=request_id,
        destination=addresses.acs_url,
        audience=addresses.entity_id,
        sign_response=sign_response,
        sign_assertion=True,
    )
    return request_id, xml


def refused(sp: Pysaml2ServiceProvider, connection: Connection, xml: str, request_id: str) -> str:
    with pytest.raises(Unauthenticated) as caught:
        sp.assertion(connection, posted(xml), request_id)
    return caught.value.code


def the_id(xml: str, element: str) -> str:
    found = re.search(rf"<(?:\w+:)?{element}\b[^>]*\bID=\"([^\"]+)\"", xml)
    assert found
    return found.group(1)


def test_the_answer_is_checked_without_running_a_program(
    sp: Pysaml2ServiceProvider,
    connection: Connection,
    keys: KeyPair,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    request_id, xml = answer(sp, connection, keys, sign_response=True)

    def no_process(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"a process was started: {args}")

    monkeypatch.setattr(subprocess, "Popen", no_process)
    login = sp.login(connection, "relay")  # the request's signature too
    assert "Signature=" in login.url
    checked = sp.assertion(connection, posted(xml), request_id)
    assert checked.name_id == "alice@corp.example"


@pytest.mark.parametrize(
    "signed",
    [
        (RSA_SHA1, SHA1, False),  # the assertion signed with RSA-SHA1
        (RSA_SHA1, SHA1, True),  # the response and the assertion
        (RSA_SHA256, SHA1, False),  # RSA-SHA256 over a SHA-1 digest
    ],
)
def test_an_answer_signed_with_sha1_is_refused(
    sp: Pysaml2ServiceProvider,
    connection: Connection,
    keys: KeyPair,
    signed: tuple[str, str, bool],
) -> None:
    sign_alg, digest_alg, sign_response = signed
    request_id, xml = answer(
        sp, connection, keys, sign_alg=sign_alg, digest_alg=digest_alg, sign_response=sign_response
    )
    assert digest_alg in xml  # the IdP did sign so, validly: the algorithm is what is refused
    assert refused(sp, connection, xml, request_id) == "saml_weak_signature"


def test_the_signature_is_valid_only_for_the_element_it_refers_to(
    sp: Pysaml2ServiceProvider, connection: Connection, keys: KeyPair
) -> None:
    _, xml = answer(sp, connection, keys)
    backend = LibxmlsecBackend()
    assertion_id, response_id = the_id(xml, "Assertion"), the_id(xml, "Response")

    def valid(text: str, node_name: str, node_id: str, cert_file: str = keys.cert_file) -> bool:
        return bool(backend.validate_signature(text, cert_file, "pem", node_name, node_id))

    assert valid(xml, ASSERTION, assertion_id)
    # Another certificate, another element, another kind of element, no ID: refused.
    assert not valid(xml, ASSERTION, assertion_id, key_pair("impostor").cert_file)
    assert not valid(xml, RESPONSE, response_id)  # the response is not signed
    assert not valid(xml, RESPONSE, assertion_id)
    assert not valid(xml, ASSERTION, "")
    # A second element with the signed one's ID (XSW8's shape) makes the ID ambiguous.
    signed = re.search(r"<(?:\w+:)?Assertion\b.*</(?:\w+:)?Assertion>", xml, re.S)
    assert signed
    twice = xml.replace(signed.group(0), signed.group(0) + signed.group(0))
    assert twice.count(f'ID="{assertion_id}"') == 2
    assert not valid(twice, ASSERTION, assertion_id)
