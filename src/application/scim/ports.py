"""What SCIM provisioning stores, as ports its adapters fit (docs/reference/scim.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.orgs.orgs import Org
from domain.scim.tokens import ScimToken


class ScimTokens(Protocol):
    def add(self, token: ScimToken) -> None:
        """Store a new token."""
        ...

    def get(self, token_id: str) -> ScimToken | None:
        """The token with this id, or None."""
        ...

    def load(self, org_id: str, token_id: str) -> tuple[ScimToken | None, Org | None]:
        """The token and its live org (None: absent, or deleted), in one round trip."""
        ...

    def list_page(
        self, org_id: str, before: tuple[datetime, str] | None, limit: int
    ) -> list[ScimToken]:
        """Up to ``limit`` of the org's tokens, newest first by (created_at, id), after that
        position."""
        ...

    def remove(self, token_id: str) -> bool:
        """Delete the token; True for the one call (of any number at once) that did."""
        ...

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        """Remove every token of the org, with the org (an ``OrgPart``)."""
        ...
