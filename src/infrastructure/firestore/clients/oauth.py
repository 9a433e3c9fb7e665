"""OAuth clients in Firestore (docs/reference/oauth.md): ``oauth_clients/{client_id}``."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

from domain.clients.app_ids import AndroidApp
from domain.clients.oauth import OAuthClient
from infrastructure.firestore.client import (
    BOUNDED,
    delete_in_batches,
    document_id,
    read_document,
)
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.optimistic import unchanged_since, until_unchanged
from infrastructure.firestore.sdk import firestore

OAUTH_CLIENTS = "oauth_clients"


def client_to_doc(client: OAuthClient) -> dict[str, Any]:
    return {
        "name": client.name,
        "redirect_uris": list(client.redirect_uris),
        "confidential": client.confidential,
        "secret_hash": client.secret_hash,
        "scopes": list(client.scopes),
        "created_at": client.created_at,
        "post_logout_redirect_uris": list(client.post_logout_redirect_uris),
        "dynamic": client.dynamic,
        "resources": list(client.resources),
        "grants": list(client.grants),
        "dpop_bound_access_tokens": client.dpop_bound_access_tokens,
        "org_id": client.org_id,
        "pkce_required": client.pkce_required,
        **({"resource_scopes": list(client.resource_scopes)} if client.resource_scopes else {}),
        "par_required": client.par_required,
        "agent": client.agent,
        "jwks": client.jwks,
        "jwks_uri": client.jwks_uri,
        "backchannel_logout_uri": client.backchannel_logout_uri,
        "backchannel_logout_session_required": client.backchannel_logout_session_required,
        "operator_made": client.operator_made,
        "members_only": client.members_only,
        # The query of the clients with native apps reads this flag (an equality on one
        # field: no composite index); the apps themselves beside it
        "native_apps": client.has_native_apps,
        "ios_apps": list(client.ios_apps),
        "android_apps": [
            {
                "package_name": app.package_name,
                "sha256_cert_fingerprint": app.sha256_cert_fingerprint,
            }
            for app in client.android_apps
        ],
    }


def client_from_doc(client_id: str, data: dict[str, Any]) -> OAuthClient:
    return OAuthClient(
        client_id=client_id,
        name=data["name"],
        redirect_uris=tuple(data["redirect_uris"]),
        confidential=data["confidential"],
        secret_hash=data.get("secret_hash"),
        scopes=tuple(data["scopes"]),
        created_at=data["created_at"],
        post_logout_redirect_uris=tuple(data.get("post_logout_redirect_uris", ())),
        dynamic=data.get("dynamic", False),
        resources=tuple(data.get("resources", ())),
        grants=tuple(data.get("grants", ())),
        dpop_bound_access_tokens=data.get("dpop_bound_access_tokens", False),
        org_id=data.get("org_id"),
        pkce_required=data.get("pkce_required", True),  # a client kept before the field: yes
        resource_scopes=tuple(data.get("resource_scopes", ())),
        par_required=data.get("par_required", False),
        agent=data.get("agent", False),
        jwks=data.get("jwks"),
        jwks_uri=data.get("jwks_uri"),
        backchannel_logout_uri=data.get("backchannel_logout_uri"),
        backchannel_logout_session_required=data.get("backchannel_logout_session_required", False),
        # An org's client kept before the field was made by its admins: the service's own
        # clients are the operator's
        operator_made=data.get("operator_made", data.get("org_id") is None),
        # An org's client kept before the field is for its members only, as a new one is by
        # default (docs/decisions/0467-an-orgs-app-is-for-its-members.md)
        members_only=data.get("members_only", data.get("org_id") is not None),
        ios_apps=tuple(data.get("ios_apps", ())),
        android_apps=tuple(
            AndroidApp(app["package_name"], app["sha256_cert_fingerprint"])
            for app in data.get("android_apps", ())
        ),
    )


@translates_errors
class FirestoreOAuthClients:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._clients = client.collection(OAUTH_CLIENTS)

    def add(self, client: OAuthClient) -> None:
        self._clients.document(client.client_id).create(client_to_doc(client), **BOUNDED)

    def get(self, client_id: str) -> OAuthClient | None:
        if not document_id(client_id) or len(client_id.encode()) > 200:
            return None
        data = read_document(self._client, self._clients.document(client_id))
        return client_from_doc(client_id, data) if data is not None else None

    def list(self, limit: int) -> list[OAuthClient]:
        query = self._clients.order_by("created_at").limit(limit)
        return [client_from_doc(s.id, s.to_dict() or {}) for s in query.stream(**BOUNDED)]

    def update(
        self, client_id: str, change: Callable[[OAuthClient], OAuthClient]
    ) -> OAuthClient | None:
        if not document_id(client_id) or len(client_id.encode()) > 200:
            return None
        ref = self._clients.document(client_id)

        def attempt() -> OAuthClient | None:
            found = ref.get(**BOUNDED)
            if not found.exists:
                return None
            changed = change(client_from_doc(client_id, found.to_dict() or {}))
            ref.update(client_to_doc(changed), option=unchanged_since(found), **BOUNDED)
            return changed

        return until_unchanged(attempt)

    def delete(self, client_id: str) -> bool:
        if self.get(client_id) is None:
            return False
        self._clients.document(client_id).delete(**BOUNDED)
        return True

    def _of_org(self, org_id: str) -> firestore.Query:
        return self._clients.where(filter=firestore.FieldFilter("org_id", "==", org_id))

    def list_for_org(self, org_id: str, limit: int) -> builtins.list[OAuthClient]:
        # Composite index (firestore.indexes.json): org_id + created_at.
        query = self._of_org(org_id).order_by("created_at").limit(limit)
        return [client_from_doc(s.id, s.to_dict() or {}) for s in query.stream(**BOUNDED)]

    def with_native_apps(self, limit: int) -> builtins.list[OAuthClient]:
        # One equality, no order: no composite index; the oldest first, sorted here
        query = self._clients.where(filter=firestore.FieldFilter("native_apps", "==", True))
        found = [
            client_from_doc(s.id, s.to_dict() or {}) for s in query.limit(limit).stream(**BOUNDED)
        ]
        return sorted(found, key=lambda client: (client.created_at, client.client_id))

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        delete_in_batches(self._client, self._of_org(org_id), batch_size)
