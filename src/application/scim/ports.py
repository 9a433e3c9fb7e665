"""What SCIM provisioning stores, as ports its adapters fit (docs/reference/scim.md)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, TypeVar

from application.ports import NO_WRITES, StagedWrites
from domain.accounts.users import User
from domain.orgs.orgs import Membership, Org
from domain.scim.groups import ScimGroup
from domain.scim.tokens import ScimToken
from domain.scim.users import ScimUser

KEYS_MAX = 30  # the values one array_contains_any may name
KEY_BYTES_MAX = 1400  # the longest key (UTF-8) a query may name: Firestore's is 1,500 bytes
POSITION_MAX = 2**31 - 1  # the largest offset or limit a query takes (a 32-bit integer)
R = TypeVar("R")


class ScimTokens(Protocol):
    def add(self, token: ScimToken) -> None:
        """Store a new token."""
        ...

    def get(self, token_id: str) -> ScimToken | None:
        """The token with this id, or None."""
        ...

    def load(self, org_id: str, token_id: str) -> tuple[ScimToken | None, Org | None]:
        """The token and its live org (None: absent, or deleted), in one round trip; the org
        without its roles' definitions (``roles`` empty), which a SCIM request does not use."""
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


class ScimUsers(Protocol):
    def claim(
        self,
        user: ScimUser,
        account: User | None = None,
        *,
        member: Membership | None = None,
        staged: StagedWrites = NO_WRITES,
    ) -> None:
        """Store a new record and claim its ``userName`` in the org (whatever its case), and
        with them, in the same commit: ``account``, a new one, with the claims of its username
        and address; ``member``, the account's new membership of the org (its ``version`` a new
        one, which the commit sets; the org is read, not written); and what ``staged`` writes.
        All or nothing: Conflict ``user_name_taken``, ``already_provisioned`` (the account has
        a record in the org already), ``username_taken``, ``email_taken``, ``already_member``;
        NotFound ``org_not_found`` for a member of an org gone."""
        ...

    def get(self, org_id: str, user_id: str) -> ScimUser | None:
        """The org's record of the account, or None."""
        ...

    def replace(self, user: ScimUser, expected_version: int) -> ScimUser:
        """Store ``user`` over the record at ``expected_version``, moving the ``userName``
        claim in the same commit when it changed; NotFound ``scim_user_not_found``, Conflict
        ``version_mismatch`` or ``user_name_taken``."""
        ...

    def remove(self, org_id: str, user_id: str, expected_version: int | None = None) -> bool:
        """Delete the record and its claim in one commit (only at ``expected_version`` when
        given: Conflict ``version_mismatch``); False when there was none."""
        ...

    def page(self, org_id: str, offset: int, limit: int) -> list[ScimUser]:
        """Up to ``limit`` of the org's records in id order, after the first ``offset``."""
        ...

    def count(self, org_id: str) -> int:
        """How many records the org has."""
        ...

    def matching(self, org_id: str, keys: Sequence[str], limit: int) -> list[ScimUser]:
        """Up to ``limit`` of the org's records holding any of ``keys`` (at most KEYS_MAX), in
        id order: one indexed query."""
        ...

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        """Remove every record of the org and their claims, with the org (an ``OrgPart``)."""
        ...


class OrgRecords(Protocol[R]):
    """An org's SCIM users or groups, as a search reads them."""

    def page(self, org_id: str, offset: int, limit: int) -> list[R]:
        """Up to ``limit`` of the org's records in id order, after the first ``offset``."""
        ...

    def count(self, org_id: str) -> int:
        """How many records the org has."""
        ...

    def matching(self, org_id: str, keys: Sequence[str], limit: int) -> list[R]:
        """Up to ``limit`` of the org's records holding any of ``keys`` (at most KEYS_MAX), in
        id order: one indexed query."""
        ...


class ScimGroups(Protocol):
    def add(self, group: ScimGroup) -> None:
        """Store a new group."""
        ...

    def get(self, org_id: str, group_id: str) -> ScimGroup | None:
        """The org's group, or None."""
        ...

    def replace(self, group: ScimGroup, expected_version: int) -> ScimGroup:
        """Store ``group`` over the one at ``expected_version``; NotFound
        ``scim_group_not_found``, Conflict ``version_mismatch``."""
        ...

    def remove(self, org_id: str, group_id: str, expected_version: int | None = None) -> bool:
        """Delete the group (only at ``expected_version`` when given); False when none."""
        ...

    def page(self, org_id: str, offset: int, limit: int) -> list[ScimGroup]:
        """Up to ``limit`` of the org's groups in id order, after the first ``offset``."""
        ...

    def count(self, org_id: str) -> int:
        """How many groups the org has."""
        ...

    def matching(self, org_id: str, keys: Sequence[str], limit: int) -> list[ScimGroup]:
        """Up to ``limit`` of the org's groups holding any of ``keys``, in id order."""
        ...

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        """Remove every group of the org, with the org (an ``OrgPart``)."""
        ...
