"""Pushed authorization requests in Firestore (docs/reference/oauth.md, "Pushed authorization
requests"): nothing at the push (the ``request_uri`` carries the request, sealed); the
browser's arrival creates ``oauth_pushed_requests/{sha256 of the push's id}`` if absent, with
the parameters as one form-encoded string, its ticket's hash and an ``expires_at`` for a TTL
policy. Of parallel arrivals one creates it, the others find it there: used already."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from domain.provider.pushed import PushedRequest
from infrastructure.firestore.client import commit, read_document
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.provider.oauth_device import sha256_key
from infrastructure.firestore.reads import Exists, Write
from infrastructure.firestore.sdk import firestore

OAUTH_PUSHED_REQUESTS = "oauth_pushed_requests"


def pushed_to_doc(request: PushedRequest) -> dict[str, Any]:
    return {
        "client_id": request.client_id,
        "params": urlencode(request.params),
        "created_at": request.created_at,
        "expires_at": request.expires_at,  # a TTL policy on it removes old requests
        "ticket_hash": request.ticket_hash,
    }


def pushed_from_doc(key: str, data: dict[str, Any]) -> PushedRequest:
    return PushedRequest(
        key=key,
        client_id=data["client_id"],
        params=tuple(parse_qsl(data["params"], keep_blank_values=True)),
        created_at=data["created_at"],
        expires_at=data["expires_at"],
        # one kept at its push before requests were sealed, never brought: resumes nothing
        ticket_hash=data.get("ticket_hash") or "",
    )


@translates_errors
class FirestorePushedRequests:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._requests = client.collection(OAUTH_PUSHED_REQUESTS)

    def spend(self, request: PushedRequest) -> bool:
        # over REST, as the other writes of the provider's requests are (``commit``)
        path = f"{OAUTH_PUSHED_REQUESTS}/{request.key}"
        try:
            commit(self._client, [Write(path, pushed_to_doc(request), create=True)])
        except Exists:
            return False
        return True

    def get(self, key: str) -> PushedRequest | None:
        if not sha256_key(key):
            return None
        data = read_document(self._client, self._requests.document(key))
        return pushed_from_doc(key, data) if data is not None else None
