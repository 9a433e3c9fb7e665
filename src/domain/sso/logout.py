"""SAML single logout's values (docs/reference/sso.md, "Single logout";
docs/decisions/0934-saml-single-logout.md): the SAML sign-in a firegate session began with,
which an identity provider's ``LogoutRequest`` names by its NameID (and SessionIndex), and
the checks every ``LogoutRequest`` passes before anything is ended.

The message itself is read and signed by pysaml2 and libxmlsec1
(infrastructure/sso/saml_logout.py); what is decided here is what its fields must say.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.errors import Conflict, DomainError, Unauthenticated, Unreadable

REDIRECT, POST = "redirect", "post"  # the SAML bindings of a logout message (HTTP-*)
UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
LOGOUT_SKEW = timedelta(seconds=120)  # as a sign-in's answer: 2 minutes of clock difference
# A LogoutRequest is taken at most this long after its IssueInstant when it names no
# NotOnOrAfter of its own (and is kept as spent until then).
LOGOUT_REQUEST_LIFETIME = timedelta(minutes=5)
SESSION_INDEX_MAX = 256
NAME_ID_MAX = 1024


@dataclass(frozen=True)
class SamlSubject:
    """A SAML NameID as SAML compares two of them (core 2.2.2, 3.7.3.2): its value, Format
    (an absent one is ``unspecified``), NameQualifier and SPNameQualifier (absent: "")."""

    value: str
    format: str = UNSPECIFIED
    name_qualifier: str = ""
    sp_name_qualifier: str = ""

    @staticmethod
    def of(value: str, format: str | None, nq: str | None, spnq: str | None) -> SamlSubject:
        return SamlSubject(value.strip(), format or UNSPECIFIED, nq or "", spnq or "")

    def key(self, connection_id: str) -> str:
        """What this subject is found by, at this connection: a hash of the connection and
        every part SAML compares (a NameID may hold any character; none is kept in the
        clear)."""
        parts = (connection_id, self.format, self.name_qualifier, self.sp_name_qualifier)
        text = "\n".join((*parts, self.value))
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class SamlSessionOrigin:
    """How a firegate session began when it began through a SAML connection: the
    connection, the account, the subject the assertion named and its ``SessionIndex`` (""
    for none), kept until the session's own end."""

    session_id: str
    user_id: str
    connection_id: str
    subject: SamlSubject
    session_index: str
    expires_at: datetime

    @property
    def subject_key(self) -> str:
        return self.subject.key(self.connection_id)

    def ended_by(self, subject_key: str, session_indexes: tuple[str, ...]) -> bool:
        """Does a ``LogoutRequest`` for ``subject_key`` (and these SessionIndex values, none:
        every session of the subject) end this session?"""
        if not hmac.compare_digest(self.subject_key, subject_key):
            return False
        return not session_indexes or self.session_index in session_indexes


@dataclass(frozen=True)
class IdpLogoutRequest:
    """An identity provider's ``LogoutRequest`` as read, its signature checked: its ID,
    who sent it and where to, when, the subject and SessionIndex values it names."""

    id: str
    issuer: str
    destination: str
    issue_instant: datetime
    not_on_or_after: datetime | None
    subject: SamlSubject
    session_indexes: tuple[str, ...]

    def kept_until(self) -> datetime:
        """Until when its ID is kept as spent: past it, the request is refused as expired
        anyway."""
        last = self.not_on_or_after or self.issue_instant + LOGOUT_REQUEST_LIFETIME
        return last + LOGOUT_SKEW

    def check(self, *, idp_entity_id: str, slo_url: str, now: datetime) -> None:
        """Refused (``logout_refused``) unless it comes from the connection's IdP, is
        addressed to this SP's SLO URL and is within its validity window."""
        if not idp_entity_id or not hmac.compare_digest(self.issuer, idp_entity_id):
            raise logout_refused(
                "saml_logout_wrong_issuer",
                "The logout request is not from this connection's identity provider.",
            )
        if self.destination != slo_url:
            raise logout_refused(
                "saml_logout_wrong_destination",
                "The logout request is addressed to another service's logout address.",
            )
        too_old = self.issue_instant + LOGOUT_REQUEST_LIFETIME + LOGOUT_SKEW < now
        too_new = self.issue_instant - LOGOUT_SKEW > now
        ended = self.not_on_or_after is not None and self.not_on_or_after + LOGOUT_SKEW <= now
        if too_old or too_new or ended:
            raise logout_refused(
                "saml_logout_expired", "The logout request is outside its validity window."
            )
        if not self.subject.value or len(self.subject.value) > NAME_ID_MAX:
            raise logout_refused("saml_logout_invalid", "The logout request names nobody.")
        if any(not i or len(i) > SESSION_INDEX_MAX for i in self.session_indexes):
            raise logout_refused("saml_logout_invalid", "The logout request's SessionIndex.")


# The refusals of a logout message (docs/reference/errors.md): a signature's are 401, as a
# sign-in's; a replay is 409; any other 400.
_SIGNATURE_CODES = frozenset(
    {"saml_logout_unsigned", "saml_logout_bad_signature", "saml_logout_weak_signature"}
)


def logout_refused(code: str, detail: str) -> DomainError:
    """A logout message refused with ``code``: nothing was ended."""
    if code in _SIGNATURE_CODES:
        return Unauthenticated(detail, code=code)
    if code == "saml_logout_replayed":
        return Conflict(detail, code=code)
    return Unreadable(detail, code=code)


def replayed() -> DomainError:
    return logout_refused("saml_logout_replayed", "This logout request was used already.")
