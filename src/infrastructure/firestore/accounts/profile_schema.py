"""The profile schema admins stored, in ``profile_schemas/current`` as the JSON text they
sent (docs/reference/accounts.md, "Profile attributes")."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from infrastructure.firestore.client import BOUNDED, read_document
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.sdk import firestore

PROFILE_SCHEMAS = "profile_schemas"
CURRENT = "current"


@translates_errors
class FirestoreProfileSchemaStore:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client  # its library is imported on first use, not by this adapter

    def get(self) -> Mapping[str, object] | None:
        data = read_document(self._client, f"{PROFILE_SCHEMAS}/{CURRENT}")
        if data is None:
            return None
        document: dict[str, Any] = json.loads(data["document"])
        return document

    def put(self, document: Mapping[str, object]) -> None:
        text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
        ref = self._client.collection(PROFILE_SCHEMAS).document(CURRENT)
        ref.set({"document": text}, **BOUNDED)
