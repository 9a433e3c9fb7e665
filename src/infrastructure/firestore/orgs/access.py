"""The memberships' permissions as an access decision reads them: each asked membership with
its org and its account, every document in one round trip (docs/reference/access.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from domain.ids import is_id
from infrastructure.firestore.accounts.users import USERS
from infrastructure.firestore.client import read_documents
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.orgs.documents import is_live
from infrastructure.firestore.orgs.membership_reads import member_paths
from infrastructure.firestore.sdk import firestore


@translates_errors
class FirestoreMemberPermissions:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client

    def held(self, pairs: Sequence[tuple[str, str]]) -> Mapping[tuple[str, str], frozenset[str]]:
        pairs = [(org, user) for org, user in pairs if is_id(org) and is_id(user)]  # no path
        paths = list(
            dict.fromkeys(
                path
                for org_id, user_id in pairs
                for path in (*member_paths(org_id, user_id), f"{USERS}/{user_id}")
            )
        )
        if not paths:
            return {}
        found = dict(zip(paths, read_documents(self._client, paths), strict=True))
        held: dict[tuple[str, str], frozenset[str]] = {}
        for org_id, user_id in pairs:
            org_path, member_path = member_paths(org_id, user_id)
            org, member, user = found[org_path], found[member_path], found[f"{USERS}/{user_id}"]
            if not is_live(org) or member is None or user is None:
                continue
            if user.get("disabled", False) or user.get("deleting", False):
                continue
            held[org_id, user_id] = frozenset(member.get("permissions", ()))
        return held
