"""A SAML identity provider's metadata and certificates, read with pysaml2 and cryptography
(application/sso/ports.py ``SamlMetadata``; docs/decisions/0386-saml-with-pysaml2.md).

pysaml2 is imported on first use: an optional dependency, which only the SAML connections'
setup and sign-ins need, and 0.6 s of every worker's start if it were imported with this
module (docs/decisions/0453-one-import-in-the-master.md).
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import datetime
from typing import Any

from cryptography import x509

from domain.errors import InvalidInput
from domain.sso.connections import (
    CERTIFICATES_MAX,
    ENTITY_ID_MAX,
    URL_MAX,
    IdpCertificate,
    SamlIdp,
)
from domain.sso.logout import POST as SLO_POST
from domain.sso.logout import REDIRECT as SLO_REDIRECT
from domain.text import has_control

REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
_PEM = re.compile(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.S)


def _bad_metadata(why: str) -> InvalidInput:
    return InvalidInput.field("saml.metadata_xml", why, "invalid_metadata")


def _bad_certificate(why: str) -> InvalidInput:
    return InvalidInput.field("saml.certificates", why, "invalid_certificate")


class Pysaml2Metadata:
    def idp(self, xml: str, now: datetime) -> SamlIdp:
        from saml2.attribute_converter import ac_factory
        from saml2.mdstore import InMemoryMetaData

        store = InMemoryMetaData(ac_factory(), metadata=xml)
        try:
            store.load()
        except Exception as exc:  # pysaml2 raises many kinds for XML it cannot read
            raise _bad_metadata(f"Not SAML metadata: {type(exc).__name__}.") from None
        idps = [
            eid
            for eid in list(store.keys())
            if store.service(eid, "idpsso_descriptor", "single_sign_on_service")
        ]
        if len(idps) != 1:
            raise _bad_metadata("The metadata must describe exactly one identity provider.")
        entity_id = idps[0]
        if len(entity_id) > ENTITY_ID_MAX or has_control(entity_id):
            raise _bad_metadata("Its entity ID is too long.")
        services = store.service(entity_id, "idpsso_descriptor", "single_sign_on_service") or {}
        redirect = [s.get("location", "") for s in services.get(REDIRECT, [])]
        if not redirect or not redirect[0] or len(redirect[0]) > URL_MAX:
            raise _bad_metadata("It has no SingleSignOnService for the HTTP-Redirect binding.")
        texts = list(dict.fromkeys(der for _, der in store.certs(entity_id, "idpsso", "signing")))
        if not texts:
            raise _bad_metadata("It has no signing certificate.")
        if len(texts) > CERTIFICATES_MAX:
            raise _bad_metadata(f"It has more than {CERTIFICATES_MAX} signing certificates.")
        try:
            certificates = tuple(self.certificate(text, now) for text in texts)
        except InvalidInput as exc:
            raise _bad_metadata(exc.detail) from None
        slo_url, slo_binding = _single_logout(store, entity_id)
        return SamlIdp(
            entity_id=entity_id,
            sso_url=redirect[0],
            certificates=certificates,
            slo_url=slo_url,
            slo_binding=slo_binding,
        )

    def certificate(self, text: str, now: datetime) -> IdpCertificate:
        found = _PEM.search(text)
        body = "".join((found.group(1) if found else text).split())
        try:
            der = base64.b64decode(body, validate=True)
            cert = x509.load_der_x509_certificate(der)
        except (binascii.Error, ValueError):
            raise _bad_certificate("Not a certificate (PEM or base64 DER).") from None
        not_after = cert.not_valid_after_utc
        if not_after <= now:
            raise _bad_certificate(f"The certificate expired on {not_after:%Y-%m-%d}.")
        return IdpCertificate(der=base64.b64encode(der).decode(), not_after=not_after)


def _single_logout(store: Any, entity_id: str) -> tuple[str, str]:
    """The IdP's SingleLogoutService, HTTP-Redirect rather than HTTP-POST, and its binding
    (``domain.sso.logout``); ("", "") for none, or one at an address too long to keep
    (docs/reference/sso.md, "Single logout")."""
    services = store.service(entity_id, "idpsso_descriptor", "single_logout_service") or {}
    for binding, name in ((REDIRECT, SLO_REDIRECT), (POST, SLO_POST)):
        found = [s.get("location", "") for s in services.get(binding, [])]
        if found and found[0] and len(found[0]) <= URL_MAX and not has_control(found[0]):
            return found[0], name
    return "", ""
