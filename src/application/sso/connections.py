"""An org's single sign-on connections: its owners create one (SAML or OpenID), configure the
identity provider and activate it; its admins see them, name them, map attributes, switch one
off or delete it (docs/reference/sso.md, "Connections"; docs/decisions/0387-sso-connections.md,
docs/decisions/0448-single-sign-on-is-the-owners.md).

Whoever calls these names the org as the path does (id or slug) and is a member who may
manage it (``member_view``): for anyone else the org does not exist (404) or the change is
not theirs to make (403).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import cast

from application.events.webhooks.ports import DocumentGetter
from application.orgs.orgs import OrgMembership, member_view
from application.orgs.ports import OrgRepository
from application.outbound import (
    HOST_NOT_RESOLVED,
    NOT_PUBLIC_ADDRESS,
    DocumentTooLarge,
    HostResolver,
    WebhookUnreachable,
    log_refusal,
    public_address_of,
    said,
)
from application.ports import Audit, AuditEvent, AuditLog, Clock, SecretBox
from application.signin.authentication import Actor
from application.sso.ports import Connections, SamlMetadata
from domain.errors import FieldError, InvalidInput
from domain.orgs.orgs import Membership, Org
from domain.orgs.roles import Granter, Permission, check_granted
from domain.sso.connections import (
    CERTIFICATES_MAX,
    CLIENT_ID_MAX,
    SECRET_MAX,
    Connection,
    ConnectionKind,
    ConnectionStatus,
    IdpCertificate,
    OidcIdp,
    SamlIdp,
    SpAddresses,
    checked_entity_id,
    checked_mapping,
    checked_name,
    checked_status,
    checked_text,
    checked_url,
    is_connection_id,
    mapped_roles,
    no_such_connection,
)
from domain.sso.logout import REDIRECT

SAML_FIELDS = (
    "metadata_xml",
    "metadata_url",
    "entity_id",
    "sso_url",
    "certificates",
    "allow_idp_initiated",
    *("allow_cbc", "require_encrypted"),  # encrypted assertions
    "slo_url",
)
OIDC_FIELDS = ("issuer", "client_id", "client_secret", "ssf_configuration_url")
EDITABLE = ("name", "status", "saml", "oidc", "mapping")
METADATA_MAX = 256 * 1024  # an IdP's metadata with a few certificates is a few KB


@dataclass(frozen=True)
class ConnectionRequest:
    """A connection route's request: the caller, the org as the path names it, the
    connection's id (None: the org's list, or a new one), what the body asks."""

    actor: Actor
    org: str
    connection_id: str | None = None
    changes: Mapping[str, object] = field(default_factory=dict)


def _url_refused(message: str, code: str) -> InvalidInput:
    return InvalidInput.field("saml.metadata_url", message, code)


def _unfetched(url: str, cause: str, code: str) -> InvalidInput:
    """The refusal of metadata that could not be fetched, naming the cause as the outbound
    client named it (application/outbound.py); logged."""
    log_refusal("an identity provider's metadata", url, cause)
    return _url_refused(f"No metadata came from it: {said(cause, limit=METADATA_MAX)}.", code)


def _with_encryption_rules(read: SamlIdp, idp: SamlIdp) -> SamlIdp:
    """The IdP ``read`` from metadata, keeping what the connection said of encryption."""
    return replace(read, allow_cbc=idp.allow_cbc, require_encrypted=idp.require_encrypted)


def _encryption_rules(
    idp: SamlIdp, given: dict[str, object], problems: list[FieldError]
) -> SamlIdp:
    """``idp`` with the encryption rules given (``allow_cbc``, ``require_encrypted``:
    docs/reference/sso.md, "Encrypted assertions")."""
    rules = {"allow_cbc": idp.allow_cbc, "require_encrypted": idp.require_encrypted}
    for name in rules:
        value = given.get(name)
        if value is None:
            continue
        if not isinstance(value, bool):
            problems.append(FieldError(f"saml.{name}", "true or false.", f"invalid_{name}"))
        else:
            rules[name] = value
    return replace(idp, allow_cbc=rules["allow_cbc"], require_encrypted=rules["require_encrypted"])


def _slo(idp: SamlIdp, given: object, problems: list[FieldError]) -> SamlIdp:
    """``idp`` with the single logout address given field by field (HTTP-Redirect; "" for
    none); None leaves it as it is (docs/reference/sso.md, "Single logout")."""
    if given is None:
        return idp
    if given == "":
        return replace(idp, slo_url="", slo_binding="")
    url = checked_url(str(given), "saml.slo_url", problems)
    return replace(idp, slo_url=url, slo_binding=REDIRECT)


@dataclass(frozen=True, kw_only=True, slots=True)
class ConnectionEditor:
    """An admin's change to a connection, checked and applied (``configured``): what
    configuring a connection uses besides storage. Its IdP is fetched from at the address
    an admin gives as a webhook is sent (docs/security.md, "Webhooks"): only from a public
    address (any, in the ``local`` profile), from the address checked, without following a
    redirect, within the webhooks' deadline. A SAML IdP's metadata is fetched once, when
    given; an OpenID issuer's address is checked when given, and fetched from at each
    sign-in (docs/reference/sso.md).

    ``metadata`` reads an IdP's metadata; ``box`` seals an OpenID client secret;
    ``getter`` fetches from the IdP, at an address ``resolver`` checks is public."""

    metadata: SamlMetadata
    box: SecretBox
    clock: Clock
    getter: DocumentGetter
    resolver: HostResolver
    local: bool

    def _downloaded(self, url: object) -> tuple[str, str]:
        """The metadata at ``url`` (https; http only to this machine), fetched once now, and
        the URL: 422 ``metadata_unreachable``, ``metadata_private_address``,
        ``metadata_too_large`` or ``invalid_metadata`` (not UTF-8 text)."""
        problems: list[FieldError] = []
        text = checked_url(url if isinstance(url, str) else "", "saml.metadata_url", problems)
        if problems:
            raise InvalidInput.of(problems)
        address = None
        if not self.local:
            address, refused = public_address_of(text, self.resolver)
            if refused == HOST_NOT_RESOLVED:
                raise _unfetched(text, refused, "metadata_unreachable")
            if refused is not None:
                raise _unfetched(text, refused, "metadata_private_address")
        try:
            body = self.getter.get(text, address, METADATA_MAX)
        except DocumentTooLarge as exc:
            raise _unfetched(text, exc.cause, "metadata_too_large") from None
        except WebhookUnreachable as exc:
            raise _unfetched(text, exc.cause, "metadata_unreachable") from None
        try:
            return body.decode("utf-8"), text
        except UnicodeDecodeError:
            raise _url_refused("Not SAML metadata: not UTF-8 text.", "invalid_metadata") from None

    def _read_metadata(self, given: dict[str, object]) -> SamlIdp | None:
        """The IdP ``metadata_xml`` or ``metadata_url`` describes (not both: 422
        ``metadata_url_or_xml``); None when neither is given."""
        xml, url = given.get("metadata_xml"), given.get("metadata_url")
        if xml is not None and url is not None:
            raise InvalidInput.field(
                "saml", "Either metadata_xml or metadata_url.", "metadata_url_or_xml"
            )
        if url is not None:
            xml, source = self._downloaded(url)
            try:
                read = self.metadata.idp(xml, self.clock.now())
            except InvalidInput as exc:
                raise _url_refused(exc.detail, "invalid_metadata") from None
            return replace(read, metadata_url=source)
        if xml is not None:
            if not isinstance(xml, str) or not xml.strip() or len(xml) > METADATA_MAX:
                raise InvalidInput.field(
                    "saml.metadata_xml",
                    "The identity provider's metadata (XML).",
                    "invalid_metadata",
                )
            return self.metadata.idp(xml, self.clock.now())
        return None

    def _saml(self, idp: SamlIdp, given: dict[str, object]) -> SamlIdp:
        """``idp`` with what was given: metadata first, pasted or fetched from its URL (it
        sets entity ID, address and certificates, and the URL it came from, "" for pasted
        XML), then each field given beside it."""
        problems: list[FieldError] = []
        read = self._read_metadata(given)
        if read is not None:
            idp = replace(
                _with_encryption_rules(read, idp), allow_idp_initiated=idp.allow_idp_initiated
            )
        entity_id = given.get("entity_id")
        if entity_id is not None:
            idp = replace(idp, entity_id=checked_entity_id(str(entity_id), problems))
        sso_url = given.get("sso_url")
        if sso_url is not None:
            idp = replace(idp, sso_url=checked_url(str(sso_url), "saml.sso_url", problems))
        certificates = given.get("certificates")
        if certificates is not None:
            if (
                not isinstance(certificates, list)
                or len(certificates) > CERTIFICATES_MAX
                or not all(isinstance(c, str) for c in certificates)
            ):
                problems.append(
                    FieldError(
                        "saml.certificates",
                        f"A list of at most {CERTIFICATES_MAX} certificates (PEM).",
                        "invalid_certificate",
                    )
                )
            else:
                read_certificates: tuple[IdpCertificate, ...] = tuple(
                    self.metadata.certificate(text, self.clock.now())
                    for text in cast(list[str], certificates)
                )
                idp = replace(idp, certificates=read_certificates)
        idp = _slo(idp, given.get("slo_url"), problems)
        allow = given.get("allow_idp_initiated")
        if allow is not None:
            if not isinstance(allow, bool):
                problems.append(
                    FieldError(
                        "saml.allow_idp_initiated", "true or false.", "invalid_allow_idp_initiated"
                    )
                )
            else:
                idp = replace(idp, allow_idp_initiated=allow)
        idp = _encryption_rules(idp, given, problems)
        if problems:
            raise InvalidInput.of(problems)
        return idp

    def _public_issuer(self, issuer: str) -> bool:
        """Whether the issuer's host may be fetched from: outside the local profile, each of
        its addresses is public. A host without an address yet passes (an IdP set up before
        its DNS): every fetch checks it again (docs/reference/sso.md, "An OpenID identity
        provider")."""
        if self.local:
            return True
        _, refused = public_address_of(issuer, self.resolver)
        return refused != NOT_PUBLIC_ADDRESS

    def _oidc(self, idp: OidcIdp, given: dict[str, object]) -> OidcIdp:
        problems: list[FieldError] = []
        values = {k: v for k, v in given.items() if v is not None}
        if not all(isinstance(v, str) for v in values.values()):
            raise InvalidInput.field("oidc", "Each field is a string.", "invalid_oidc")
        texts = cast(dict[str, str], values)
        if "issuer" in texts:
            issuer = checked_url(texts["issuer"], "oidc.issuer", problems).rstrip("/")
            if not problems and not self._public_issuer(issuer):
                problems.append(
                    FieldError(
                        "oidc.issuer",
                        "Its host is not a public address.",
                        "issuer_private_address",
                    )
                )
            idp = replace(idp, issuer=issuer)
        if "client_id" in texts:
            idp = replace(
                idp,
                client_id=checked_text(
                    texts["client_id"], "oidc.client_id", CLIENT_ID_MAX, problems
                ),
            )
        if "client_secret" in texts:
            secret = checked_text(
                texts["client_secret"], "oidc.client_secret", SECRET_MAX, problems
            )
            if not problems:
                idp = replace(idp, sealed_secret=self.box.seal(secret))
        if "ssf_configuration_url" in texts:  # "" for none (docs/reference/ssf-receiver.md)
            ssf = texts["ssf_configuration_url"]
            if ssf:
                checked_url(ssf, "oidc.ssf_configuration_url", problems)
            idp = replace(idp, ssf_configuration_url=ssf)
        if problems:
            raise InvalidInput.of(problems)
        return idp

    def configured(
        self, connection: Connection, org: Org, changes: Mapping[str, object], by: Membership
    ) -> Connection:
        """``connection`` with ``changes`` (a subset of ``EDITABLE``) checked and applied, its
        next version; the status last, so a connection configured and activated at once is
        checked complete (409 ``connection_incomplete``). A mapping is set with the rights of
        ``by`` (the admin, or the owner whose setup link it came through), who is then its
        setter: each role it maps holds no permission ``by`` lacks (403
        ``permission_escalation``; docs/decisions/0511-a-connection-maps-with-its-mappers-
        rights.md)."""
        unknown = sorted(set(changes) - set(EDITABLE))
        if unknown:
            raise InvalidInput.of(
                [
                    FieldError(name, "This field cannot be changed.", "unknown_field")
                    for name in unknown
                ]
            )
        fields: dict[str, object] = {}
        if "name" in changes:
            fields["name"] = checked_name(changes["name"])
        for section, kind in (("saml", ConnectionKind.SAML), ("oidc", ConnectionKind.OIDC)):
            if section in changes and connection.kind is not kind:
                raise InvalidInput.field(
                    section, f"This is a {connection.kind.value} connection.", "wrong_kind"
                )
        if "saml" in changes:
            fields["saml"] = self._saml(connection.saml, _section(changes, "saml", SAML_FIELDS))
        if "oidc" in changes:
            fields["oidc"] = self._oidc(connection.oidc, _section(changes, "oidc", OIDC_FIELDS))
        if "mapping" in changes:
            given = changes["mapping"]
            if not isinstance(given, Mapping):
                raise InvalidInput.field("mapping", "An object.", "invalid_mapping")
            mapping = checked_mapping(given, org.named_roles)
            granter = Granter.person(by.user_id)
            check_granted(granter, by.roles, mapped_roles(mapping), org.definitions)
            fields["mapping"], fields["mapped_by"] = mapping, by.user_id
        if "status" in changes:
            fields["status"] = checked_status(changes["status"])
        return connection.changed(self.clock.now(), **fields)


def admin_view(
    cmd: ConnectionRequest, orgs: OrgRepository, permission: Permission = Permission.MANAGE_ORG
) -> OrgMembership:
    """The org and the caller's membership of it, for a caller who may ``permission``."""
    return member_view(cmd.actor, cmd.org, orgs=orgs, permission=permission)


def admin_org(
    cmd: ConnectionRequest, orgs: OrgRepository, permission: Permission = Permission.MANAGE_ORG
) -> Org:
    return admin_view(cmd, orgs, permission).org


IDP_SECTIONS = ("saml", "oidc")


def permission_for(changes: Mapping[str, object]) -> Permission:
    """What a change of a connection needs: its identity provider, or its activation, decide
    who is signed in as the org's members, and are its owners' (``MANAGE_SSO``); the name,
    the mapping (never to ``owner``) and switching it off are its admins' too
    (docs/decisions/0448-single-sign-on-is-the-owners.md)."""
    activates = changes.get("status") == ConnectionStatus.ACTIVE.value
    if activates or any(section in changes for section in IDP_SECTIONS):
        return Permission.MANAGE_SSO
    return Permission.MANAGE_ORG


def connection_of(org: Org, cmd: ConnectionRequest, connections: Connections) -> Connection:
    """The org's connection the path names: 404 ``connection_not_found`` for another org's."""
    found = (
        connections.get(cmd.connection_id)
        if cmd.connection_id and is_connection_id(cmd.connection_id)
        else None
    )
    if found is None or found.org_id != org.id:
        raise no_such_connection()
    return found


def _section(
    changes: Mapping[str, object], name: str, allowed: tuple[str, ...]
) -> dict[str, object]:
    value = changes[name]
    if not isinstance(value, Mapping):
        raise InvalidInput.field(name, "An object.", "invalid_" + name)
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise InvalidInput.of(
            [
                FieldError(f"{name}.{key}", "Not a field of this section.", "unknown_field")
                for key in unknown
            ]
        )
    return dict(value)


def _status_event(before: Connection, after: Connection) -> Audit | None:
    if after.active and not before.active:
        return Audit.ORG_SSO_CONNECTION_ACTIVATED
    if before.active and not after.active:
        return Audit.ORG_SSO_CONNECTION_DEACTIVATED
    return None


def _settings_changed(before: Connection, after: Connection) -> bool:
    """Whether what signs people in through the connection, or its name, changed."""
    return (before.name, before.saml, before.oidc, before.mapping) != (
        after.name,
        after.saml,
        after.oidc,
        after.mapping,
    )


def _event(audit_type: Audit, by: str, connection: Connection) -> AuditEvent:
    # The connection's id is the event's reason: the org's log says which one.
    return AuditEvent(audit_type, user_id=by, org_id=connection.org_id, reason=connection.id)


def added(
    connection: Connection, by: str, *, connections: Connections, audit: AuditLog
) -> Connection:
    """A new connection stored with ``org.sso_connection_created`` (and ``activated``) in
    the same commit."""
    events = [_event(Audit.ORG_SSO_CONNECTION_CREATED, by, connection)]
    if connection.active:
        events.append(_event(Audit.ORG_SSO_CONNECTION_ACTIVATED, by, connection))
    staged = audit.stage(events)
    connections.add(connection, staged)
    audit.committed(staged)
    return connection


def stored_changes(
    after: Connection,
    before: Connection,
    by: str,
    *,
    connections: Connections,
    audit: AuditLog,
    activated: Callable[[], None],
) -> Connection:
    """``after`` stored over ``before`` (compare-and-set: 409 ``connection_changed`` when
    another change came first), with what changed recorded as ``by``'s in the same commit:
    ``org.sso_connection_updated`` when its name, IdP or mapping did, and its activation or
    deactivation; ``activated`` follows an activation."""
    events = (
        [_event(Audit.ORG_SSO_CONNECTION_UPDATED, by, after)]
        if _settings_changed(before, after)
        else []
    )
    status_event = _status_event(before, after)
    if status_event is not None:
        events.append(_event(status_event, by, after))
    staged = audit.stage(events)
    stored = connections.replace(after, staged)
    audit.committed(staged)
    if status_event is Audit.ORG_SSO_CONNECTION_ACTIVATED:
        activated()
    return stored


@dataclass(frozen=True, kw_only=True, slots=True)
class SsoConnections:
    """An org's single sign-on connections, as its owners and admins manage them.

    ``orgs``: whose admins manage the connections; the connections' own addresses
    are under ``public_url``; ``activated``: what follows a connection stored active
    (the process's memory of whether any org has single sign-on learns of it at once,
    ``SsoPresence.activated``)."""

    orgs: OrgRepository
    connections: Connections
    editor: ConnectionEditor
    clock: Clock
    audit: AuditLog
    public_url: str
    activated: Callable[[], None]

    def create(self, cmd: ConnectionRequest) -> Connection:
        """A new ``draft`` connection of kind ``kind`` named ``name`` (owners only),
        configured with whatever else the request gives (and activated, if it asks and it is
        complete): ``org.sso_connection_created`` (and ``activated``) in the same commit; 409
        ``too_many_connections`` past ``CONNECTIONS_MAX``."""
        seen = admin_view(cmd, self.orgs, Permission.MANAGE_SSO)
        org = seen.org
        changes = dict(cmd.changes)
        kind, name = changes.pop("kind", ""), changes.pop("name", "")
        new = Connection.create(
            org.id, str(kind), cast(str, name), cmd.actor.user_id, self.clock.now()
        )
        connection = (
            replace(self.editor.configured(new, org, changes, seen.membership), version=1)
            if changes
            else new
        )
        stored = added(
            connection, cmd.actor.user_id, connections=self.connections, audit=self.audit
        )
        if stored.active:
            self.activated()
        return stored

    def list(self, cmd: ConnectionRequest) -> list[Connection]:
        return self.connections.list_for(admin_org(cmd, self.orgs).id)

    def get(self, cmd: ConnectionRequest) -> Connection:
        return connection_of(admin_org(cmd, self.orgs), cmd, self.connections)

    def update(self, cmd: ConnectionRequest) -> Connection:
        """The connection changed as asked (its IdP or activation by owners only,
        ``permission_for``): 409 ``connection_incomplete`` when it would be active without
        what it needs, ``connection_changed`` when another change came first (read it
        again); ``org.sso_connection_activated``/``deactivated`` with the change."""
        seen = admin_view(cmd, self.orgs, permission_for(cmd.changes))
        before = connection_of(seen.org, cmd, self.connections)
        return stored_changes(
            self.editor.configured(before, seen.org, cmd.changes, seen.membership),
            before,
            cmd.actor.user_id,
            connections=self.connections,
            audit=self.audit,
            activated=self.activated,
        )

    def delete(self, cmd: ConnectionRequest) -> None:
        """Remove the connection: nobody signs in with it from then on (an active one's
        removal is recorded as ``org.sso_connection_deactivated``)."""
        org = admin_org(cmd, self.orgs)
        found = connection_of(org, cmd, self.connections)
        removed = self.connections.delete(org.id, found.id)
        if removed is None:
            raise no_such_connection()
        if removed.status is ConnectionStatus.ACTIVE:
            self.audit.record(
                _event(Audit.ORG_SSO_CONNECTION_DEACTIVATED, cmd.actor.user_id, removed)
            )

    def addresses(self, connection_id: str) -> SpAddresses:
        """A connection's own addresses (its ACS, its metadata, its OpenID redirect), by its
        id."""
        return SpAddresses.of(self.public_url, connection_id)
