"""The self-signed certificates of firegate's own SAML keys (its signing key's, each
connection's encryption keys'): a certificate only carries the public key to the IdP, which
trusts it by the metadata it came in, so its dates and names are plain."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

NOT_AFTER = datetime(2126, 1, 1, tzinfo=UTC)


def self_signed(key: rsa.RSAPrivateKey, common_name: str, not_before: datetime) -> x509.Certificate:
    """``key``'s certificate, signed by itself (PKCS#1 v1.5: the same bytes for the same key
    and dates), its serial number from the public key."""
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(int.from_bytes(hashlib.sha256(public).digest()[:16], "big") >> 1 or 1)
        .not_valid_before(not_before)
        .not_valid_after(NOT_AFTER)
        .sign(key, hashes.SHA256())
    )
