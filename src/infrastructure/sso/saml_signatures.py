"""The IdP's XML signatures checked in this process: pysaml2's crypto backend on python-xmlsec,
the bindings to libxmlsec1, the library Debian's ``xmlsec1`` program is built on
(docs/decisions/0399-saml-signatures-in-process.md, docs/decisions/0400-no-sha1-in-saml.md).

pysaml2 still decides everything else: which element must be signed, that its signature has one
Reference to that element's ID, the exclusive canonicalization and enveloped transforms, the
schema, and which certificates are the IdP's. It asks this backend whether the signature of the
element named ``node_name`` with the ID ``node_id`` is valid for one certificate; the answer is
bound to that very element:

- the ID is carried by exactly one element of the document (a forged copy with the same ID,
  XML signature wrapping, is refused) and that element is a ``node_name``;
- its signature is its own child, with one Reference, to ``#node_id``, and only that element's
  ID is known to libxmlsec1 while it verifies;
- the algorithms are SHA-256 or stronger: an answer signed or digested with SHA-1 (or MD5) is
  refused as :class:`WeakSignatureAlgorithm`, whatever its signature.

pysaml2 also validates each signed element against the SAML schemas before its signature is
checked, with its own validator (xmlschema, ~3 ms an element), as it is.

This module imports pysaml2, which costs seconds: it is imported on first use only
(infrastructure/sso/saml_sp.py).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import xmlsec
from lxml import etree
from saml2.sigver import (
    CryptoBackend,
    RSACrypto,
    SecurityContext,
    SigverError,
    import_rsa_key_from_file,
)

from infrastructure.sso.saml_encryption import AssertionDecryption, DecryptingSecurity

DS = "http://www.w3.org/2000/09/xmldsig#"
_T = xmlsec.constants
# What a signature of an IdP's answer may use. pysaml2 allows the two exclusive
# canonicalizations and the enveloped transform only; no SHA-1, no MD5.
CANONICALIZATIONS = (_T.TransformExclC14N, _T.TransformExclC14NWithComments)
SIGNATURE_METHODS = (
    _T.TransformRsaSha256,
    _T.TransformRsaSha384,
    _T.TransformRsaSha512,
    _T.TransformEcdsaSha256,
    _T.TransformEcdsaSha384,
    _T.TransformEcdsaSha512,
)
DIGESTS = (_T.TransformSha256, _T.TransformSha384, _T.TransformSha512)
REFERENCE_TRANSFORMS = (_T.TransformEnveloped, *CANONICALIZATIONS, *DIGESTS)
_STRONG = {t.href for t in (*CANONICALIZATIONS, *SIGNATURE_METHODS, *DIGESTS)}
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=False
)


class WeakSignatureAlgorithm(SigverError):  # type: ignore[misc]  # pysaml2 is untyped
    """The signature or its digest uses an algorithm refused here (SHA-1, MD5): not an
    ``XmlsecError``, so pysaml2 does not take it for a mere mismatch of one certificate."""


class LibxmlsecBackend(CryptoBackend):  # type: ignore[misc]  # pysaml2 is untyped
    """Verifies in process what pysaml2's ``CryptoBackendXmlSec1`` verifies with a process."""

    @property
    def version(self) -> str:
        numbers = xmlsec.get_libxmlsec_version()  # type: ignore[attr-defined]  # not in its stubs
        return ".".join(str(n) for n in numbers)

    def validate_signature(
        self,
        signedtext: str | bytes,
        cert_file: str,
        cert_type: str,
        node_name: str,
        node_id: str | None,
    ) -> bool:
        if cert_type != "pem" or not node_id:
            return False
        root = etree.fromstring(  # entities off, no network, no DTD (_PARSER)
            signedtext.encode() if isinstance(signedtext, str) else signedtext, _PARSER
        )
        signature = _own_signature(root, node_name, node_id)
        if signature is None:
            return False
        _refuse_weak_algorithms(signature)
        context = xmlsec.SignatureContext()
        context.key = xmlsec.Key.from_file(cert_file, xmlsec.constants.KeyDataFormatCertPem)
        context.register_id(signature.getparent(), "ID")
        for method in (*CANONICALIZATIONS, *SIGNATURE_METHODS):
            context.enable_signature_transform(method)
        for transform in REFERENCE_TRANSFORMS:
            context.enable_reference_transform(transform)
        try:
            context.verify(signature)
        except xmlsec.Error:
            return False
        return True

    # -- single logout: what firegate posts is signed here too (docs/reference/sso.md)

    def sign_statement(
        self, statement: str | bytes, node_name: str, key_file: str, node_id: str | None
    ) -> str:
        """``statement`` with its element ``node_name`` of ID ``node_id`` signed by the key in
        ``key_file``: pysaml2 has put the signature's template (its algorithms, one
        Reference to that ID) in that element already; libxmlsec1 fills it in."""
        text = statement.encode() if isinstance(statement, str) else statement
        root = etree.fromstring(text, _PARSER)
        namespace, _, local = node_name.rpartition(":")
        carriers = root.xpath("//*[@ID=$id]", id=node_id) if node_id else [root]
        if len(carriers) != 1 or carriers[0].tag != f"{{{namespace}}}{local}":
            raise SigverError(f"nothing to sign: {node_name} {node_id}")
        signature = carriers[0].find(f"{{{DS}}}Signature")
        if signature is None:
            raise SigverError(f"no signature template in {node_name}")
        context = xmlsec.SignatureContext()
        context.key = xmlsec.Key.from_file(key_file, xmlsec.constants.KeyDataFormatPem)
        context.register_id(carriers[0], "ID")
        context.sign(signature)
        signed: str = etree.tostring(root, encoding="unicode")
        return signed


def _own_signature(root: Any, node_name: str, node_id: str) -> Any:
    """The signature of the one element ``node_name`` whose ID is ``node_id``, referring to it
    alone; None when the ID is not carried by exactly one such element or the signature does not
    refer to it."""
    namespace, _, local = node_name.rpartition(":")
    carriers = root.xpath("//*[@ID=$id]", id=node_id)
    if len(carriers) != 1 or carriers[0].tag != f"{{{namespace}}}{local}":
        return None
    signatures = carriers[0].findall(f"{{{DS}}}Signature")
    if len(signatures) != 1:
        return None
    references = signatures[0].findall(f"{{{DS}}}SignedInfo/{{{DS}}}Reference")
    if len(references) != 1 or references[0].get("URI") != f"#{node_id}":
        return None
    return signatures[0]


def _refuse_weak_algorithms(signature: Any) -> None:
    used = signature.xpath(
        "ds:SignedInfo/ds:SignatureMethod/@Algorithm"
        " | ds:SignedInfo/ds:Reference/ds:DigestMethod/@Algorithm",
        namespaces={"ds": DS},
    )
    weak = sorted({str(algorithm) for algorithm in used} - _STRONG)
    if weak:
        raise WeakSignatureAlgorithm(f"refused signature algorithm: {', '.join(weak)}")


def in_process_security(config: Any, decryption: AssertionDecryption | None = None) -> Any:
    """pysaml2's security context for ``config`` (what ``saml2.sigver.security_context``
    builds), its signatures checked by :class:`LibxmlsecBackend`; the requests' redirect
    signatures are pysaml2's own, with the service provider's key. With ``decryption``, it
    decrypts encrypted assertions with a connection's keys
    (infrastructure/sso/saml_encryption.py)."""
    extra: dict[str, Any] = {}
    if decryption is not None:
        extra["decryption"] = decryption
    context = DecryptingSecurity if decryption is not None else SecurityContext
    return context(
        LibxmlsecBackend(),
        config.key_file,
        cert_file=config.cert_file,
        metadata=config.metadata,
        only_use_keys_in_metadata=config.only_use_keys_in_metadata,
        cert_handler_extra_class=config.cert_handler_extra_class,
        generate_cert_info=config.generate_cert_info,
        tmp_cert_file=config.tmp_cert_file,
        tmp_key_file=config.tmp_key_file,
        validate_certificate=config.validate_certificate,
        enc_key_files=[],
        encryption_keypairs=config.encryption_keypairs,
        sec_backend=_signer(config.key_file),
        delete_tmpfiles=config.delete_tmpfiles,
        **extra,
    )


@lru_cache(maxsize=8)
def _signer(key_file: str) -> RSACrypto:
    """The service provider's key (infrastructure/sso/saml_sp.py writes each key's file once
    per process), loaded once for every connection's client: loading an RSA key checks it,
    which takes ~20 ms."""
    return RSACrypto(import_rsa_key_from_file(key_file))
