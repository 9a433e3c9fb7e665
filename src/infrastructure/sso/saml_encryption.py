"""Encrypted SAML assertions: each connection's own encryption key in firegate's metadata, and
an ``EncryptedAssertion`` decrypted in this process by libxmlsec1 through python-xmlsec
(docs/reference/sso.md, "Encrypted assertions";
docs/decisions/0930-a-saml-connections-encryption-key.md,
docs/decisions/0931-encrypted-assertions-decrypted-in-process.md).

pysaml2 decides when to decrypt: it checks the response's signature (if it has one) on the
answer as posted, asks its security context to decrypt the response (``decrypt_keys``), and
then checks the decrypted assertion's signature. :class:`DecryptingSecurity` is that security
context with the connection's keys in memory (no key is written to a file), under firegate's
rules:

- data encryption AES-GCM (128 or 256 bits); AES-CBC only where the connection sets
  ``allow_cbc`` (CBC without an integrity check is open to padding-oracle attacks);
- key transport RSA-OAEP (``xmlenc#rsa-oaep-mgf1p``, ``xmlenc11#rsa-oaep``); RSA PKCS#1 v1.5
  (``xmlenc#rsa-1_5``) is always refused (Bleichenbacher's attack);
- any other algorithm refused: :class:`EncryptionRefused`; a ciphertext no key of the
  connection opens, or altered: :class:`NotDecrypted`. Both are pysaml2 ``SigverError``s but
  not its ``DecryptError``, so pysaml2 does not take them for a key that merely did not fit.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import xmlsec
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree
from saml2.sigver import SecurityContext, SigverError

from infrastructure.sso.certificates import self_signed

XENC = "http://www.w3.org/2001/04/xmlenc#"
DS = "http://www.w3.org/2000/09/xmldsig#"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
AES128_GCM = "http://www.w3.org/2009/xmlenc11#aes128-gcm"
AES256_GCM = "http://www.w3.org/2009/xmlenc11#aes256-gcm"
AES128_CBC = "http://www.w3.org/2001/04/xmlenc#aes128-cbc"
AES256_CBC = "http://www.w3.org/2001/04/xmlenc#aes256-cbc"
RSA_OAEP_MGF1P = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"
RSA_OAEP = "http://www.w3.org/2009/xmlenc11#rsa-oaep"
RSA_1_5 = "http://www.w3.org/2001/04/xmlenc#rsa-1_5"
# Each data encryption accepted, with its key's length in bytes.
GCM = {AES128_GCM: 16, AES256_GCM: 32}
CBC = {AES128_CBC: 16, AES256_CBC: 32}
KEY_TRANSPORTS = (RSA_OAEP, RSA_OAEP_MGF1P)
ENCRYPTED_MAX = 4  # EncryptedData elements decrypted in one answer at most
KEY_BITS = 2048
_NS = {"xenc": XENC, "ds": DS}
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=False
)

ENCRYPTION_REFUSED = (
    "saml_encryption_refused",
    "The assertion is encrypted with an algorithm this connection does not accept: set the "
    "identity provider to encrypt with AES-GCM and RSA-OAEP.",
)
NOT_DECRYPTED = (
    "saml_decryption_failed",
    "The encrypted assertion could not be decrypted with this connection's key (encrypted for "
    "another key, or altered).",
)
NOT_ENCRYPTED = (
    "saml_assertion_not_encrypted",
    "This connection accepts encrypted assertions only: set the identity provider to encrypt "
    "them to the certificate in the connection's metadata.",
)


class EncryptionRefused(SigverError):  # type: ignore[misc]  # pysaml2 is untyped
    """An encryption algorithm the connection does not accept."""


class NotDecrypted(SigverError):  # type: ignore[misc]  # pysaml2 is untyped
    """No key of the connection decrypts it, or it was altered."""


def verdict(exc: Exception) -> tuple[str, str] | None:
    """The refusal's code and words for a decryption's exception; None for another."""
    if isinstance(exc, EncryptionRefused):
        return ENCRYPTION_REFUSED
    if isinstance(exc, NotDecrypted):
        return NOT_DECRYPTED
    return None


@dataclass(frozen=True)
class AssertionDecryption:
    """A connection's keys (PEM private keys, the current one first) and whether it takes
    AES-CBC."""

    keys: tuple[str, ...]
    allow_cbc: bool

    def decrypted(self, text: str | bytes) -> str:
        """``text`` with each of its ``EncryptedData`` replaced by what it holds."""
        try:
            root = etree.fromstring(text.encode() if isinstance(text, str) else text, _PARSER)
        except etree.XMLSyntaxError:
            raise NotDecrypted("not XML") from None
        found = root.xpath("descendant-or-self::xenc:EncryptedData", namespaces=_NS)
        if not found or len(found) > ENCRYPTED_MAX:
            raise NotDecrypted(f"{len(found)} EncryptedData elements")
        for data in found:
            opened = self._opened(data)
            if data is root:
                root = opened
        return str(etree.tostring(root, encoding="unicode"))

    def _opened(self, data: Any) -> Any:
        method = _algorithm(data)
        accepted = GCM | (CBC if self.allow_cbc else {})
        if method not in accepted:
            raise EncryptionRefused(f"data encryption {method or 'not named'}")
        wrapped = data.findall("ds:KeyInfo/xenc:EncryptedKey", namespaces=_NS)
        parent = data.getparent()
        if not wrapped and parent is not None:  # beside it, as some IdPs place it
            wrapped = parent.findall("xenc:EncryptedKey", namespaces=_NS)
        if not wrapped:
            raise NotDecrypted("no EncryptedKey")
        for encrypted_key in wrapped:
            transport = _algorithm(encrypted_key)
            if transport not in KEY_TRANSPORTS:
                raise EncryptionRefused(f"key transport {transport or 'not named'}")
        session = self._session_key(wrapped, accepted[method])
        context = xmlsec.EncryptionContext()
        context.key = xmlsec.Key.from_binary_data(xmlsec.constants.KeyDataAes, session)
        try:
            return context.decrypt(data)
        except xmlsec.Error:
            raise NotDecrypted("the data does not decrypt (altered?)") from None

    def _session_key(self, wrapped: Sequence[Any], length: int) -> bytes:
        """The data's AES key: the first of the ``EncryptedKey`` elements one of the keys
        opens, of the data algorithm's length."""
        for encrypted_key in wrapped:
            for pem in self.keys:
                context = xmlsec.EncryptionContext()
                context.key = xmlsec.Key.from_memory(
                    pem.encode(), xmlsec.constants.KeyDataFormatPem
                )
                try:
                    session = context.decrypt(encrypted_key)
                except xmlsec.Error:
                    continue
                if isinstance(session, bytes) and len(session) == length:
                    return session
        raise NotDecrypted("no key of the connection opens its EncryptedKey")


def _algorithm(element: Any) -> str:
    methods = element.findall("xenc:EncryptionMethod", namespaces=_NS)
    return str(methods[0].get("Algorithm") or "") if len(methods) == 1 else ""


class DecryptingSecurity(SecurityContext):  # type: ignore[misc]  # pysaml2 is untyped
    """pysaml2's security context, decrypting with the connection's keys in memory
    (``decryption``) rather than with key files and the ``xmlsec1`` program."""

    def __init__(self, *args: Any, decryption: AssertionDecryption, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.decryption = decryption

    def decrypt_keys(self, enctext: str | bytes, keys: Any = None) -> str:
        return self.decryption.decrypted(enctext)

    def decrypt(self, enctext: str | bytes, key_file: Any = None) -> str:
        return self.decryption.decrypted(enctext)


def plain_assertion(response: str) -> bool:
    """Whether the posted ``SAMLResponse`` (base64) carries an assertion in the clear; False
    for what is not a response at all (pysaml2 refuses it then)."""
    try:
        xml = base64.b64decode(response, validate=False)
        root = etree.fromstring(xml, _PARSER)
    except (binascii.Error, ValueError, etree.XMLSyntaxError):
        return False
    return root.find(f"{{{SAML}}}Assertion") is not None


def with_encryption_keys(descriptor: Any, certificates: Sequence[str], *, allow_cbc: bool) -> Any:
    """pysaml2's ``EntityDescriptor`` of a connection with a ``KeyDescriptor`` of use
    ``encryption`` for each certificate (base64 DER), the current one first, each naming the
    algorithms firegate decrypts: AES-GCM, AES-CBC where the connection takes it, RSA-OAEP."""
    from saml2 import md, xmldsig  # noqa: PLC0415 - pysaml2 is imported on first use

    methods = [AES256_GCM, AES128_GCM, *((AES256_CBC, AES128_CBC) if allow_cbc else ())]
    spsso = descriptor.spsso_descriptor
    spsso = spsso[0] if isinstance(spsso, list) else spsso
    spsso.key_descriptor = list(spsso.key_descriptor or []) + [
        md.KeyDescriptor(
            use="encryption",
            key_info=xmldsig.KeyInfo(
                x509_data=[xmldsig.X509Data(x509_certificate=xmldsig.X509Certificate(text=c))]
            ),
            encryption_method=[
                md.EncryptionMethod(algorithm=a) for a in (*methods, *KEY_TRANSPORTS)
            ],
        )
        for c in certificates
    ]
    return descriptor


def new_key() -> tuple[str, str]:
    """A new RSA key (PEM, PKCS#8) and its self-signed certificate (base64 DER)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    now = datetime.now(UTC).replace(microsecond=0)
    cert = self_signed(key, "firegate SAML encryption", now)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return pem, base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
