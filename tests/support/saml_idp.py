"""A SAML identity provider nobody here wrote: pysaml2's own IdP (``saml2.server.Server``),
run in the test's process with a key of its own, answering firegate's AuthnRequests with
signed responses, and the crafted answers the refusals are tested with
(docs/reference/sso.md, "SAML")."""

from __future__ import annotations

import base64
import functools
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.support.saml import certificate_not_after

ENTITY_ID = "https://idp.corp.example/metadata"
SSO_URL = "https://idp.corp.example/sso"
SLO_URL = "https://idp.corp.example/slo"  # its single logout, both bindings
PASSWORD = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"


@dataclass(frozen=True)
class KeyPair:
    key_file: str
    cert_file: str
    der: str  # the certificate, base64 DER


def key_pair(name: str = "idp.corp.example") -> KeyPair:
    """A new RSA key and its self-signed certificate, as files (pysaml2 reads files)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    until, since = certificate_not_after()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(since)
        .not_valid_after(until)
        .sign(key, hashes.SHA256())
    )
    folder = tempfile.mkdtemp(prefix="saml-idp-")
    key_file, cert_file = os.path.join(folder, "idp.key"), os.path.join(folder, "idp.crt")
    with open(key_file, "wb") as out:
        out.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    with open(cert_file, "wb") as out:
        out.write(cert.public_bytes(serialization.Encoding.PEM))
    der = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
    return KeyPair(key_file, cert_file, der)


class SamlIdpForTests:
    """pysaml2's IdP, trusting the service providers whose metadata it is given."""

    def __init__(
        self,
        *sp_metadata: str,
        keys: KeyPair | None = None,
        lifetime_minutes: int = 5,
        sign_alg: str = RSA_SHA256,
        digest_alg: str = SHA256,
        sso_url: str = SSO_URL,
        entity_id: str = ENTITY_ID,
    ) -> None:
        from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
        from saml2.config import IdPConfig
        from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NAMEID_FORMAT_PERSISTENT
        from saml2.server import Server

        self.keys = keys or key_pair()
        self.lifetime = {"minutes": lifetime_minutes}
        config = IdPConfig()
        config.load(
            {
                "entityid": entity_id,
                "key_file": self.keys.key_file,
                "cert_file": self.keys.cert_file,
                "xmlsec_binary": "/usr/bin/xmlsec1",
                "metadata": {"inline": list(sp_metadata)},
                "service": {
                    "idp": {
                        "endpoints": {
                            "single_sign_on_service": [(sso_url, BINDING_HTTP_REDIRECT)],
                            "single_logout_service": [
                                (SLO_URL, BINDING_HTTP_REDIRECT),
                                (SLO_URL, BINDING_HTTP_POST),
                            ],
                        },
                        "name_id_format": [NAMEID_FORMAT_EMAILADDRESS, NAMEID_FORMAT_PERSISTENT],
                        "policy": {"default": {"lifetime": self.lifetime}},
                        # pysaml2 signs with RSA-SHA1 by default, which firegate refuses
                        # (docs/decisions/0400-no-sha1-in-saml.md): today's IdPs sign so.
                        "signing_algorithm": sign_alg,
                        "digest_algorithm": digest_alg,
                    }
                },
            }
        )
        self.server = Server(config=config)
        # pysaml2 asks `xmlsec1 --version` before each signature: half of its programs run.
        crypto = self.server.sec.crypto
        self.server.sec.crypto = _xmlsec1_of_one_version()(
            crypto.xmlsec, delete_tmpfiles=crypto.delete_tmpfiles
        )

    def request_of(self, url: str) -> Any:
        """The AuthnRequest a redirect to the IdP carries, checked as the IdP checks it."""
        from saml2 import BINDING_HTTP_REDIRECT

        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        return self.server.parse_authn_request(query["SAMLRequest"], BINDING_HTTP_REDIRECT)

    def response(
        self,
        *,
        in_response_to: str | None,
        destination: str,
        audience: str,
        email: str = "alice@corp.example",
        attributes: Mapping[str, list[str]] | None = None,
        sign_response: bool = True,
        sign_assertion: bool = True,
        recipient: str | None = None,
        restrictions: Sequence[Sequence[str]] | None = None,
    ) -> str:
        """A response as XML text (not yet base64), for the test to alter or post. Its bearer
        confirmation's ``Recipient`` is ``destination`` unless ``recipient`` is given; its
        conditions hold one ``AudienceRestriction`` naming ``audience`` unless
        ``restrictions`` lists them (each its audiences; none: no restriction). Signed all
        the same."""
        from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, SCM_BEARER, NameID

        crafted: dict[str, Any] = {}
        if recipient is not None:
            confirmation = {"in_response_to": in_response_to, "recipient": recipient}
            crafted["farg"] = {
                "assertion": {
                    "subject": {
                        "subject_confirmation": {
                            "method": SCM_BEARER,
                            "subject_confirmation_data": confirmation,
                        }
                    }
                }
            }
        if restrictions is not None:
            crafted["release_policy"] = _policy_restricting(
                restrictions, self.lifetime, self.server.metadata
            )
        response = self.server.create_authn_response(
            dict(attributes or {"mail": [email], "givenName": ["Alice"]}),
            in_response_to=in_response_to,
            destination=destination,
            sp_entity_id=audience,
            name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=email),
            userid=email,
            authn={"class_ref": PASSWORD},
            sign_response=sign_response,
            sign_assertion=sign_assertion,
            **crafted,
        )
        return str(response)

    # -- single logout (docs/reference/sso.md, "Single logout")

    def logout_request(
        self,
        destination: str,
        email: str = "alice@corp.example",
        *,
        binding: str = "redirect",
        sign: bool = True,
        sign_alg: str = RSA_SHA256,
        digest_alg: str = SHA256,
        session_index: str | None = None,
        expire: str | None = None,
        relay_state: str = "",
    ) -> tuple[str, dict[str, str] | str]:
        """A ``LogoutRequest`` for the person of ``email`` (the NameID its answers name) to
        ``destination``: its ID and, by HTTP-Redirect, the query to GET (its signature by
        the IdP's key, with ``sign_alg``); by HTTP-POST, the form to post (an enveloped
        signature). ``expire``: its ``NotOnOrAfter``."""
        from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
        from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NameID

        post = binding == "post"
        request_id, request = self.server.create_logout_request(
            destination,
            "sp",
            name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=email),
            session_indexes=[session_index] if session_index else None,
            expire=expire,
            sign=sign and post,
            sign_alg=sign_alg,
            digest_alg=digest_alg,
        )
        xml = request if isinstance(request, str) else str(request)
        if post:
            form = {"SAMLRequest": posted(xml)}
            if relay_state:
                form["RelayState"] = relay_state
            return request_id, form
        info = self.server.apply_binding(
            BINDING_HTTP_REDIRECT if not post else BINDING_HTTP_POST,
            xml,
            destination,
            relay_state,
            sign=sign,
            sigalg=sign_alg,
        )
        return request_id, urlsplit(dict(info["headers"])["Location"]).query

    def logout_of(self, url: str) -> Any:
        """The ``LogoutRequest`` a redirect to the IdP's SLO carries, as the IdP reads it
        (its query's signature checked with the service provider's certificate)."""
        from saml2 import BINDING_HTTP_REDIRECT

        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        return self.server.parse_logout_request(
            query["SAMLRequest"],
            BINDING_HTTP_REDIRECT,
            relay_state=query.get("RelayState"),
            sigalg=query.get("SigAlg"),
            signature=query.get("Signature"),
        )

    def logout_response(
        self, request: Any, *, sign: bool = True, in_response_to: str | None = None
    ) -> str:
        """The IdP's ``LogoutResponse`` (Success) to ``request`` (as ``logout_of`` read it),
        by HTTP-Redirect to the SP's SLO URL: the query to GET there. ``in_response_to``:
        another request's ID instead."""
        from saml2 import BINDING_HTTP_REDIRECT

        message = request.message
        if in_response_to is not None:
            message.id = in_response_to
        response = self.server.create_logout_response(message, [BINDING_HTTP_REDIRECT], sign=False)
        info = self.server.apply_binding(
            BINDING_HTTP_REDIRECT,
            str(response),
            response.destination,
            "",
            response=True,
            sign=sign,
            sigalg=RSA_SHA256,
        )
        return urlsplit(dict(info["headers"])["Location"]).query


@functools.cache
def _xmlsec1_of_one_version() -> type[Any]:
    """pysaml2's backend on the ``xmlsec1`` program, which it asks for its version once in the
    process rather than before each signature (a program of its own each time; the version
    only chooses its options)."""
    from saml2.sigver import CryptoBackendXmlSec1

    class OneVersion(CryptoBackendXmlSec1):  # type: ignore[misc]  # pysaml2 is untyped
        @property
        def version(self) -> str:
            return _xmlsec1_version(self.xmlsec)

    return OneVersion


@functools.cache
def _xmlsec1_version(program: str) -> str:
    from saml2.sigver import CryptoBackendXmlSec1

    version: str = CryptoBackendXmlSec1(program).version
    return version


def _policy_restricting(
    restrictions: Sequence[Sequence[str]], lifetime: dict[str, int], metadata: Any
) -> Any:
    """pysaml2's release policy, its assertions' conditions restricted to ``restrictions``."""
    from saml2.assertion import Policy
    from saml2.saml import Audience, AudienceRestriction

    class Restricting(Policy):  # type: ignore[misc]  # pysaml2 is untyped
        def conditions(self, sp_entity_id: str) -> Any:
            made = super().conditions(sp_entity_id)
            made.audience_restriction = [
                AudienceRestriction(audience=[Audience(text=a) for a in audiences])
                for audiences in restrictions
            ]
            return made

    return Restricting({"default": {"lifetime": lifetime}}, mds=metadata)


def posted(xml: str) -> str:
    """The ``SAMLResponse`` form field of an answer: base64 of its XML."""
    return base64.b64encode(xml.encode()).decode()


# -- encrypted assertions (docs/reference/sso.md, "Encrypted assertions")

XENC = "http://www.w3.org/2001/04/xmlenc#"
SAML_NS = "urn:oasis:names:tc:SAML:2.0:assertion"
AES128_GCM = "http://www.w3.org/2009/xmlenc11#aes128-gcm"
AES256_GCM = "http://www.w3.org/2009/xmlenc11#aes256-gcm"
AES128_CBC = "http://www.w3.org/2001/04/xmlenc#aes128-cbc"
AES256_CBC = "http://www.w3.org/2001/04/xmlenc#aes256-cbc"
RSA_OAEP_MGF1P = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"
RSA_OAEP = "http://www.w3.org/2009/xmlenc11#rsa-oaep"
RSA_1_5 = "http://www.w3.org/2001/04/xmlenc#rsa-1_5"


def encryption_certificates(sp_metadata: str) -> list[str]:
    """The certificates (base64 DER) of the service provider's ``KeyDescriptor``s of use
    ``encryption``, in the metadata's order."""
    from lxml import etree

    root = etree.fromstring(sp_metadata.encode())
    found = root.xpath(
        "//md:KeyDescriptor[@use='encryption']//ds:X509Certificate/text()",
        namespaces={
            "md": "urn:oasis:names:tc:SAML:2.0:metadata",
            "ds": "http://www.w3.org/2000/09/xmldsig#",
        },
    )
    return ["".join(str(text).split()) for text in found]


def encrypted(
    xml: str,
    certificate: str,
    *,
    data: str = AES256_GCM,
    transport: str = RSA_OAEP_MGF1P,
    key_beside: bool = False,
) -> str:
    """The response ``xml`` with its assertion encrypted to ``certificate`` (base64 DER) as an
    IdP does, with python-xmlsec: an ``EncryptedAssertion`` whose ``EncryptedData`` uses
    ``data``, its AES key wrapped by ``transport`` in its ``KeyInfo`` (``key_beside``: in an
    ``EncryptedKey`` beside it, as Shibboleth places it)."""
    import xmlsec
    from lxml import etree

    constants = xmlsec.constants
    root = etree.fromstring(xml.encode())
    # The assertion encrypted as its own document, every namespace it uses declared on it
    # (``xsi`` of its attribute values is declared on the response), as an IdP encrypts it.
    found = root.find(f"{{{SAML_NS}}}Assertion")
    assertion = etree.fromstring(etree.tostring(found))
    template = xmlsec.template.encrypted_data_create(
        assertion, constants.TransformAes256Gcm, type=constants.TypeEncElement, ns="xenc"
    )
    xmlsec.template.encrypted_data_ensure_cipher_value(template)
    key_info = xmlsec.template.encrypted_data_ensure_key_info(template, ns="dsig")
    wrapped = xmlsec.template.add_encrypted_key(key_info, constants.TransformRsaOaep)
    xmlsec.template.encrypted_data_ensure_cipher_value(wrapped)
    template.find(f"{{{XENC}}}EncryptionMethod").set("Algorithm", data)
    wrapped.find(f"{{{XENC}}}EncryptionMethod").set("Algorithm", transport)
    pem = ("-----BEGIN CERTIFICATE-----\n" + certificate + "\n-----END CERTIFICATE-----\n").encode()
    manager = xmlsec.KeysManager()
    manager.add_key(xmlsec.Key.from_memory(pem, constants.KeyDataFormatCertPem))
    context = xmlsec.EncryptionContext(manager)
    bits = 128 if data in {AES128_GCM, AES128_CBC} else 256
    context.key = xmlsec.Key.generate(constants.KeyDataAes, bits, constants.KeyDataTypeSession)
    encrypted_data = context.encrypt_xml(template, assertion)
    wrapper = etree.Element(f"{{{SAML_NS}}}EncryptedAssertion")
    found.addprevious(wrapper)
    root.remove(found)
    wrapper.append(encrypted_data)
    if key_beside:
        moved = encrypted_data.find(f".//{{{XENC}}}EncryptedKey")
        moved.getparent().getparent().remove(moved.getparent())  # the KeyInfo
        wrapper.append(moved)
    return str(etree.tostring(root, encoding="unicode"))


def altered(xml: str) -> str:
    """``xml`` with a byte of its encrypted assertion's ciphertext changed."""
    from lxml import etree

    root = etree.fromstring(xml.encode())
    value = root.find(f".//{{{XENC}}}EncryptedData/{{{XENC}}}CipherData/{{{XENC}}}CipherValue")
    raw = bytearray(base64.b64decode("".join((value.text or "").split())))
    raw[len(raw) // 2] ^= 0x01
    value.text = base64.b64encode(bytes(raw)).decode()
    return str(etree.tostring(root, encoding="unicode"))
