"""Fakes of SCIM provisioning's ports: the org's tokens."""

from __future__ import annotations

import threading
from datetime import datetime

from domain.orgs.orgs import Org
from domain.scim.tokens import ScimToken
from tests.fakes.orgs import FakeOrgRepository


class FakeScimTokens:
    """The tokens in a dictionary; ``load`` reads the org from the orgs' fake, as one
    batchGet reads both."""

    def __init__(self, orgs: FakeOrgRepository) -> None:
        self.orgs = orgs
        self.lock = threading.Lock()
        self.tokens: dict[str, ScimToken] = {}

    def add(self, token: ScimToken) -> None:
        with self.lock:
            self.tokens[token.id] = token

    def get(self, token_id: str) -> ScimToken | None:
        with self.lock:
            return self.tokens.get(token_id)

    def load(self, org_id: str, token_id: str) -> tuple[ScimToken | None, Org | None]:
        return self.get(token_id), self.orgs.get(org_id)

    def list_page(
        self, org_id: str, before: tuple[datetime, str] | None, limit: int
    ) -> list[ScimToken]:
        with self.lock:
            rows = sorted(
                (t for t in self.tokens.values() if t.org_id == org_id),
                key=lambda t: (t.created_at, t.id),
                reverse=True,
            )
        return [t for t in rows if before is None or (t.created_at, t.id) < before][:limit]

    def remove(self, token_id: str) -> bool:
        with self.lock:
            return self.tokens.pop(token_id, None) is not None

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        with self.lock:
            for token in [t for t in self.tokens.values() if t.org_id == org_id]:
                del self.tokens[token.id]
