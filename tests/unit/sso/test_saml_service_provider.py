"""firegate as a SAML service provider against pysaml2's own IdP, with xmlsec1: the metadata,
the signed request, an answer accepted, and each refusal with a crafted answer
(docs/reference/sso.md, "SAML")."""

from __future__ import annotations

import base64
import logging
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pytest

from application.sso.signin.saml import SamlAnswer, checked_assertion
from domain.errors import NotFound, Unauthenticated
from domain.sso.connections import (
    Connection,
    ConnectionStatus,
    IdpCertificate,
    SamlIdp,
    SpAddresses,
)
from infrastructure.dev_secrets import development_rsa_key_pem
from infrastructure.sso.saml_sp import Pysaml2ServiceProvider
from tests.fakes.sso import FakeConnections, FakeSpentAssertions
from tests.support.saml_attacks import FORGED, wrapped
from tests.support.saml_idp import ENTITY_ID, SSO_URL, KeyPair, SamlIdpForTests, key_pair, posted

pytestmark = pytest.mark.unit
PUBLIC_URL = "https://id.example.com"
NOW = datetime(2026, 11, 26, tzinfo=UTC)


@dataclass
class World:
    sp: Pysaml2ServiceProvider
    idp: SamlIdpForTests
    connection: Connection
    connections: FakeConnections
    spent: FakeSpentAssertions

    @property
    def addresses(self) -> SpAddresses:
        return SpAddresses.of(PUBLIC_URL, self.connection.id)

    def answer(self, request_id: str | None = None, **changes: object) -> str:
        """The IdP's answer, as XML, to the request ``request_id`` (None: unsolicited)."""
        sp = self.addresses
        given: dict[str, object] = {
            "in_response_to": request_id,
            "destination": sp.acs_url,
            "audience": sp.entity_id,
        }
        given.update(changes)
        return self.idp.response(**given)  # type: ignore[arg-type]

    def started(self) -> str:
        login = self.sp.login(self.connection, "relay")
        return login.request_id

    def accept(self, xml: str, request_id: str | None) -> tuple[Connection, object]:
        return checked_assertion(
            SamlAnswer(self.connection.id, posted(xml), request_id),
            connections=self.connections,
            sp=self.sp,
            spent=self.spent,
        )


def provider() -> Pysaml2ServiceProvider:
    return Pysaml2ServiceProvider(development_rsa_key_pem, PUBLIC_URL)


def elsewhere() -> Pysaml2ServiceProvider:
    """Another service (another public address) with a connection of the same id."""
    return Pysaml2ServiceProvider(development_rsa_key_pem, "https://elsewhere.example")


def saml_connection(der: str, *, idp_initiated: bool = False) -> Connection:
    idp = SamlIdp(ENTITY_ID, SSO_URL, (IdpCertificate(der, NOW),), idp_initiated)
    made = Connection.create("o1", "saml", "Corp", "u1", NOW)
    return replace(made, saml=idp, status=ConnectionStatus.ACTIVE)


@pytest.fixture(scope="module")
def idp_keys() -> KeyPair:
    return key_pair()


@pytest.fixture
def world(idp_keys: KeyPair) -> World:
    sp = provider()
    connection = saml_connection(idp_keys.der)
    connections = FakeConnections()
    connections.add(connection)
    return World(
        sp,
        SamlIdpForTests(sp.metadata(connection), elsewhere().metadata(connection), keys=idp_keys),
        connection,
        connections,
        FakeSpentAssertions(),
    )


def refused(world: World, xml: str, request_id: str | None) -> str:
    with pytest.raises(Unauthenticated) as caught:
        world.accept(xml, request_id)
    return caught.value.code


def test_the_metadata_names_the_connection_and_a_certificate_made_from_the_key(
    world: World,
) -> None:
    xml = world.sp.metadata(world.connection)
    sp = world.addresses
    assert f'entityID="{sp.entity_id}"' in xml
    assert sp.acs_url in xml and "HTTP-POST" in xml
    assert 'AuthnRequestsSigned="true"' in xml
    # Another process (another instance, a restart) publishes the same certificate.
    assert provider().certificate() == world.sp.certificate()
    assert world.sp.certificate() in xml


def test_the_request_is_signed_and_the_idps_answer_is_accepted_once(world: World) -> None:
    login = world.sp.login(world.connection, "relay-1")
    assert login.url.startswith(SSO_URL + "?SAMLRequest=")
    assert (
        "Signature=" in login.url and "SigAlg=" in login.url and "RelayState=relay-1" in login.url
    )
    request = world.idp.request_of(login.url)
    assert request.message.id == login.request_id
    assert request.message.assertion_consumer_service_url == world.addresses.acs_url
    xml = world.answer(
        login.request_id, attributes={"mail": ["alice@corp.example"], "groups": ["IT", "Staff"]}
    )
    _, assertion = world.accept(xml, login.request_id)
    assert assertion.name_id == "alice@corp.example"  # type: ignore[attr-defined]
    assert assertion.attributes["groups"] == ("IT", "Staff")  # type: ignore[attr-defined]
    assert assertion.in_response_to == login.request_id  # type: ignore[attr-defined]
    assert refused(world, xml, login.request_id) == "saml_replayed"


def test_an_unsigned_answer_is_refused(world: World) -> None:
    request_id = world.started()
    xml = world.answer(request_id, sign_response=False, sign_assertion=False)
    assert refused(world, xml, request_id) == "saml_bad_signature"


def test_a_refused_answer_is_logged_once_as_a_warning_not_as_pysaml2s_errors(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """Anyone can post a bad answer to the ACS: pysaml2's own ERROR lines for it would page
    an operator for every one. firegate logs the refusal once, a warning with its code and
    connection, and nothing of pysaml2's below CRITICAL."""
    request_id = world.started()
    xml = world.answer(request_id, sign_response=False, sign_assertion=False)
    with caplog.at_level(logging.DEBUG):
        assert refused(world, xml, request_id) == "saml_bad_signature"
    from_pysaml2 = [r for r in caplog.records if r.name.startswith("saml2")]
    assert [r for r in from_pysaml2 if r.levelno >= logging.WARNING] == []
    ours = [r for r in caplog.records if r.name == "firegate.sso"]
    assert [r.levelno for r in ours] == [logging.WARNING]
    assert "saml_bad_signature" in ours[0].getMessage()
    assert world.connection.id in ours[0].getMessage()


def test_an_answer_signed_by_another_key_is_refused(world: World) -> None:
    request_id = world.started()
    impostor = SamlIdpForTests(world.sp.metadata(world.connection), keys=key_pair("impostor"))
    sp = world.addresses
    xml = impostor.response(
        in_response_to=request_id, destination=sp.acs_url, audience=sp.entity_id
    )
    assert refused(world, xml, request_id) == "saml_bad_signature"


def test_an_answer_for_another_audience_or_address_is_refused(world: World) -> None:
    request_id = world.started()
    other = SpAddresses.of("https://elsewhere.example", world.connection.id)
    assert (
        refused(world, world.answer(request_id, audience=other.entity_id), request_id)
        == "saml_wrong_audience"
    )
    # pysaml2 drops an answer whose Destination is not this ACS without saying why.
    request_id = world.started()
    assert (
        refused(world, world.answer(request_id, destination=other.acs_url), request_id)
        == "saml_invalid"
    )


@pytest.mark.parametrize("where", ["elsewhere", "entity_id"])
def test_an_assertion_confirmed_for_another_recipient_is_refused(world: World, where: str) -> None:
    """Signed by the IdP and addressed to this ACS (its Destination), but its bearer
    confirmation's Recipient is another address: this connection's ACS URL only."""
    request_id = world.started()
    other = SpAddresses.of("https://elsewhere.example", world.connection.id)
    recipient = other.acs_url if where == "elsewhere" else world.addresses.entity_id
    xml = world.answer(request_id, recipient=recipient)
    assert f'Recipient="{recipient}"' in xml and f'Destination="{world.addresses.acs_url}"' in xml
    assert refused(world, xml, request_id) == "saml_wrong_destination"


@pytest.mark.parametrize(
    "restrictions",
    [
        pytest.param([], id="none"),
        pytest.param([["SP"], ["https://elsewhere.example/sso/x/saml/metadata"]], id="one-not-us"),
    ],
)
def test_an_assertion_not_restricted_to_this_service_is_refused(
    world: World, restrictions: list[list[str]]
) -> None:
    """Each AudienceRestriction must name this service provider (SAML core 2.5.1.4: they
    are evaluated independently), and an assertion must carry one."""
    request_id = world.started()
    ours = world.addresses.entity_id
    xml = world.answer(
        request_id, restrictions=[[ours if a == "SP" else a for a in r] for r in restrictions]
    )
    assert refused(world, xml, request_id) == "saml_wrong_audience"


def test_an_assertion_restricted_to_this_service_among_others_is_accepted(world: World) -> None:
    request_id = world.started()
    ours = world.addresses.entity_id
    xml = world.answer(
        request_id,
        restrictions=[["https://other.example", ours], [ours]],
        recipient=world.addresses.acs_url,
    )
    _, assertion = world.accept(xml, request_id)
    assert assertion.name_id == "alice@corp.example"  # type: ignore[attr-defined]


def test_an_expired_answer_is_refused(world: World, idp_keys: KeyPair) -> None:
    # Its assertion ended 10 minutes ago: beyond the 2 minutes of skew accepted.
    stale = SamlIdpForTests(
        world.sp.metadata(world.connection), keys=idp_keys, lifetime_minutes=-10
    )
    request_id = world.started()
    sp = world.addresses
    xml = stale.response(in_response_to=request_id, destination=sp.acs_url, audience=sp.entity_id)
    assert refused(world, xml, request_id) == "saml_expired"


def test_another_browsers_answer_and_an_unsolicited_one_are_refused(world: World) -> None:
    mine, theirs = world.started(), world.started()
    assert refused(world, world.answer(theirs), mine) == "saml_unsolicited"
    assert refused(world, world.answer(None), None) == "saml_unsolicited"


def test_idp_initiated_sign_in_only_where_the_connection_allows_it(world: World) -> None:
    allowed = replace(
        world.connection,
        saml=replace(world.connection.saml, allow_idp_initiated=True),
        version=world.connection.version + 1,
    )
    world.connections.replace(allowed)
    world.connection = allowed
    _, assertion = world.accept(world.answer(None), None)
    assert assertion.in_response_to is None  # type: ignore[attr-defined]


def test_a_comment_inside_the_name_id_does_not_cut_it_short(world: World) -> None:
    request_id = world.started()
    xml = world.answer(request_id, email="victim@corp.example.evil.example")
    # The signature covers the text without comments: a comment keeps it valid.
    crafted = re.sub(
        r"(<(?:\w+:)?NameID[^>]*>)victim@corp\.example",
        r"\1victim@corp.example<!---->",
        xml,
    )
    assert crafted != xml
    _, assertion = world.accept(crafted, request_id)
    assert assertion.name_id == "victim@corp.example.evil.example"  # type: ignore[attr-defined]


def test_a_draft_or_openid_connection_takes_no_answer(world: World) -> None:
    request_id = world.started()
    xml = world.answer(request_id)
    world.connections.replace(world.connection.changed(NOW, status=ConnectionStatus.INACTIVE))
    with pytest.raises(NotFound):
        world.accept(xml, request_id)


def test_garbage_is_refused_not_crashed(world: World) -> None:
    request_id = world.started()
    for junk in (
        "",
        "not base64!",
        base64.b64encode(b"<x/>").decode(),
        base64.b64encode(b"\xff").decode(),
    ):
        with pytest.raises(Unauthenticated):
            checked_assertion(
                SamlAnswer(world.connection.id, junk, request_id),
                connections=world.connections,
                sp=world.sp,
                spent=world.spent,
            )


def wrapped_answer(world: World, variant: int) -> tuple[str, str]:
    """(the request's id, its answer wrapped by XSW ``variant``)."""
    request_id = world.started()
    signs_response = variant in (1, 2)
    xml = world.answer(request_id, sign_response=signs_response, sign_assertion=not signs_response)
    attacked = wrapped(xml, variant)
    assert FORGED in attacked
    return request_id, attacked


@pytest.mark.parametrize("variant", [1, 2, 3, 4, 5, 6, 8])
def test_a_wrapped_signature_is_refused(world: World, variant: int) -> None:
    request_id, attacked = wrapped_answer(world, variant)
    assert refused(world, attacked, request_id) in {"saml_bad_signature", "saml_invalid"}


def test_a_forgery_in_extensions_is_never_read(world: World) -> None:
    # XSW7: the forgery in an Extensions element, the signed assertion after it. The schema
    # keeps Extensions apart: the answer is the signed assertion's, never the forger's.
    request_id, attacked = wrapped_answer(world, 7)
    _, assertion = world.accept(attacked, request_id)
    assert assertion.name_id == "alice@corp.example"  # type: ignore[attr-defined]
    assert FORGED not in assertion.attributes.get("mail", ())  # type: ignore[attr-defined]


def test_the_wrapping_leaves_an_unaltered_answer_acceptable(world: World) -> None:
    # The tests' XML handling keeps a signature valid: a refusal above is the attack's.
    request_id = world.started()
    xml = world.answer(request_id, sign_response=False, sign_assertion=True)
    from xml.dom import minidom

    root = minidom.parseString(xml).documentElement  # noqa: S318 (the IdP's own answer)
    assert root is not None
    _, assertion = world.accept(root.toxml(), request_id)
    assert assertion.name_id == "alice@corp.example"  # type: ignore[attr-defined]
