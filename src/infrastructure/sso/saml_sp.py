"""firegate as a SAML 2.0 service provider, one per connection, with pysaml2 and libxmlsec1
(application/sso/ports.py ``SamlServiceProvider``; docs/reference/sso.md, "SAML sign-in";
docs/decisions/0386-saml-with-pysaml2.md, docs/decisions/0388-the-saml-service-provider.md,
docs/decisions/0399-saml-signatures-in-process.md).

Nothing of the protocol is written here: pysaml2 builds the signed AuthnRequest and checks
the answer (the signature by the IdP's certificates from the connection, verified in this
process by libxmlsec1 through python-xmlsec, infrastructure/sso/saml_signatures.py; the
audience, destination, ``InResponseTo``, the validity window with 2 minutes of skew). This
module gives it its configuration, turns its verdicts into ours, and adds the two checks it
lacks, on the assertion it parsed: an ``AudienceRestriction`` naming this service provider,
and the bearer confirmation's ``Recipient``, this connection's ACS (``_misaddressed``).

pysaml2 logs an ERROR line for every answer it refuses, and anyone can post one: its logger
is kept to CRITICAL, and each refusal is logged here once, a warning naming its code and
connection (docs/operations.md, "Logs").

pysaml2 takes keys and certificates as files: the service provider's are written once per
process into a private temporary folder (mode 0700, the key 0600).

pysaml2 is imported by a worker's first SAML request (a connection's metadata, a sign-in):
an optional dependency, which only the orgs that sign in with SAML use, and 0.6 s and
10 MiB of every worker's start if it were imported with this module
(docs/decisions/0453-one-import-in-the-master.md).
"""

from __future__ import annotations

import base64
import logging
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from application.sso.ports import LogoutMessage, SamlAssertion, SamlLogin, SamlOutgoing
from domain.errors import Unauthenticated, Unavailable
from domain.sso.connections import Connection, SamlIdp, SpAddresses
from domain.sso.logout import IdpLogoutRequest, SamlSubject
from infrastructure.sso.certificates import self_signed

SKEW = 120  # seconds of clock difference accepted with the IdP
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
ASSERTION_LIFETIME = timedelta(minutes=10)  # kept as spent when it names no end
log = logging.getLogger("firegate.sso")
WRONG_AUDIENCE = ("saml_wrong_audience", "The answer is meant for another service.")
WRONG_DESTINATION = ("saml_wrong_destination", "The answer is addressed elsewhere.")
CLIENTS_KEPT = 64  # connections' configured clients kept per process
# The certificate in the metadata is made from the key alone, so every instance and every
# restart publishes the same one (an IdP that pins it keeps working).
_CERT_NOT_BEFORE = datetime(2026, 1, 1, tzinfo=UTC)


def _refused(code: str, detail: str) -> Unauthenticated:
    return Unauthenticated(detail, code=code)


def not_configured() -> Unavailable:
    return Unavailable(
        "SAML sign-in is not configured on this service (SAML_SP_PRIVATE_KEY).",
        code="saml_not_configured",
    )


class Pysaml2ServiceProvider:
    def __init__(
        self,
        private_key_pem: Callable[[], str | None],
        public_url: str,
    ) -> None:
        """``private_key_pem``: the key, read when first signed with; each connection's own
        addresses are under ``public_url``."""
        self._key = private_key_pem
        self._public_url = public_url
        self._lock = threading.Lock()
        self._files: tuple[str, str, str] | None = None  # key file, cert file, cert (base64)
        # By the connection and its IdP's values: a test sign-in of a draft runs on the same
        # connection and version as the live one, with another IdP
        # (docs/decisions/0461-sso-drafts-and-apply.md); and by the connection's encryption
        # keys that decrypt now (a key's overlap ends without a new version).
        self._clients: OrderedDict[tuple[str, int, SamlIdp, tuple[str, ...]], Any] = OrderedDict()
        logging.getLogger("saml2").setLevel(logging.CRITICAL)  # see the module's docstring

    # -- the service provider's key and certificate

    def _key_files(self) -> tuple[str, str, str]:
        with self._lock:
            if self._files is None:
                pem = self._key()
                if not pem:
                    raise not_configured()
                self._files = _write_key_files(pem)
            return self._files

    def certificate(self) -> str:
        """The service provider's certificate, base64 DER (as metadata carries it)."""
        return self._key_files()[2]

    # -- pysaml2's client for one connection

    def _client(self, connection: Connection, decryption_keys: Sequence[str] = ()) -> Any:
        from saml2.client import Saml2Client  # noqa: PLC0415 - optional; see module
        from saml2.config import SPConfig  # noqa: PLC0415

        from infrastructure.sso.saml_signatures import in_process_security  # noqa: PLC0415

        key = (connection.id, connection.version, connection.saml, tuple(decryption_keys))
        with self._lock:
            found = self._clients.get(key)
            if found is not None:
                self._clients.move_to_end(key)
                return found
        key_file, cert_file, _ = self._key_files()
        config = SPConfig()
        config.load(
            _sp_config(
                connection, SpAddresses.of(self._public_url, connection.id), key_file, cert_file
            )
        )
        client = Saml2Client(config)
        client.sec = in_process_security(config, _decryption(connection, decryption_keys))
        with self._lock:
            self._clients[key] = client
            while len(self._clients) > CLIENTS_KEPT:
                self._clients.popitem(last=False)
        return client

    # -- the port

    def metadata(self, connection: Connection, encryption: Sequence[str] = ()) -> str:
        from saml2.metadata import entity_descriptor  # noqa: PLC0415

        from infrastructure.sso.saml_encryption import with_encryption_keys  # noqa: PLC0415

        descriptor = entity_descriptor(self._client(connection).config)
        return str(
            with_encryption_keys(descriptor, encryption, allow_cbc=connection.saml.allow_cbc)
        )

    def new_encryption_key(self) -> tuple[str, str]:
        from infrastructure.sso.saml_encryption import new_key  # noqa: PLC0415

        return new_key()

    def login(self, connection: Connection, relay_state: str) -> SamlLogin:
        from saml2 import BINDING_HTTP_REDIRECT  # noqa: PLC0415

        request_id, info = self._client(connection).prepare_for_authenticate(
            entityid=connection.saml.entity_id,
            relay_state=relay_state,
            binding=BINDING_HTTP_REDIRECT,
            sigalg=RSA_SHA256,
            digest_alg=SHA256,
        )
        return SamlLogin(url=dict(info["headers"])["Location"], request_id=request_id)

    def assertion(
        self,
        connection: Connection,
        response: str,
        request_id: str | None,
        decryption_keys: Sequence[str] = (),
    ) -> SamlAssertion:
        from saml2 import BINDING_HTTP_POST  # noqa: PLC0415

        from infrastructure.sso.saml_encryption import NOT_ENCRYPTED, plain_assertion  # noqa: PLC0415

        if connection.saml.require_encrypted and plain_assertion(response):
            raise _logged(connection, _refused(*NOT_ENCRYPTED), "firegate's check")
        outstanding = {request_id: "/"} if request_id else {}
        try:
            parsed = self._client(connection, decryption_keys).parse_authn_request_response(
                response, BINDING_HTTP_POST, outstanding
            )
        except Exception as exc:  # every refusal of pysaml2's, by its kind
            raise _logged(connection, _verdict(exc), type(exc).__name__) from None
        if parsed is None or parsed.assertion is None:
            raise _refused("saml_invalid", "The identity provider's answer holds no assertion.")
        misaddressed = _misaddressed(
            parsed.assertion, SpAddresses.of(self._public_url, connection.id)
        )
        if misaddressed is not None:
            raise _logged(connection, misaddressed, "firegate's check")
        return _with_logout_details(_assertion(parsed), parsed)

    # -- single logout (``SamlSingleLogout``; infrastructure/sso/saml_logout.py)

    def logout_request(self, connection: Connection, message: LogoutMessage) -> IdpLogoutRequest:
        from infrastructure.sso import saml_logout  # noqa: PLC0415

        return saml_logout.logout_request(self._client(connection), connection, message)

    def logout_response(
        self, connection: Connection, request: IdpLogoutRequest, binding: str, relay_state: str
    ) -> SamlOutgoing:
        from infrastructure.sso import saml_logout  # noqa: PLC0415

        client = self._client(connection)
        return saml_logout.logout_response(
            client, request, binding, relay_state, connection.saml.slo_url
        )

    def logout(
        self, connection: Connection, subject: SamlSubject, session_index: str
    ) -> SamlOutgoing:
        from infrastructure.sso import saml_logout  # noqa: PLC0415

        return saml_logout.logout(self._client(connection), connection, subject, session_index)

    def logout_answer(
        self, connection: Connection, message: LogoutMessage, request_id: str
    ) -> None:
        from infrastructure.sso import saml_logout  # noqa: PLC0415

        slo = SpAddresses.of(self._public_url, connection.id).slo_url
        saml_logout.logout_answer(self._client(connection), connection, message, request_id, slo)


def _with_logout_details(assertion: SamlAssertion, parsed: Any) -> SamlAssertion:
    """The assertion with what single logout names a session by: the NameID's qualifiers
    and the first authentication statement's SessionIndex (docs/reference/sso.md, "Single
    logout")."""
    name_id = parsed.name_id
    statements = parsed.assertion.authn_statement or []
    index = next((s.session_index for s in statements if s.session_index), "") or ""
    return replace(
        assertion,
        name_qualifier=(getattr(name_id, "name_qualifier", None) or "") if name_id else "",
        sp_name_qualifier=(getattr(name_id, "sp_name_qualifier", None) or "") if name_id else "",
        session_index=index.strip(),
    )


def _logged(connection: Connection, verdict: Unauthenticated, why: str) -> Unauthenticated:
    log.warning("SAML answer refused for connection %s: %s (%s)", connection.id, verdict.code, why)
    return verdict


def _misaddressed(assertion: Any, sp: SpAddresses) -> Unauthenticated | None:
    """What pysaml2 lets through, refused (docs/reference/sso.md, "The service provider"): an
    assertion with no ``AudienceRestriction`` (it takes none for any audience) or with one
    that does not name this service provider (it wants only one of them to: each must, SAML
    core 2.5.1.4); a subject confirmation whose ``Recipient`` is not this connection's ACS (it
    compares it only when told the conversation's details), or none of the bearer method."""
    from saml2.saml import SCM_BEARER  # noqa: PLC0415

    conditions = assertion.conditions
    restrictions = (conditions.audience_restriction if conditions is not None else None) or []
    audiences = [{(a.text or "").strip() for a in r.audience or []} for r in restrictions]
    if not audiences or any(sp.entity_id not in named for named in audiences):
        return _refused(*WRONG_AUDIENCE)
    confirmations = assertion.subject.subject_confirmation or []
    recipients = {getattr(c.subject_confirmation_data, "recipient", None) for c in confirmations}
    if recipients != {sp.acs_url} or not any(c.method == SCM_BEARER for c in confirmations):
        return _refused(*WRONG_DESTINATION)
    return None


def _verdict(exc: Exception) -> Unauthenticated:
    """pysaml2's refusal as ours: a code for each kind the tests name, ``saml_invalid`` else."""
    from saml2.response import (  # noqa: PLC0415
        IncorrectlySigned,
        StatusError,
        UnsolicitedResponse,
    )
    from saml2.sigver import SignatureError  # noqa: PLC0415
    from saml2.validate import ResponseLifetimeExceed, ToEarly  # noqa: PLC0415

    from infrastructure.sso.saml_encryption import verdict  # noqa: PLC0415
    from infrastructure.sso.saml_signatures import WeakSignatureAlgorithm  # noqa: PLC0415

    encryption = verdict(exc)  # an encrypted assertion refused
    if encryption is not None:
        return _refused(*encryption)
    text = str(exc).lower()
    verdicts: list[tuple[bool, str, str]] = [
        (
            isinstance(exc, WeakSignatureAlgorithm),
            "saml_weak_signature",
            "The answer is signed with SHA-1, which is no longer accepted: set the identity "
            "provider to sign with RSA-SHA256.",
        ),
        (
            isinstance(exc, UnsolicitedResponse),
            "saml_unsolicited",
            "This answer was not asked for by this browser (or the connection does not allow "
            "sign-ins started at the identity provider).",
        ),
        (
            isinstance(exc, IncorrectlySigned | SignatureError)
            or "signature" in text
            or "signed" in text,
            "saml_bad_signature",
            "The answer is not signed by the identity provider's certificate.",
        ),
        (
            isinstance(exc, ResponseLifetimeExceed | ToEarly)
            or "expired" in text
            or "condition not ok" in text,
            "saml_expired",
            "The answer is outside its validity window.",
        ),
        (
            isinstance(exc, StatusError),
            "saml_idp_refused",
            "The identity provider did not sign the person in.",
        ),
        ("audience" in text or "intended" in text, *WRONG_AUDIENCE),
        ("destination" in text or "recipient" in text, *WRONG_DESTINATION),
    ]
    for matches, code, detail in verdicts:
        if matches:
            return _refused(code, detail)
    return _refused("saml_invalid", "The identity provider's answer could not be accepted.")


def _assertion(parsed: Any) -> SamlAssertion:
    assertion = parsed.assertion
    attributes: dict[str, tuple[str, ...]] = {}
    for statement in assertion.attribute_statement or []:
        for attribute in statement.attribute or []:
            values = tuple(v.text or "" for v in attribute.attribute_value or [])
            for name in {attribute.name, attribute.friendly_name} - {None, ""}:
                attributes[name] = attributes.get(name, ()) + values
    name_id = parsed.name_id
    ends = getattr(assertion.conditions, "not_on_or_after", None) if assertion.conditions else None
    expires_at = (
        datetime.strptime(ends[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
        if ends
        else datetime.now(UTC) + ASSERTION_LIFETIME
    )
    return SamlAssertion(
        id=assertion.id,
        name_id=(name_id.text or "").strip() if name_id is not None else "",
        name_id_format=(name_id.format or "") if name_id is not None else "",
        attributes=attributes,
        expires_at=expires_at + timedelta(seconds=SKEW),
        in_response_to=parsed.in_response_to or None,
    )


def _decryption(connection: Connection, keys: Sequence[str]) -> Any:
    """What decrypts the connection's encrypted assertions: its ``keys`` (PEM), its rules."""
    from infrastructure.sso.saml_encryption import AssertionDecryption  # noqa: PLC0415

    return AssertionDecryption(tuple(keys), connection.saml.allow_cbc)


def _idp_metadata(connection: Connection) -> str:
    """The connection's IdP as metadata, for pysaml2 to trust: only what the admin configured."""
    from saml2 import BINDING_HTTP_REDIRECT, md, samlp, xmldsig  # noqa: PLC0415

    keys = [
        md.KeyDescriptor(
            use="signing",
            key_info=xmldsig.KeyInfo(
                x509_data=[xmldsig.X509Data(x509_certificate=xmldsig.X509Certificate(text=c.der))]
            ),
        )
        for c in connection.saml.certificates
    ]
    descriptor = md.EntityDescriptor(
        entity_id=connection.saml.entity_id,
        idpsso_descriptor=md.IDPSSODescriptor(
            protocol_support_enumeration=samlp.NAMESPACE,
            key_descriptor=keys,
            single_sign_on_service=[
                md.SingleSignOnService(
                    binding=BINDING_HTTP_REDIRECT, location=connection.saml.sso_url
                )
            ],
        ),
    )
    return str(descriptor)


def _sp_config(
    connection: Connection, sp: SpAddresses, key_file: str, cert_file: str
) -> dict[str, Any]:
    from saml2 import BINDING_HTTP_POST  # noqa: PLC0415
    from saml2.saml import NAMEID_FORMAT_UNSPECIFIED  # noqa: PLC0415

    return {
        "entityid": sp.entity_id,
        "key_file": key_file,
        "cert_file": cert_file,
        # A backend that needs no program, replaced at once by ours (in_process_security).
        "crypto_backend": "XMLSecurity",
        "accepted_time_diff": SKEW,
        "allow_unknown_attributes": True,
        "metadata": {"inline": [_idp_metadata(connection)]} if connection.saml.entity_id else {},
        "service": {
            "sp": {
                "endpoints": {
                    "assertion_consumer_service": [(sp.acs_url, BINDING_HTTP_POST)],
                    "single_logout_service": _single_logout_service(sp),
                },
                "authn_requests_signed": True,
                "want_response_signed": False,
                "want_assertions_signed": False,
                "want_assertions_or_response_signed": True,
                "allow_unsolicited": connection.saml.allow_idp_initiated,
                "name_id_format": [NAMEID_FORMAT_UNSPECIFIED],
                "signing_algorithm": RSA_SHA256,
                "digest_algorithm": SHA256,
            }
        },
    }


def _single_logout_service(sp: SpAddresses) -> list[tuple[str, str]]:
    """firegate's SLO URL in its metadata, for both bindings an IdP sends by."""
    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT  # noqa: PLC0415

    return [(sp.slo_url, BINDING_HTTP_REDIRECT), (sp.slo_url, BINDING_HTTP_POST)]


@lru_cache(maxsize=8)  # once per process and key: loading an RSA key checks it (~20 ms)
def _write_key_files(pem: str) -> tuple[str, str, str]:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise not_configured()
    cert = self_signed(key, "firegate SAML service provider", _CERT_NOT_BEFORE)
    folder = tempfile.mkdtemp(prefix="firegate-saml-")
    key_file, cert_file = os.path.join(folder, "sp.key"), os.path.join(folder, "sp.crt")
    descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
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
    return key_file, cert_file, der
