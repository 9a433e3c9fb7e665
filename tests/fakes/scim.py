"""Fakes of SCIM provisioning's ports: the org's tokens, users and groups."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TypeVar

from application.ports import NO_WRITES, StagedWrites
from domain.accounts.users import User
from domain.errors import Conflict
from domain.orgs.orgs import Membership, Org
from domain.orgs.roles import Granter
from domain.scim.groups import ScimGroup, no_such_group
from domain.scim.tokens import ScimToken
from domain.scim.users import ScimUser, no_such_user, user_name_taken, version_mismatch
from tests.fakes.accounts import FakeUserRepository
from tests.fakes.orgs import FakeOrgRepository

R = TypeVar("R")


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
        org = self.orgs.get(org_id)
        return self.get(token_id), replace(org, roles={}) if org is not None else None

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


class _OrgRecords[R]:
    """An org's records by (org, id) under one lock, in Firestore's id order
    (``{org_id}:{id}``), looked up by their keys as one query would."""

    def __init__(self, id_of: Callable[[R], str], keys_of: Callable[[R], list[str]]) -> None:
        self.lock = threading.Lock()
        self.records: dict[tuple[str, str], R] = {}
        self._id_of = id_of
        self._keys_of = keys_of

    def _of(self, org_id: str) -> list[R]:
        with self.lock:
            mine = [r for (org, _), r in self.records.items() if org == org_id]
        return sorted(mine, key=self._id_of)

    def page(self, org_id: str, offset: int, limit: int) -> list[R]:
        return self._of(org_id)[offset : offset + max(limit, 0)]

    def count(self, org_id: str) -> int:
        return len(self._of(org_id))

    def matching(self, org_id: str, keys: Sequence[str], limit: int) -> list[R]:
        wanted = set(keys)
        return [r for r in self._of(org_id) if wanted & set(self._keys_of(r))][:limit]


class FakeScimUsers(_OrgRecords[ScimUser]):
    """The records and their ``userName`` claims in dictionaries, each change under one lock
    as one Firestore commit is; a provisioning's account and membership go to the accounts'
    and the orgs' fakes under their store's lock, all or nothing."""

    def __init__(
        self, accounts: FakeUserRepository | None = None, orgs: FakeOrgRepository | None = None
    ) -> None:
        super().__init__(lambda u: u.user_id, ScimUser.keys)
        self.accounts = accounts or FakeUserRepository()
        self.orgs = orgs or FakeOrgRepository(self.accounts.store)
        self.lock = self.accounts.store.lock  # type: ignore[assignment]  # one commit's lock
        self.users = self.records
        self.names: dict[tuple[str, str], str] = {}  # (org, folded userName) -> user id

    def claim(
        self,
        user: ScimUser,
        account: User | None = None,
        *,
        member: Membership | None = None,
        staged: StagedWrites = NO_WRITES,
    ) -> None:
        with self.lock:
            if (user.org_id, user.user_name_key) in self.names:
                raise user_name_taken()
            if (user.org_id, user.user_id) in self.users:
                raise Conflict("Provisioned already.", code="already_provisioned")
            if account is not None:
                self.accounts.check_claims(account)
            if member is not None:
                self.orgs.check_joining(member)
                self.orgs.add_member(
                    user.org_id,
                    member.user_id,
                    member.roles,
                    member.joined_at,
                    # a directory's new membership is ``member`` alone, which no join checks
                    granter=Granter.scim(""),
                    managed=member.managed,
                )
            if account is not None:
                self.accounts.add(account)
            self.accounts.store.commit_staged(staged)
            self.names[user.org_id, user.user_name_key] = user.user_id
            self.users[user.org_id, user.user_id] = user

    def get(self, org_id: str, user_id: str) -> ScimUser | None:
        with self.lock:
            return self.users.get((org_id, user_id))

    def replace(self, user: ScimUser, expected_version: int) -> ScimUser:
        with self.lock:
            stored = self.users.get((user.org_id, user.user_id))
            if stored is None:
                raise no_such_user()
            if stored.version != expected_version:
                raise version_mismatch()
            if stored.user_name_key != user.user_name_key:
                if (user.org_id, user.user_name_key) in self.names:
                    raise user_name_taken()
                del self.names[user.org_id, stored.user_name_key]
                self.names[user.org_id, user.user_name_key] = user.user_id
            self.users[user.org_id, user.user_id] = user
            return user

    def remove(self, org_id: str, user_id: str, expected_version: int | None = None) -> bool:
        with self.lock:
            stored = self.users.get((org_id, user_id))
            if stored is None:
                return False
            if expected_version is not None and stored.version != expected_version:
                raise version_mismatch()
            del self.users[org_id, user_id]
            del self.names[org_id, stored.user_name_key]
            return True

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        for user in self._of(org_id):
            self.remove(org_id, user.user_id)


class FakeScimGroups(_OrgRecords[ScimGroup]):
    """The groups in a dictionary, each change under one lock as one Firestore commit is."""

    def __init__(self) -> None:
        super().__init__(lambda g: g.group_id, ScimGroup.keys)

    def add(self, group: ScimGroup) -> None:
        with self.lock:
            self.records[group.org_id, group.group_id] = group

    def get(self, org_id: str, group_id: str) -> ScimGroup | None:
        with self.lock:
            return self.records.get((org_id, group_id))

    def replace(self, group: ScimGroup, expected_version: int) -> ScimGroup:
        with self.lock:
            stored = self.records.get((group.org_id, group.group_id))
            if stored is None:
                raise no_such_group()
            if stored.version != expected_version:
                raise version_mismatch()
            self.records[group.org_id, group.group_id] = group
            return group

    def remove(self, org_id: str, group_id: str, expected_version: int | None = None) -> bool:
        with self.lock:
            stored = self.records.get((org_id, group_id))
            if stored is None:
                return False
            if expected_version is not None and stored.version != expected_version:
                raise version_mismatch()
            del self.records[org_id, group_id]
            return True

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        for group in self._of(org_id):
            self.remove(org_id, group.group_id)
