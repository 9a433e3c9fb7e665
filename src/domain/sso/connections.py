"""An organization's single sign-on connections: the company's own identity provider, SAML 2.0
or OpenID Connect, that its people sign in with (docs/reference/sso.md;
docs/decisions/0387-sso-connections.md).

A connection starts as a ``draft``, is configured (the identity provider's values, the mapping
of its attributes), and becomes ``active`` only when complete; ``inactive`` keeps it
configured but unused. Its kind never changes. An active connection's identity provider is
changed through a setup link in a ``draft`` beside it, which a test sign-in tries and Apply
swaps in at once (docs/decisions/0461-sso-drafts-and-apply.md).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from domain.accounts.attributes import PROPERTIES_MAX, is_attribute_name
from domain.errors import Conflict, FieldError, InvalidInput, NotFound
from domain.orgs.orgs import BUILT_IN_ROLES, OrgRole
from domain.text import has_control

CONNECTIONS_MAX = 5  # per org: a company has one IdP, sometimes a second while it moves
NAME_MAX = 60
URL_MAX = 2048
ENTITY_ID_MAX = 1024
CLIENT_ID_MAX = 512
SECRET_MAX = 4096
CERTIFICATES_MAX = 4  # an IdP rolling its key publishes the old and the new
ATTRIBUTE_MAX = 256
GROUP_MAX = 256
ROLE_MAPPINGS_MAX = 100
# An attribute name: a SAML attribute's Name (often a URI) or an OpenID claim.
_ATTRIBUTE = re.compile(r"[A-Za-z0-9_:./#-]{1,256}")
_ID = re.compile(r"[a-z0-9]{20}")
SETUP_LINK_LIFETIME = timedelta(days=7)
EXPIRY_NOTICE = timedelta(days=30)  # an IdP certificate this close to its end: admins are told
# How long a SAML connection's previous encryption key still decrypts once a new one is made.
ENCRYPTION_KEY_OVERLAP = timedelta(days=30)


class ConnectionKind(StrEnum):
    SAML = "saml"
    OIDC = "oidc"


class ConnectionStatus(StrEnum):
    DRAFT = "draft"  # being set up: signs nobody in
    ACTIVE = "active"  # signs the org's people in
    INACTIVE = "inactive"  # configured, switched off


@dataclass(frozen=True)
class IdpCertificate:
    """One of the SAML IdP's signing certificates: ``der`` base64 (as metadata carries it)
    and when it expires (shown to admins, who are warned before)."""

    der: str
    not_after: datetime

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the certificate: which one was warned of, whatever metadata brings it."""
        return hashlib.sha256(self.der.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class SamlIdp:
    """The SAML identity provider as configured: from its metadata or field by field."""

    entity_id: str = ""
    sso_url: str = ""  # its SingleSignOnService for the HTTP-Redirect binding
    certificates: tuple[IdpCertificate, ...] = ()
    allow_idp_initiated: bool = False
    metadata_url: str = ""  # where its metadata was fetched from, once; "": not from a URL
    # Encrypted assertions (docs/reference/sso.md, "Encrypted assertions"): AES-CBC accepted
    # beside AES-GCM; a plain assertion refused.
    allow_cbc: bool = False
    require_encrypted: bool = False

    # Its SingleLogoutService (docs/reference/sso.md, "Single logout"): "" for none, then
    # signing out of firegate tells it nothing; the binding, "redirect" or "post".
    slo_url: str = ""
    slo_binding: str = ""


@dataclass(frozen=True)
class SpEncryptionKey:
    """One of a SAML connection's own encryption keys, which its IdP encrypts assertions to
    (docs/decisions/0930-a-saml-connections-encryption-key.md): the RSA private key sealed
    (``SecretBox``), never stored in the clear, and its certificate (base64 DER, in the
    connection's metadata). ``decrypts_until``: None for the current key; a previous one
    still decrypts until then."""

    sealed_key: str
    certificate: str
    created_at: datetime
    decrypts_until: datetime | None = None


@dataclass(frozen=True)
class OidcIdp:
    """The OpenID provider: found by discovery at ``issuer``; the secret sealed
    (``SecretBox``), never stored in the clear."""

    issuer: str = ""
    client_id: str = ""
    sealed_secret: str = ""
    # Its IdP's SSF transmitter (docs/reference/ssf-receiver.md): "" for none; what a unit
    # that receives its security events reads.
    ssf_configuration_url: str = ""


@dataclass(frozen=True)
class AttributeMapping:
    """Where the IdP's answer says who the person is. ``email`` empty: the SAML NameID or
    the OpenID ``email`` claim; ``roles``: an IdP group → the org roles it grants;
    ``attributes``: a profile attribute → the IdP's attribute or claim that gives it
    (docs/decisions/0488-sso-writes-profile-attributes-as-org-admin.md)."""

    email: str = ""
    given_name: str = ""
    family_name: str = ""
    groups: str = ""
    roles: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SetupLink:
    """A connection's setup link (docs/reference/sso.md, "Setup links"): only the hash of its
    token is kept; one per connection, so a new link ends the one before."""

    token_hash: str
    created_by: str  # the admin who made it: what is done through it is recorded as theirs
    created_at: datetime
    expires_at: datetime

    @staticmethod
    def new(token_hash: str, by: str, now: datetime) -> SetupLink:
        return SetupLink(token_hash, by, now, now + SETUP_LINK_LIFETIME)

    def opens(self, hashed: str, now: datetime) -> bool:
        return hmac.compare_digest(self.token_hash, hashed) and now < self.expires_at


@dataclass(frozen=True)
class ConnectionDraft:
    """What a setup link for an active connection saved: its identity provider and mapping
    as they will be once applied, while the live ones keep signing people in."""

    saml: SamlIdp
    oidc: OidcIdp
    mapping: AttributeMapping
    saved_by: str  # the owner who made the link: what is done through it is theirs
    saved_at: datetime
    mapped_by: str | None = None  # who set ``mapping`` (``Connection.mapped_by``)


def incomplete(what: str, problems: list[FieldError]) -> Conflict:
    """409 ``connection_incomplete``: ``what``, then the fields missing."""
    return Conflict(
        f"{what}: " + ", ".join(p.field for p in problems) + ".", code="connection_incomplete"
    )


def draft_gone() -> Conflict:
    return Conflict(
        "The connection has no draft: it was applied or discarded meanwhile.", code="draft_gone"
    )


@dataclass(frozen=True)
class Connection:
    id: str
    org_id: str
    kind: ConnectionKind
    name: str
    status: ConnectionStatus
    created_at: datetime
    updated_at: datetime
    created_by: str
    saml: SamlIdp = SamlIdp()
    oidc: OidcIdp = OidcIdp()
    mapping: AttributeMapping = AttributeMapping()
    version: int = 1  # each change takes the next: a change read from another is refused
    setup: SetupLink | None = None  # the customer's IT admin sets it up through this link
    # The fingerprints of the IdP certificates the org's admins were warned of (once each).
    expiry_warned: tuple[str, ...] = ()
    draft: ConnectionDraft | None = None  # an active connection's next IdP, not applied yet
    # Who last set its mapping, whose rights the roles it maps are given with at each
    # sign-in (None: no one known, a plain member's rights;
    # docs/decisions/0511-a-connection-maps-with-its-mappers-rights.md)
    mapped_by: str | None = None
    # A SAML connection's own encryption keys, the current one first (``SpEncryptionKey``).
    encryption_keys: tuple[SpEncryptionKey, ...] = ()

    @staticmethod
    def create(org_id: str, kind: str, name: str, created_by: str, now: datetime) -> Connection:
        problems: list[FieldError] = []
        if kind not in {k.value for k in ConnectionKind}:
            problems.append(FieldError("kind", "One of saml, oidc.", "invalid_kind"))
        checked = _name(name, problems)
        if problems:
            raise InvalidInput.of(problems)
        return Connection(
            id=new_connection_id(),
            org_id=org_id,
            kind=ConnectionKind(kind),
            name=checked,
            status=ConnectionStatus.DRAFT,
            created_at=now,
            updated_at=now,
            created_by=created_by,
            mapped_by=created_by,
        )

    @property
    def active(self) -> bool:
        return self.status is ConnectionStatus.ACTIVE

    def missing(self) -> list[FieldError]:
        """What the connection lacks to sign anyone in: empty when it is complete."""
        problems: list[FieldError] = []
        if self.kind is ConnectionKind.SAML:
            for name, value in (("entity_id", self.saml.entity_id), ("sso_url", self.saml.sso_url)):
                if not value:
                    problems.append(FieldError(f"saml.{name}", "Required to activate.", "missing"))
            if not self.saml.certificates:
                problems.append(FieldError("saml.certificates", "Required to activate.", "missing"))
        else:
            for name, value in (
                ("issuer", self.oidc.issuer),
                ("client_id", self.oidc.client_id),
                ("client_secret", self.oidc.sealed_secret),
            ):
                if not value:
                    problems.append(FieldError(f"oidc.{name}", "Required to activate.", "missing"))
        return problems

    def changed(self, now: datetime, **fields: object) -> Connection:
        """The connection with ``fields`` set, its next version; an active one stays
        complete (409 ``connection_incomplete``)."""
        after = replace(self, **fields, updated_at=now, version=self.version + 1)  # type: ignore[arg-type]
        if after.active and (problems := after.missing()):
            raise incomplete("The connection lacks what it needs to sign people in", problems)
        if after.active and not self.active:
            after = replace(after, setup=None)  # activated: its setup link is spent
        return after

    def with_setup_link(self, link: SetupLink) -> Connection:
        """The connection with a new setup link (the one before ends), its next version; for
        an active connection the link edits a draft (``with_draft``)."""
        return replace(self, setup=link, updated_at=link.created_at, version=self.version + 1)

    def drafted(self) -> Connection:
        """The connection as its draft would make it (itself without one): what a test
        sign-in through its setup link runs on and the setup page shows."""
        if self.draft is None:
            return self
        draft = self.draft
        return replace(
            self,
            saml=draft.saml,
            oidc=draft.oidc,
            mapping=draft.mapping,
            mapped_by=draft.mapped_by,
        )

    def with_draft(self, edited: Connection, by: str, now: datetime) -> Connection:
        """The connection with ``edited``'s identity provider and mapping as its draft, the
        live ones unchanged; its next version."""
        draft = ConnectionDraft(
            edited.saml, edited.oidc, edited.mapping, by, now, mapped_by=edited.mapped_by
        )
        return replace(self, draft=draft, updated_at=now, version=self.version + 1)

    def applied(self, now: datetime) -> Connection:
        """The draft swapped in, its next version (the setup link stays open until it ends:
        what went wrong may be drafted again): 409 ``draft_gone`` without one,
        ``connection_incomplete`` for one that could not sign anyone in."""
        if self.draft is None:
            raise draft_gone()
        drafted = self.drafted()
        if problems := drafted.missing():
            raise incomplete("The draft lacks what it needs to sign people in", problems)
        return replace(drafted, draft=None, updated_at=now, version=self.version + 1)

    def without_draft(self, now: datetime) -> Connection:
        """The draft dropped, the live values as they are; 409 ``draft_gone`` without one."""
        if self.draft is None:
            raise draft_gone()
        return replace(self, draft=None, updated_at=now, version=self.version + 1)

    def expiring(self, now: datetime) -> list[IdpCertificate]:
        """The certificates of an active SAML connection within ``EXPIRY_NOTICE`` of their
        end (or past it) that its admins were not warned of yet."""
        if not self.active or self.kind is not ConnectionKind.SAML:
            return []
        return [
            c
            for c in self.saml.certificates
            if c.not_after - EXPIRY_NOTICE <= now and c.fingerprint not in self.expiry_warned
        ]

    def warned_of(self, certificates: Iterable[IdpCertificate]) -> Connection:
        """The connection remembering that its admins were warned of ``certificates``, its
        next version (the warning is stored under compare-and-set, once)."""
        warned = tuple(dict.fromkeys((*self.expiry_warned, *(c.fingerprint for c in certificates))))
        return replace(self, expiry_warned=warned, version=self.version + 1)

    def decrypting_keys(self, now: datetime) -> tuple[SpEncryptionKey, ...]:
        """The encryption keys that decrypt at ``now``, the current one first: the previous
        ones until their overlap ends."""
        return tuple(
            k for k in self.encryption_keys if k.decrypts_until is None or now < k.decrypts_until
        )

    def with_encryption_key(
        self, key: SpEncryptionKey, now: datetime, overlap: timedelta = ENCRYPTION_KEY_OVERLAP
    ) -> Connection:
        """The connection with ``key`` as its current encryption key, its next version: the
        keys before it still decrypt for ``overlap`` at most (0: no more), those whose
        overlap has ended are dropped."""
        ends = now + max(overlap, timedelta(0))
        previous = tuple(
            replace(
                k, decrypts_until=ends if k.decrypts_until is None else min(k.decrypts_until, ends)
            )
            for k in self.encryption_keys
        )
        kept = tuple(k for k in previous if k.decrypts_until is not None and now < k.decrypts_until)
        current = replace(key, decrypts_until=None)
        return replace(self, encryption_keys=(current, *kept), version=self.version + 1)

    def without_setup_link(self, now: datetime) -> Connection:
        return replace(self, setup=None, updated_at=now, version=self.version + 1)

    def set_up_through(self, hashed: str, now: datetime) -> bool:
        """Does this link's token (hashed) still open the connection's setup?"""
        return self.setup is not None and self.setup.opens(hashed, now)


def new_connection_id() -> str:
    """20 of a-z0-9: a path segment of the connection's addresses (``/sso/{id}/...``)."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(20))


def is_connection_id(value: str) -> bool:
    return bool(_ID.fullmatch(value))


def no_such_connection() -> NotFound:
    return NotFound("No such connection.", code="connection_not_found")


def idp_address_refused() -> Conflict:
    """A fetch from an OpenID connection's IdP that firegate does not make: an address that
    is not public or not https (outside the local profile), or a redirect. Its admins must
    correct the connection: trying again changes nothing."""
    return Conflict(
        "The organization's identity provider is at an address firegate does not call (not"
        " public, not https, or a redirect): its administrators must correct the connection.",
        code="idp_address_refused",
    )


def _name(value: object, problems: list[FieldError]) -> str:
    name = " ".join(value.split()) if isinstance(value, str) else ""
    if not name or len(name) > NAME_MAX or has_control(name):
        problems.append(FieldError("name", f"1 to {NAME_MAX} characters.", "invalid_name"))
    return name


def checked_name(value: object) -> str:
    problems: list[FieldError] = []
    name = _name(value, problems)
    if problems:
        raise InvalidInput.of(problems)
    return name


def checked_status(value: object) -> ConnectionStatus:
    if value not in {s.value for s in ConnectionStatus}:
        raise InvalidInput.field("status", "One of draft, active, inactive.", "invalid_status")
    return ConnectionStatus(str(value))


def checked_url(value: str, field_name: str, problems: list[FieldError]) -> str:
    """An identity provider's address: https, or http to this machine (an IdP run beside
    firegate, as the tests do)."""
    parts = urlsplit(value)
    host = (parts.hostname or "").lower()
    if len(value) > URL_MAX or has_control(value) or not host or parts.fragment:
        problems.append(FieldError(field_name, "Not an address.", "invalid_url"))
    elif parts.scheme != "https" and not (
        parts.scheme == "http" and host in {"localhost", "127.0.0.1", "::1"}
    ):
        problems.append(FieldError(field_name, "The address must be https.", "https_required"))
    return value


def checked_entity_id(value: str, problems: list[FieldError]) -> str:
    if not value or len(value) > ENTITY_ID_MAX or has_control(value) or value != value.strip():
        problems.append(
            FieldError("saml.entity_id", f"1 to {ENTITY_ID_MAX} characters.", "invalid_entity_id")
        )
    return value


def checked_text(value: str, field_name: str, limit: int, problems: list[FieldError]) -> str:
    if not value.strip() or len(value) > limit or has_control(value):
        problems.append(
            FieldError(
                field_name,
                f"1 to {limit} characters.",
                "invalid_" + field_name.rsplit(".", maxsplit=1)[-1],
            )
        )
    return value


def checked_mapping(given: Mapping[str, object], custom_roles: Iterable[str]) -> AttributeMapping:
    """An attribute mapping as given (``email``, ``given_name``, ``family_name``, ``groups``:
    attribute names, "" for the default; ``roles``: group → org roles). A group may grant
    ``admin``, ``member`` and the org's own roles, never ``owner``: who owns the org is
    decided in firegate, not by a group at the IdP (docs/decisions/0387-sso-connections.md)."""
    problems: list[FieldError] = []
    names: dict[str, str] = {}
    for key in ("email", "given_name", "family_name", "groups"):
        value = given.get(key, "")
        if not isinstance(value, str) or (value and not _ATTRIBUTE.fullmatch(value)):
            problems.append(
                FieldError(
                    f"mapping.{key}",
                    f"An attribute name: 1 to {ATTRIBUTE_MAX} of A-Z, a-z, 0-9 and '_:./#-'.",
                    "invalid_attribute",
                )
            )
            value = ""
        names[key] = value
    unknown = sorted(set(given) - {*names, "roles", "attributes"})
    for key in unknown:
        problems.append(FieldError(f"mapping.{key}", "Not a mapping field.", "unknown_field"))
    allowed = (BUILT_IN_ROLES - {OrgRole.OWNER.value}) | set(custom_roles)
    roles: dict[str, tuple[str, ...]] = {}
    raw = given.get("roles", {})
    if not isinstance(raw, Mapping) or len(raw) > ROLE_MAPPINGS_MAX:
        problems.append(
            FieldError(
                "mapping.roles",
                f"At most {ROLE_MAPPINGS_MAX} groups, each with a list of roles.",
                "invalid_roles",
            )
        )
        raw = {}
    for group, granted in raw.items():
        if not isinstance(group, str) or not group or len(group) > GROUP_MAX or has_control(group):
            problems.append(
                FieldError(
                    "mapping.roles", f"A group: 1 to {GROUP_MAX} characters.", "invalid_group"
                )
            )
            continue
        if (
            not isinstance(granted, list | tuple)
            or not granted
            or not all(isinstance(r, str) and r in allowed for r in granted)
        ):
            problems.append(
                FieldError(
                    "mapping.roles",
                    f"Group {group!r}: a list of the org's roles (not owner).",
                    "unknown_role",
                )
            )
            continue
        roles[group] = tuple(dict.fromkeys(granted))
    attributes = _mapped_attributes(given.get("attributes", {}), problems)
    if problems:
        raise InvalidInput.of(problems)
    return AttributeMapping(roles=roles, attributes=attributes, **names)


def mapped_roles(mapping: AttributeMapping) -> tuple[str, ...]:
    """Every role the mapping gives some group, each once."""
    return tuple(dict.fromkeys(role for roles in mapping.roles.values() for role in roles))


def _mapped_attributes(raw: object, problems: list[FieldError]) -> dict[str, str]:
    """The profile attributes a mapping fills: an attribute's name → the IdP's attribute
    (or claim) name. Whether the profile schema defines each, and lets ``org_admin`` write
    it, is read at each sign-in: the schema may change after the mapping is saved."""
    if not isinstance(raw, Mapping) or len(raw) > PROPERTIES_MAX:
        message = f"At most {PROPERTIES_MAX} profile attributes, each with an attribute name."
        problems.append(FieldError("mapping.attributes", message, "invalid_mapping"))
        return {}
    found: dict[str, str] = {}
    for name, source in raw.items():
        where = f"mapping.attributes.{name}"
        if not is_attribute_name(name):
            message = "A profile attribute's name: a letter, then letters, digits or '_'."
            problems.append(FieldError(where, message, "invalid_attribute"))
        elif not isinstance(source, str) or not _ATTRIBUTE.fullmatch(source):
            message = f"An attribute name: 1 to {ATTRIBUTE_MAX} of A-Z, a-z, 0-9 and '_:./#-'."
            problems.append(FieldError(where, message, "invalid_attribute"))
        else:
            found[name] = source
    return found


@dataclass(frozen=True)
class SpAddresses:
    """firegate's side of a connection, which the customer's IT admin enters at their IdP."""

    entity_id: str  # SAML: the SP's entity ID, which is also where its metadata is
    acs_url: str  # SAML: where the IdP posts its answers (HTTP-POST binding)
    redirect_uri: str  # OpenID: where the provider returns
    slo_url: str = ""  # SAML: single logout, HTTP-Redirect and HTTP-POST bindings

    @staticmethod
    def of(public_url: str, connection_id: str) -> SpAddresses:
        base = f"{public_url.rstrip('/')}/sso/{connection_id}"
        return SpAddresses(
            entity_id=f"{base}/saml/metadata",
            acs_url=f"{base}/saml/acs",
            redirect_uri=f"{base}/oidc/callback",
            slo_url=f"{base}/saml/slo",
        )
