"""Single sign-on connections in ``sso_connections/{id}`` and each org's list of them in
``sso_orgs/{org_id}`` (application/sso/ports.py, docs/reference/sso.md).

Adding one is a commit that creates the connection and rewrites the org's list, guarded by
the list's update time as read (``optimistic.py``): of thirty admins adding at once, each
round has one winner and the others read again, so the org never holds more than
``CONNECTIONS_MAX``. A change is guarded the same way by the connection's own update time
and version.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from application.ports import NO_WRITES, StagedWrites
from domain.errors import Conflict
from domain.sso.connections import (
    CONNECTIONS_MAX,
    AttributeMapping,
    Connection,
    ConnectionDraft,
    ConnectionKind,
    ConnectionStatus,
    IdpCertificate,
    OidcIdp,
    SamlIdp,
    SetupLink,
    SpEncryptionKey,
    no_such_connection,
)
from infrastructure.firestore.client import BOUNDED, read_document, run_query
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.events.security_events import write_staged
from infrastructure.firestore.optimistic import unchanged_since, until_unchanged
from infrastructure.firestore.reads import Stale
from infrastructure.firestore.sdk import exceptions, firestore

CONNECTIONS, SSO_ORGS = "sso_connections", "sso_orgs"
MAX_BY_ISSUER = 20  # the connections of one issuer read at most (a few orgs may share one)
MAX_ISSUER_QUERY_CHARS = 1000
if TYPE_CHECKING:
    Snapshot = firestore.DocumentSnapshot[firestore.DocumentReference]


def _idp_to_doc(saml: SamlIdp, oidc: OidcIdp, mapping: AttributeMapping) -> dict[str, Any]:
    return {
        "saml": {
            "entity_id": saml.entity_id,
            "sso_url": saml.sso_url,
            "certificates": [{"der": c.der, "not_after": c.not_after} for c in saml.certificates],
            "allow_idp_initiated": saml.allow_idp_initiated,
            "metadata_url": saml.metadata_url,
            "allow_cbc": saml.allow_cbc,
            "require_encrypted": saml.require_encrypted,
            "slo_url": saml.slo_url,
            "slo_binding": saml.slo_binding,
        },
        "oidc": {
            "issuer": oidc.issuer,
            "client_id": oidc.client_id,
            "client_secret": oidc.sealed_secret,
            "ssf_configuration_url": oidc.ssf_configuration_url,
        },
        "mapping": {
            "email": mapping.email,
            "given_name": mapping.given_name,
            "family_name": mapping.family_name,
            "groups": mapping.groups,
            # Group names may hold any character, so not as field names: as pairs.
            "roles": [{"group": g, "roles": list(r)} for g, r in mapping.roles.items()],
            "attributes": dict(mapping.attributes),  # an attribute's name is a field name
        },
    }


def connection_to_doc(connection: Connection) -> dict[str, Any]:
    draft = connection.draft
    return {
        "org_id": connection.org_id,
        "kind": connection.kind.value,
        "name": connection.name,
        "status": connection.status.value,
        "created_at": connection.created_at,
        "updated_at": connection.updated_at,
        "created_by": connection.created_by,
        "mapped_by": connection.mapped_by,
        "version": connection.version,
        **_idp_to_doc(connection.saml, connection.oidc, connection.mapping),
        "setup": _setup_to_doc(connection.setup),
        "expiry_warned": list(connection.expiry_warned),
        "encryption_keys": _encryption_keys_to_doc(connection.encryption_keys),
        # The next IdP, beside the live one (docs/decisions/0461-sso-drafts-and-apply.md).
        "draft": None
        if draft is None
        else {
            **_idp_to_doc(draft.saml, draft.oidc, draft.mapping),
            "saved_by": draft.saved_by,
            "saved_at": draft.saved_at,
            "mapped_by": draft.mapped_by,
        },
    }


def _setup_to_doc(link: SetupLink | None) -> dict[str, Any] | None:
    if link is None:
        return None
    return {
        "token_hash": link.token_hash,
        "created_by": link.created_by,
        "created_at": link.created_at,
        "expires_at": link.expires_at,
    }


def _setup_from_doc(data: dict[str, Any] | None) -> SetupLink | None:
    if not data:
        return None
    return SetupLink(data["token_hash"], data["created_by"], data["created_at"], data["expires_at"])


def _idp_from_doc(data: dict[str, Any]) -> tuple[SamlIdp, OidcIdp, AttributeMapping]:
    saml, oidc, mapping = data.get("saml", {}), data.get("oidc", {}), data.get("mapping", {})
    return (
        SamlIdp(
            entity_id=saml.get("entity_id", ""),
            sso_url=saml.get("sso_url", ""),
            certificates=tuple(
                IdpCertificate(c["der"], c["not_after"]) for c in saml.get("certificates", [])
            ),
            allow_idp_initiated=bool(saml.get("allow_idp_initiated", False)),
            metadata_url=saml.get("metadata_url", ""),
            allow_cbc=bool(saml.get("allow_cbc", False)),
            require_encrypted=bool(saml.get("require_encrypted", False)),
            slo_url=saml.get("slo_url", ""),
            slo_binding=saml.get("slo_binding", ""),
        ),
        OidcIdp(
            issuer=oidc.get("issuer", ""),
            client_id=oidc.get("client_id", ""),
            sealed_secret=oidc.get("client_secret", ""),
            ssf_configuration_url=oidc.get("ssf_configuration_url", ""),
        ),
        AttributeMapping(
            email=mapping.get("email", ""),
            given_name=mapping.get("given_name", ""),
            family_name=mapping.get("family_name", ""),
            groups=mapping.get("groups", ""),
            roles={p["group"]: tuple(p["roles"]) for p in mapping.get("roles", [])},
            attributes=dict(mapping.get("attributes", {})),
        ),
    )


def _draft_from_doc(data: dict[str, Any] | None) -> ConnectionDraft | None:
    if not data:
        return None
    saml, oidc, mapping = _idp_from_doc(data)
    # a draft stored before its mapping's setter was: the owner whose link saved it
    mapped_by = data["mapped_by"] if "mapped_by" in data else data["saved_by"]
    return ConnectionDraft(
        saml, oidc, mapping, data["saved_by"], data["saved_at"], mapped_by=mapped_by
    )


def connection_from_doc(id_: str, data: dict[str, Any]) -> Connection:
    saml, oidc, mapping = _idp_from_doc(data)
    return Connection(
        id=id_,
        org_id=data["org_id"],
        kind=ConnectionKind(data["kind"]),
        name=data["name"],
        status=ConnectionStatus(data["status"]),
        created_at=data["created_at"],
        updated_at=data["updated_at"],
        created_by=data["created_by"],
        version=int(data.get("version", 1)),
        saml=saml,
        oidc=oidc,
        mapping=mapping,
        setup=_setup_from_doc(data.get("setup")),
        expiry_warned=tuple(data.get("expiry_warned", ())),
        draft=_draft_from_doc(data.get("draft")),
        # a connection stored before its mapping's setter was: its creator (an owner then)
        mapped_by=data["mapped_by"] if "mapped_by" in data else data["created_by"],
        encryption_keys=_encryption_keys_from_doc(data.get("encryption_keys") or []),
    )


def _encryption_keys_to_doc(keys: tuple[SpEncryptionKey, ...]) -> list[dict[str, Any]]:
    """A SAML connection's encryption keys, each private key as sealed (never in the clear)."""
    return [
        {
            "sealed_key": k.sealed_key,
            "certificate": k.certificate,
            "created_at": k.created_at,
            "decrypts_until": k.decrypts_until,
        }
        for k in keys
    ]


def _encryption_keys_from_doc(found: list[dict[str, Any]]) -> tuple[SpEncryptionKey, ...]:
    return tuple(
        SpEncryptionKey(k["sealed_key"], k["certificate"], k["created_at"], k.get("decrypts_until"))
        for k in found
    )


def too_many() -> Conflict:
    return Conflict(
        f"An organization has at most {CONNECTIONS_MAX} connections: delete one first.",
        code="too_many_connections",
    )


@translates_errors
class FirestoreConnections:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._connections = client.collection(CONNECTIONS)
        self._orgs = client.collection(SSO_ORGS)

    def _snapshots(self, org_id: str, connection_id: str) -> tuple[Snapshot, Snapshot]:
        """The org's list and the connection, in one round trip."""
        refs = [self._orgs.document(org_id), self._connections.document(connection_id)]
        found = {snap.reference.path: snap for snap in self._client.get_all(refs, **BOUNDED)}
        return found[refs[0].path], found[refs[1].path]

    def add(self, connection: Connection, staged: StagedWrites = NO_WRITES) -> None:
        def attempt() -> None:
            listed, _ = self._snapshots(connection.org_id, connection.id)
            ids = list((listed.to_dict() or {}).get("connection_ids", [])) if listed.exists else []
            if len(ids) >= CONNECTIONS_MAX:
                raise too_many()
            batch = self._client.batch()
            fields = {"connection_ids": [*ids, connection.id]}
            if listed.exists:
                batch.update(listed.reference, fields, option=unchanged_since(listed))
            else:
                batch.create(listed.reference, fields)
            batch.create(self._connections.document(connection.id), connection_to_doc(connection))
            write_staged(self._client, batch, staged)
            try:
                batch.commit(**BOUNDED)
            except exceptions.AlreadyExists:
                raise Stale from None  # the list was created meanwhile: read it again

        until_unchanged(attempt)

    def get(self, connection_id: str) -> Connection | None:
        data = read_document(self._client, self._connections.document(connection_id))
        return connection_from_doc(connection_id, data) if data is not None else None

    def list_for(self, org_id: str) -> list[Connection]:
        found = run_query(
            self._client,
            self._connections.where(filter=firestore.FieldFilter("org_id", "==", org_id)).limit(
                CONNECTIONS_MAX * 2
            ),
        )
        connections = [connection_from_doc(id_, data) for id_, data in found]
        return sorted(connections, key=lambda c: (c.created_at, c.id))

    def any_active(self) -> bool:
        active = ConnectionStatus.ACTIVE.value
        query = self._connections.where(filter=firestore.FieldFilter("status", "==", active))
        return bool(run_query(self._client, query.limit(1)))

    def oidc_by_issuer(self, issuer: str) -> list[Connection]:
        bare = issuer.rstrip("/")
        if not bare or len(bare) > MAX_ISSUER_QUERY_CHARS:
            return []
        query = self._connections.where(
            filter=firestore.FieldFilter("oidc.issuer", "in", [bare, bare + "/"])
        )
        found = run_query(self._client, query.limit(MAX_BY_ISSUER))
        return [
            connection
            for connection in (connection_from_doc(id_, data) for id_, data in found)
            if connection.kind is ConnectionKind.OIDC
        ]

    def active_page(self, after: str | None, limit: int) -> list[Connection]:
        query = self._connections.where(
            filter=firestore.FieldFilter("status", "==", ConnectionStatus.ACTIVE.value)
        ).order_by("__name__")
        if after is not None:
            query = query.start_after({"__name__": self._connections.document(after)})
        found = run_query(self._client, query.limit(limit))
        return [connection_from_doc(id_, data) for id_, data in found]

    def replace(self, connection: Connection, staged: StagedWrites = NO_WRITES) -> Connection:
        def attempt() -> Connection:
            ref = self._connections.document(connection.id)
            snap = next(iter(self._client.get_all([ref], **BOUNDED)))
            if not snap.exists:
                raise no_such_connection()
            if int((snap.to_dict() or {}).get("version", 1)) != connection.version - 1:
                raise Conflict(
                    "The connection was changed meanwhile: read it again.",
                    code="connection_changed",
                )
            batch = self._client.batch()
            batch.update(ref, connection_to_doc(connection), option=unchanged_since(snap))
            write_staged(self._client, batch, staged)
            try:
                batch.commit(**BOUNDED)
            except exceptions.NotFound:
                raise Stale from None
            return connection

        return until_unchanged(attempt)

    def delete(self, org_id: str, connection_id: str) -> Connection | None:
        def attempt() -> Connection | None:
            listed, snap = self._snapshots(org_id, connection_id)
            data = snap.to_dict() if snap.exists else None
            if data is None or data.get("org_id") != org_id:
                return None
            batch = self._client.batch()
            batch.delete(snap.reference, option=unchanged_since(snap))
            if listed.exists:
                ids = [
                    i
                    for i in (listed.to_dict() or {}).get("connection_ids", [])
                    if i != connection_id
                ]
                batch.update(
                    listed.reference, {"connection_ids": ids}, option=unchanged_since(listed)
                )
            try:
                batch.commit(**BOUNDED)
            except exceptions.NotFound:
                raise Stale from None
            return connection_from_doc(connection_id, data)

        return until_unchanged(attempt)

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        batch = self._client.batch()
        for id_, _ in run_query(
            self._client,
            self._connections.where(filter=firestore.FieldFilter("org_id", "==", org_id)).limit(
                CONNECTIONS_MAX * 2
            ),
        ):
            batch.delete(self._connections.document(id_))
        batch.delete(self._orgs.document(org_id))
        batch.commit(**BOUNDED)
