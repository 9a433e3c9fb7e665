"""What a SAML identity provider publishes, made for tests: a signing certificate of its own
and its metadata (docs/reference/sso.md)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"


def certificate(
    name: str = "idp.example.com", *, not_after: datetime | None = None
) -> tuple[str, str]:
    """A new self-signed certificate: (PEM, base64 DER), valid until ``not_after`` (a year)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    until = not_after or now + timedelta(days=365)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(min(now, until) - timedelta(days=1))
        .not_valid_after(until)
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    der = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
    return pem, der


def idp_metadata(
    entity_id: str = "https://idp.example.com/metadata",
    sso_url: str = "https://idp.example.com/sso",
    certificates: tuple[str, ...] = (),
    *,
    binding: str = REDIRECT,
) -> str:
    """An IdP's metadata: one EntityDescriptor, its signing certificates (base64 DER), one
    SingleSignOnService with ``binding``."""
    keys = "".join(
        '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>'
        f"<ds:X509Certificate>{der}</ds:X509Certificate>"
        "</ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        for der in certificates
    )
    return (
        '<?xml version="1.0"?>'
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        f'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity_id}">'
        '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        f'{keys}<md:SingleSignOnService Binding="{binding}" Location="{sso_url}"/>'
        "</md:IDPSSODescriptor></md:EntityDescriptor>"
    )


def certificate_not_after(days: int = 365) -> tuple[datetime, datetime]:
    """(not after, not before) of a test certificate valid now."""
    now = datetime.now(UTC)
    return now + timedelta(days=days), now - timedelta(days=1)
