"""An org's SCIM users in ``scim_users/{org_id}:{user_id}`` and the claim of each
``userName`` in ``scim_user_names/{org_id}:{folded userName}`` (docs/reference/scim.md,
"Users"). A record holds its ``keys``, those of the ``eq`` filters directories send, one query
on them; no other field is indexed but ``org_id``
(docs/decisions/0472-scim-filters-within-twenty-index-entries.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from application.ports import NO_WRITES, StagedWrites
from domain.accounts.users import User
from domain.errors import Conflict
from domain.orgs.orgs import Membership
from domain.scim.users import (
    ScimEmail,
    ScimUser,
    no_such_user,
    user_name_taken,
    version_mismatch,
)
from infrastructure.firestore.accounts.users import (
    Claims,
    account_writes,
    claims_of,
    taken_claim,
)
from infrastructure.firestore.client import (
    BOUNDED,
    ONCE,
    claim_id,
    commit,
    read_document,
)
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.events.security_events import staged_documents
from infrastructure.firestore.library_reads import add_writes
from infrastructure.firestore.optimistic import unchanged_since, until_unchanged
from infrastructure.firestore.orgs.documents import account_token_version, org_snapshot
from infrastructure.firestore.orgs.membership_writes import (
    ORGS,
    already_member,
    guarded,
    in_transaction,
    join_writes,
    member_ref,
)
from infrastructure.firestore.reads import Exists, Stale, Write
from infrastructure.firestore.scim.records import (
    count_of,
    delete_of_org,
    matching_of,
    page_of,
    record_ref,
)
from infrastructure.firestore.sdk import exceptions, firestore

SCIM_USERS, SCIM_USER_NAMES = "scim_users", "scim_user_names"


def user_to_doc(user: ScimUser) -> dict[str, Any]:
    return {
        "org_id": user.org_id,
        "user_id": user.user_id,
        "user_name": user.user_name,
        "active": user.active,
        "managed": user.managed,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
        "version": user.version,
        "emails": [{"value": e.value, "type": e.type, "primary": e.primary} for e in user.emails],
        "external_id": user.external_id,
        "display_name": user.display_name,
        "document": user.document,
        "keys": user.keys(),
    }


def user_from_doc(data: dict[str, Any]) -> ScimUser:
    return ScimUser(
        org_id=data["org_id"],
        user_id=data["user_id"],
        user_name=data["user_name"],
        active=bool(data["active"]),
        managed=bool(data["managed"]),
        created_at=data["created_at"],
        updated_at=data["updated_at"],
        version=int(data["version"]),
        emails=tuple(
            ScimEmail(e["value"], e.get("type"), bool(e.get("primary"))) for e in data["emails"]
        ),
        external_id=data.get("external_id"),
        display_name=data.get("display_name"),
        document=data.get("document", "{}"),
    )


def _already_provisioned() -> Conflict:
    return Conflict(
        "This account is a user of this organization already.", code="already_provisioned"
    )


@translates_errors
class FirestoreScimUsers:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._names = client.collection(SCIM_USER_NAMES)

    def _ref(self, org_id: str, user_id: str) -> firestore.DocumentReference:
        return record_ref(self._client, SCIM_USERS, org_id, user_id)

    def _name_ref(self, user: ScimUser) -> firestore.DocumentReference:
        return self._names.document(claim_id(f"{user.org_id}:{user.user_name_key}"))

    def claim(
        self,
        user: ScimUser,
        account: User | None = None,
        *,
        member: Membership | None = None,
        staged: StagedWrites = NO_WRITES,
    ) -> None:
        name_ref, ref = self._name_ref(user), self._ref(user.org_id, user.user_id)
        client = self._client

        def creates() -> list[Write]:
            writes = [
                Write(name_ref.path, {"org_id": user.org_id, "user_id": user.user_id}, create=True),
                Write(ref.path, user_to_doc(user), create=True),
            ]
            if account is not None:
                writes += account_writes(client, account)
            return writes + [
                Write(path, fields, create=True) for path, fields in staged_documents(staged)
            ]

        def joining(transaction: firestore.Transaction, new: Membership) -> list[Write]:
            # The membership's commit reads the org in its transaction (a shared lock: parallel
            # creates do not wait on each other) and writes no org document, unless it must
            # (``guarded``: then a batch guarded by this read, as below).
            org_ref = client.collection(ORGS).document(user.org_id)
            snap, data = org_snapshot(client, org_ref, transaction)
            found = (data, snap.update_time) if data is not None else None
            held = (
                account.token_version
                if account is not None
                else account_token_version(client, new.user_id)
            )
            joined = join_writes(client, user.org_id, found, new, token_version=held)[1]
            writes = [*creates(), *joined]
            if guarded(joined):
                return writes
            add_writes(client, writes, transaction)
            return []

        def attempt() -> None:
            # One commit of creates (with, for a membership, the org read in its transaction):
            # of thirty creates of one userName one commits and the others fail with
            # AlreadyExists; we then read which document was taken. Without a membership, sent
            # over REST: the record's keys cost the client library's proto encoding several
            # times the rest of the request (docs/benchmarks.md).
            try:
                if member is None:
                    commit(client, creates())
                elif later := in_transaction(client, lambda t: joining(t, member)):
                    commit(client, later)
            except (Exists, exceptions.AlreadyExists):
                claims = claims_of(client, account) if account is not None else []
                members = [member_ref(client, user.org_id, member.user_id)] if member else []
                taken = self._taken(user, claims, members)
                if taken is not None:
                    raise taken from None

        until_unchanged(attempt)  # the org changed since its read, or an aborted commit: again

    def _taken(
        self, user: ScimUser, claims: Claims, members: list[firestore.DocumentReference]
    ) -> Exception | None:
        """Why a provisioning commit found a document there: the first taken of the
        ``userName``'s claim, the record, the account's claims, the membership; Stale when
        none is any more (read again). None: the record is this very one, stored by our own
        commit, retried after its answer was lost."""
        name_ref, ref = self._name_ref(user), self._ref(user.org_id, user.user_id)
        refs = [name_ref, ref, *(r for _, r in claims), *members]
        snaps = {s.reference.path: s for s in self._client.get_all(refs, **BOUNDED)}
        stored = snaps[ref.path]
        if stored.exists and user_from_doc(stored.to_dict() or {}) == user:
            return None
        if snaps[name_ref.path].exists:
            return user_name_taken()
        if snaps[ref.path].exists:
            return _already_provisioned()
        taken = taken_claim(claims, snaps, user.user_id)
        if taken is not None:
            return taken
        if any(snaps[r.path].exists for r in members):
            return already_member()
        return Stale()

    def get(self, org_id: str, user_id: str) -> ScimUser | None:
        data = read_document(self._client, self._ref(org_id, user_id))
        return user_from_doc(data) if data is not None else None

    def replace(self, user: ScimUser, expected_version: int) -> ScimUser:
        ref, new_name = self._ref(user.org_id, user.user_id), self._name_ref(user)

        def attempt() -> ScimUser:
            # Compare-and-set: the record written only if unchanged since this read, a new
            # userName's claim created only if still free (then a 409), the old one released
            snaps = {s.reference.path: s for s in self._client.get_all([ref, new_name], **BOUNDED)}
            current, holder = snaps[ref.path], snaps[new_name.path]
            if not current.exists:
                raise no_such_user()
            stored = user_from_doc(current.to_dict() or {})
            if stored.version != expected_version:
                raise version_mismatch()
            batch = self._client.batch()
            if stored.user_name_key != user.user_name_key:
                if holder.exists:
                    raise user_name_taken()
                batch.create(new_name, {"org_id": user.org_id, "user_id": user.user_id})
                batch.delete(self._name_ref(stored))
            batch.update(ref, user_to_doc(user), option=unchanged_since(current))
            try:
                batch.commit(**ONCE)
            except exceptions.AlreadyExists:
                raise Stale from None  # the name was claimed meanwhile: the next read says by whom
            return user

        return until_unchanged(attempt)

    def remove(self, org_id: str, user_id: str, expected_version: int | None = None) -> bool:
        ref = self._ref(org_id, user_id)

        def attempt() -> bool:
            snap = ref.get(**BOUNDED)
            if not snap.exists:
                return False
            stored = user_from_doc(snap.to_dict() or {})
            if expected_version is not None and stored.version != expected_version:
                raise version_mismatch()
            batch = self._client.batch()
            batch.delete(ref, option=unchanged_since(snap))
            batch.delete(self._name_ref(stored))
            batch.commit(**ONCE)
            return True

        return until_unchanged(attempt)

    def page(self, org_id: str, offset: int, limit: int) -> list[ScimUser]:
        return [user_from_doc(d) for d in page_of(self._client, SCIM_USERS, org_id, offset, limit)]

    def count(self, org_id: str) -> int:
        return count_of(self._client, SCIM_USERS, org_id)

    def matching(self, org_id: str, keys: Sequence[str], limit: int) -> list[ScimUser]:
        found = matching_of(self._client, SCIM_USERS, org_id, keys, limit)
        return [user_from_doc(data) for data in found]

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        def refs(data: dict[str, Any]) -> list[firestore.DocumentReference]:
            user = user_from_doc(data)
            return [self._ref(org_id, user.user_id), self._name_ref(user)]

        delete_of_org(self._client, SCIM_USERS, org_id, batch_size, refs)
