"""Single sign-on connections' rules, and reading a SAML IdP's metadata and certificates with
pysaml2 (docs/reference/sso.md, "Connections")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import Conflict, InvalidInput
from domain.sso.connections import (
    Connection,
    ConnectionKind,
    ConnectionStatus,
    IdpCertificate,
    OidcIdp,
    SamlIdp,
    SpAddresses,
    checked_mapping,
    is_connection_id,
)
from infrastructure.sso.saml_metadata import Pysaml2Metadata
from tests.support.saml import POST, certificate, idp_metadata

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def draft(kind: str = "saml") -> Connection:
    return Connection.create("o1", kind, "  Acme   Okta ", "u1", NOW)


def codes(problem: InvalidInput) -> list[tuple[str, str]]:
    return [(e.field, e.code) for e in problem.errors]


def test_a_new_connection_is_a_draft_with_a_path_safe_id() -> None:
    made = draft()
    assert (made.kind, made.status, made.name, made.version) == (
        ConnectionKind.SAML,
        ConnectionStatus.DRAFT,
        "Acme Okta",
        1,
    )
    assert is_connection_id(made.id) and made.id != draft().id
    assert not is_connection_id("../x") and not is_connection_id(made.id.upper())


def test_kind_and_name_are_checked() -> None:
    with pytest.raises(InvalidInput) as refused:
        Connection.create("o1", "ldap", "\x00", "u1", NOW)
    assert codes(refused.value) == [("kind", "invalid_kind"), ("name", "invalid_name")]


def test_only_a_complete_connection_becomes_active() -> None:
    saml = draft()
    with pytest.raises(Conflict) as refused:
        saml.changed(NOW, status=ConnectionStatus.ACTIVE)
    assert refused.value.code == "connection_incomplete"
    assert [p.field for p in saml.missing()] == [
        "saml.entity_id",
        "saml.sso_url",
        "saml.certificates",
    ]
    idp = SamlIdp("https://idp", "https://idp/sso", (IdpCertificate("MII", NOW),))
    active = saml.changed(NOW, saml=idp, status=ConnectionStatus.ACTIVE)
    assert active.active and active.version == 2
    # An active connection cannot lose what it needs.
    with pytest.raises(Conflict):
        active.changed(NOW, saml=SamlIdp())
    oidc = draft("oidc")
    assert [p.field for p in oidc.missing()] == [
        "oidc.issuer",
        "oidc.client_id",
        "oidc.client_secret",
    ]
    complete = oidc.changed(NOW, oidc=OidcIdp("https://issuer", "id", "sealed"))
    assert complete.changed(NOW, status=ConnectionStatus.ACTIVE).active


def test_a_mapping_grants_the_orgs_roles_but_never_owner() -> None:
    mapping = checked_mapping(
        {
            "email": "urn:oid:0.9.2342.19200300.100.1.3",
            "groups": "groups",
            "roles": {"IT": ["admin", "member", "admin"], "Sales": ["crm:editor"]},
        },
        ["crm:editor"],
    )
    assert mapping.roles == {"IT": ("admin", "member"), "Sales": ("crm:editor",)}
    assert mapping.email == "urn:oid:0.9.2342.19200300.100.1.3"
    with pytest.raises(InvalidInput) as refused:
        checked_mapping({"roles": {"Boss": ["owner"], "X": ["nope"], "": ["member"]}}, [])
    assert codes(refused.value) == [
        ("mapping.roles", "unknown_role"),
        ("mapping.roles", "unknown_role"),
        ("mapping.roles", "invalid_group"),
    ]
    with pytest.raises(InvalidInput) as bad:
        checked_mapping({"email": "has space", "colour": "x"}, [])
    assert codes(bad.value) == [
        ("mapping.email", "invalid_attribute"),
        ("mapping.colour", "unknown_field"),
    ]


def test_the_service_providers_addresses_are_under_the_public_url() -> None:
    sp = SpAddresses.of("https://id.example.com/", "abc")
    assert (sp.entity_id, sp.acs_url, sp.redirect_uri) == (
        "https://id.example.com/sso/abc/saml/metadata",
        "https://id.example.com/sso/abc/saml/acs",
        "https://id.example.com/sso/abc/oidc/callback",
    )


def test_metadata_gives_the_entity_id_the_redirect_address_and_the_certificates() -> None:
    _, der_a = certificate()
    _, der_b = certificate()
    xml = idp_metadata("https://idp.example.com/m", "https://idp.example.com/sso", (der_a, der_b))
    read = Pysaml2Metadata().idp(xml, NOW)
    assert (read.entity_id, read.sso_url) == (
        "https://idp.example.com/m",
        "https://idp.example.com/sso",
    )
    assert [c.der for c in read.certificates] == [der_a, der_b]
    assert all(c.not_after > NOW + timedelta(days=300) for c in read.certificates)


@pytest.mark.parametrize(
    "xml",
    [
        "not xml",
        "<a/>",
        idp_metadata(certificates=()),  # no signing certificate
        idp_metadata(certificates=("MIIB",)),  # not a certificate
        idp_metadata(certificates=(certificate()[1],), binding=POST),  # no HTTP-Redirect
        '<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',  # entities are not expanded
    ],
)
def test_metadata_it_cannot_use_is_refused(xml: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        Pysaml2Metadata().idp(xml, NOW)
    assert codes(refused.value) == [("saml.metadata_xml", "invalid_metadata")]


def test_a_certificate_is_read_as_pem_or_der_and_refused_expired() -> None:
    pem, der = certificate(not_after=NOW + timedelta(days=40))
    reader = Pysaml2Metadata()
    assert reader.certificate(pem, NOW) == reader.certificate(der, NOW)
    assert reader.certificate(der, NOW).not_after.date() == (NOW + timedelta(days=40)).date()
    for bad, when in ((der, NOW + timedelta(days=41)), ("nope", NOW), ("", NOW)):
        with pytest.raises(InvalidInput) as refused:
            reader.certificate(bad, when)
        assert codes(refused.value) == [("saml.certificates", "invalid_certificate")]
