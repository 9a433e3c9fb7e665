"""SAML single logout's messages, read, checked and made with pysaml2 and libxmlsec1
(application/sso/ports.py ``SamlSingleLogout``; docs/reference/sso.md, "Single logout";
docs/decisions/0934-saml-single-logout.md).

pysaml2 builds the ``LogoutRequest`` and ``LogoutResponse`` firegate sends, signs them (the
HTTP-Redirect binding's query signature with the service provider's key; an enveloped XML
signature, by libxmlsec1, for HTTP-POST) and reads the IdP's. Two checks are firegate's:

- a message by HTTP-Redirect is signed over the query's raw bytes as they came (SAML
  bindings 3.4.4.1): pysaml2 re-encodes the values before it checks, which an IdP that
  percent-encodes otherwise fails; here the raw octets are checked against each of the
  connection's certificates with ``cryptography``, SHA-256 or stronger only;
- a message by HTTP-POST must be signed (pysaml2 as a service provider takes an unsigned
  one): its enveloped signature is checked by pysaml2 on libxmlsec1, as an assertion's is
  (infrastructure/sso/saml_signatures.py).

pysaml2 is imported on first use, as by infrastructure/sso/saml_sp.py.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from application.sso.ports import LogoutMessage, SamlOutgoing
from domain.errors import DomainError
from domain.sso.connections import Connection, SpAddresses
from domain.sso.logout import (
    POST,
    REDIRECT,
    IdpLogoutRequest,
    SamlSubject,
    logout_refused,
)

MESSAGE_MAX = 64 * 1024  # a logout message is ~2-5 KB, signed; inflated no larger than this
_XMLDSIG_MORE = "http://www.w3.org/2001/04/xmldsig-more#"
_STRONG_SIGALGS: Mapping[str, tuple[str, hashes.HashAlgorithm]] = {
    _XMLDSIG_MORE + "rsa-sha256": ("rsa", hashes.SHA256()),
    _XMLDSIG_MORE + "rsa-sha384": ("rsa", hashes.SHA384()),
    _XMLDSIG_MORE + "rsa-sha512": ("rsa", hashes.SHA512()),
    _XMLDSIG_MORE + "ecdsa-sha256": ("ec", hashes.SHA256()),
    _XMLDSIG_MORE + "ecdsa-sha384": ("ec", hashes.SHA384()),
    _XMLDSIG_MORE + "ecdsa-sha512": ("ec", hashes.SHA512()),
}
RSA_SHA256 = _XMLDSIG_MORE + "rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"


def _invalid(detail: str) -> DomainError:
    return logout_refused("saml_logout_invalid", detail)


# -- reading what the IdP sends


def _raw_query(query: str) -> dict[str, str]:
    """The query's parameters by name, each value as it came (still percent-encoded); a name
    given twice is refused (which of them was signed?)."""
    found: dict[str, str] = {}
    for part in query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        name = unquote_plus(name)
        if name in found:
            raise _invalid(f"The query gives {name} twice.")
        found[name] = value
    return found


def _check_query_signature(connection: Connection, query: Mapping[str, str], kind: str) -> None:
    """The HTTP-Redirect binding's signature (SAML bindings 3.4.4.1): ``SigAlg`` and
    ``Signature`` over ``{kind}=…&RelayState=…&SigAlg=…`` as the query carried them, by
    one of the connection's certificates."""
    if "Signature" not in query or "SigAlg" not in query:
        raise logout_refused("saml_logout_unsigned", "The logout message is not signed.")
    algorithm = unquote_plus(query["SigAlg"])
    if algorithm not in _STRONG_SIGALGS:
        raise logout_refused(
            "saml_logout_weak_signature",
            "The logout message is signed with an algorithm no longer accepted (SHA-1): set the"
            " identity provider to sign with RSA-SHA256.",
        )
    kind_of_key, digest = _STRONG_SIGALGS[algorithm]
    signed = f"{kind}={query[kind]}"
    if "RelayState" in query:
        signed += f"&RelayState={query['RelayState']}"
    signed += f"&SigAlg={query['SigAlg']}"
    try:
        signature = base64.b64decode(unquote_plus(query["Signature"]), validate=True)
    except (binascii.Error, ValueError):
        raise logout_refused(
            "saml_logout_bad_signature", "The logout message's signature is not base64."
        ) from None
    for certificate in connection.saml.certificates:
        key = x509.load_der_x509_certificate(base64.b64decode(certificate.der)).public_key()
        try:
            if kind_of_key == "rsa" and isinstance(key, rsa.RSAPublicKey):
                key.verify(signature, signed.encode("ascii"), padding.PKCS1v15(), digest)
                return
            if kind_of_key == "ec" and isinstance(key, ec.EllipticCurvePublicKey):
                key.verify(signature, signed.encode("ascii"), ec.ECDSA(digest))
                return
        except InvalidSignature:
            continue
    raise logout_refused(
        "saml_logout_bad_signature",
        "The logout message is not signed by the identity provider's certificate.",
    )


def _inflated(value: str) -> str:
    """An HTTP-Redirect message: base64 of its XML, DEFLATE-compressed (a bounded inflate)."""
    try:
        packed = base64.b64decode(unquote_plus(value), validate=True)
        inflater = zlib.decompressobj(-15)
        xml = inflater.decompress(packed, MESSAGE_MAX)
    except (binascii.Error, ValueError, zlib.error):
        raise _invalid("The logout message is not DEFLATE and base64.") from None
    if inflater.unconsumed_tail:
        raise _invalid("The logout message is too large.")
    return xml.decode("utf-8", errors="replace")


def _posted(value: str) -> str:
    if len(value) > MESSAGE_MAX * 2:
        raise _invalid("The logout message is too large.")
    try:
        return base64.b64decode(value, validate=True).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        raise _invalid("The logout message is not base64.") from None


def _message_of(
    client: Any, connection: Connection, message: LogoutMessage, kind: str, msgtype: str
) -> Any:
    """The message (``kind``: SAMLRequest or SAMLResponse) as pysaml2 reads it, from the
    connection's IdP and signed by it: by HTTP-Redirect, the query's signature (checked by
    the caller first); by HTTP-POST, its own enveloped signature, required, checked with the
    IdP's certificates only once its ``Issuer`` is the IdP."""
    from saml2 import samlp  # noqa: PLC0415

    from infrastructure.sso.saml_signatures import WeakSignatureAlgorithm  # noqa: PLC0415

    read = getattr(samlp, f"{msgtype}_from_string")
    if message.binding == REDIRECT:
        query = _raw_query(message.query)
        if kind not in query:
            raise _invalid(f"The query has no {kind}.")
        xml = _inflated(query[kind])
        try:
            parsed = read(xml)
        except Exception:  # pysaml2 raises many kinds for XML it cannot read
            parsed = None
        if parsed is None:
            raise _invalid("The logout message cannot be read.")
        return _from_its_idp(parsed, connection)
    xml = _posted(message.posted)
    try:
        parsed = read(xml)
    except Exception:  # as above
        parsed = None
    if parsed is None:
        raise _invalid("The logout message cannot be read.")
    if parsed.signature is None:
        raise logout_refused("saml_logout_unsigned", "The logout message is not signed.")
    _from_its_idp(parsed, connection)
    try:
        return client.sec.correctly_signed_message(xml, msgtype, must=True, origdoc=xml)
    except WeakSignatureAlgorithm:
        raise logout_refused(
            "saml_logout_weak_signature",
            "The logout message is signed with an algorithm no longer accepted (SHA-1): set the"
            " identity provider to sign with RSA-SHA256.",
        ) from None
    except Exception:  # every other refusal of its signature (SignatureError and others)
        raise logout_refused(
            "saml_logout_bad_signature",
            "The logout message is not signed by the identity provider's certificate.",
        ) from None


def _instant(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(value[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        raise _invalid("The logout message's times cannot be read.") from None


def _issuer_of(parsed: Any) -> str:
    return (parsed.issuer.text or "").strip() if parsed.issuer is not None else ""


def _from_its_idp(parsed: Any, connection: Connection) -> Any:
    if not connection.saml.entity_id or _issuer_of(parsed) != connection.saml.entity_id:
        raise logout_refused(
            "saml_logout_wrong_issuer",
            "The logout message is not from this connection's identity provider.",
        )
    return parsed


def logout_request(client: Any, connection: Connection, message: LogoutMessage) -> IdpLogoutRequest:
    """``SamlSingleLogout.logout_request``."""
    if message.binding == REDIRECT:
        _check_query_signature(connection, _raw_query(message.query), "SAMLRequest")
    parsed = _message_of(client, connection, message, "SAMLRequest", "logout_request")
    name_id = parsed.name_id
    if name_id is None:  # an EncryptedID or a BaseID: not what firegate's sign-ins keep
        raise _invalid("The logout request names nobody by a NameID.")
    issued = _instant(parsed.issue_instant)
    if not parsed.id or issued is None:
        raise _invalid("The logout request has no ID or IssueInstant.")
    return IdpLogoutRequest(
        id=parsed.id,
        issuer=_issuer_of(parsed),
        destination=parsed.destination or "",
        issue_instant=issued,
        not_on_or_after=_instant(parsed.not_on_or_after),
        subject=SamlSubject.of(
            name_id.text or "", name_id.format, name_id.name_qualifier, name_id.sp_name_qualifier
        ),
        session_indexes=tuple((i.text or "").strip() for i in parsed.session_index or []),
    )


def logout_answer(
    client: Any, connection: Connection, message: LogoutMessage, request_id: str, slo_url: str
) -> None:
    """``SamlSingleLogout.logout_answer``."""
    from saml2.samlp import STATUS_SUCCESS  # noqa: PLC0415

    if message.binding == REDIRECT:
        _check_query_signature(connection, _raw_query(message.query), "SAMLResponse")
    parsed = _message_of(client, connection, message, "SAMLResponse", "logout_response")
    if parsed.destination and parsed.destination != slo_url:
        raise logout_refused(
            "saml_logout_wrong_destination",
            "The logout answer is addressed to another service's logout address.",
        )
    if not request_id or parsed.in_response_to != request_id:
        raise logout_refused(
            "saml_logout_unsolicited", "This logout answer is not to a request of this browser."
        )
    status = parsed.status.status_code.value if parsed.status is not None else ""
    if status != STATUS_SUCCESS:
        raise logout_refused(
            "saml_logout_idp_refused", "The identity provider did not sign the person out."
        )


# -- what firegate sends


def _outgoing(
    client: Any, xml: str, binding: str, destination: str, relay_state: str, *, response: bool
) -> SamlOutgoing:
    """The message for the browser to carry: a redirect whose query pysaml2 signs, or the
    form fields of an XML already signed."""
    if binding == POST:
        fields = {"SAMLResponse" if response else "SAMLRequest": _b64(xml)}
        if relay_state:
            fields["RelayState"] = relay_state
        return SamlOutgoing(url=destination, fields=fields)
    from saml2 import BINDING_HTTP_REDIRECT  # noqa: PLC0415

    info = client.apply_binding(
        BINDING_HTTP_REDIRECT,
        xml,
        destination,
        relay_state,
        response=response,
        sign=True,
        sigalg=RSA_SHA256,
    )
    return SamlOutgoing(url=dict(info["headers"])["Location"], fields={})


def _b64(xml: str) -> str:
    return base64.b64encode(xml.encode()).decode()


def logout_response(
    client: Any, request: IdpLogoutRequest, binding: str, relay_state: str, destination: str
) -> SamlOutgoing:
    """``SamlSingleLogout.logout_response``: Success, to ``destination`` (the IdP's SLO)."""
    from saml2 import samlp  # noqa: PLC0415
    from saml2.s_utils import success_status_factory  # noqa: PLC0415
    from saml2.saml import Issuer  # noqa: PLC0415

    post = binding == POST
    # pysaml2's own response to a request it parsed: its ID, our issuer, InResponseTo
    answer = samlp.LogoutResponse(
        id=_new_id(),
        version="2.0",
        issue_instant=_now(),
        destination=destination,
        in_response_to=request.id,
        issuer=Issuer(text=client.config.entityid),
        status=success_status_factory(),
    )
    xml = (
        client.sign(answer, answer.id, sign_alg=RSA_SHA256, digest_alg=SHA256)
        if post
        else str(answer)
    )
    return _outgoing(client, xml, binding, destination, relay_state, response=True)


def logout(
    client: Any, connection: Connection, subject: SamlSubject, session_index: str
) -> SamlOutgoing:
    """``SamlSingleLogout.logout``: to the IdP's SLO URL in its binding."""
    from saml2.saml import NameID  # noqa: PLC0415

    post = connection.saml.slo_binding == POST
    name_id = NameID(
        text=subject.value,
        format=subject.format,
        name_qualifier=subject.name_qualifier or None,
        sp_name_qualifier=subject.sp_name_qualifier or None,
    )
    request_id, request = client.create_logout_request(
        connection.saml.slo_url,
        connection.saml.entity_id,
        name_id=name_id,
        session_indexes=[session_index] if session_index else None,
        sign=post,
        sign_alg=RSA_SHA256,
        digest_alg=SHA256,
    )
    xml = request if isinstance(request, str) else str(request)
    made = _outgoing(
        client,
        xml,
        connection.saml.slo_binding or REDIRECT,
        connection.saml.slo_url,
        "",
        response=False,
    )
    return SamlOutgoing(url=made.url, fields=made.fields, id=request_id)


def _new_id() -> str:
    from saml2.s_utils import sid  # noqa: PLC0415

    made: str = sid()
    return made


def _now() -> str:
    from saml2.time_util import instant  # noqa: PLC0415

    made: str = instant()
    return made


def slo_url(public_url: str, connection: Connection) -> str:
    return SpAddresses.of(public_url, connection.id).slo_url
