"""Organizations in ``orgs/{org_id}``, their slug claims in ``org_slugs/{slug key}`` and their
members in ``orgs/{org_id}/members/{user_id}`` (application/orgs/ports.py, docs/reference/
orgs.md).

Every change of a membership is one commit with the org document, whose ``owners`` and
``member_version`` it moves, guarded by the update times of both as they were read
(``optimistic.py``): thirty parallel demotions of the owners are thirty compare-and-sets of one
org document, each round has a winner, and each winner counted the owners it saw, so the last
owner's rule holds however they interleave.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from application.ports import NO_WRITES, StagedWrites
from domain.accounts.users import username_key
from domain.errors import Conflict, NotFound
from domain.ids import is_id
from domain.orgs.orgs import (
    DomainPolicy,
    Membership,
    Org,
    RoleSource,
    Slug,
    check_given_roles,
    checked_source_roles,
    is_slug_shaped,
    owners_after,
    removed_roles,
    role_in_use,
)
from infrastructure.firestore.client import (
    BOUNDED,
    claim_id,
    delete_in_batches,
    read_document,
    read_documents,
)
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.events.security_events import write_staged
from infrastructure.firestore.library_reads import batch_of
from infrastructure.firestore.optimistic import unchanged_since, until_unchanged
from infrastructure.firestore.reads import Stale, Write
from infrastructure.firestore.sdk import exceptions, firestore

ORGS, ORG_SLUGS, MEMBERS = "orgs", "org_slugs", "members"
# The memberships of one person read to list their orgs (by slug, live ones only).
MEMBERSHIPS_READ = 1000
ANY_OF_MAX = 30  # the values one array_contains_any filter may name


def org_to_doc(org: Org) -> dict[str, Any]:
    return {
        "slug": org.slug.value,
        "name": org.name,
        "created_at": org.created_at,
        "updated_at": org.updated_at,
        "domain_policy": org.domain_policy.value,
        "require_mfa": org.require_mfa,
        "custom_roles": list(org.custom_roles),
        "require_sso": org.require_sso,
        "sso_break_glass": list(org.sso_break_glass),
        "owners": org.owners,
        "member_version": org.member_version,
        "deleted_at": None,
        "deleting": False,  # what the operators' list filters on (deleted_at is not indexed)
    }


def org_from_doc(org_id: str, data: dict[str, Any]) -> Org:
    return Org(
        id=org_id,
        slug=Slug(data["slug"]),
        name=data["name"],
        created_at=data["created_at"],
        updated_at=data["updated_at"],
        domain_policy=DomainPolicy(data.get("domain_policy", DomainPolicy.NONE.value)),
        require_mfa=data.get("require_mfa", False),
        custom_roles=tuple(data.get("custom_roles", ())),
        require_sso=bool(data.get("require_sso", False)),
        sso_break_glass=tuple(data.get("sso_break_glass", ())),
        owners=data.get("owners", 1),
        member_version=data.get("member_version", 0),
    )


def member_to_doc(member: Membership) -> dict[str, Any]:
    return {
        "org_id": member.org_id,
        "user_id": member.user_id,
        "roles": list(member.roles),  # held: what the rules, queries and tokens read
        "granted": list(member.granted),
        "sso_roles": list(member.sso_roles),
        "scim_roles": list(member.scim_roles),
        "version": member.version,
        "joined_at": member.joined_at,
        "updated_at": member.updated_at,
        "managed": member.managed,
    }


def member_from_doc(data: dict[str, Any]) -> Membership:
    return Membership(
        org_id=data["org_id"],
        user_id=data["user_id"],
        # A membership from before the roles' sources were kept apart holds them all by hand
        granted=tuple(data.get("granted", data["roles"])),
        version=data["version"],
        joined_at=data["joined_at"],
        updated_at=data["updated_at"],
        managed=bool(data.get("managed", False)),  # absent from memberships before it
        sso_roles=tuple(data.get("sso_roles", ())),
        scim_roles=tuple(data.get("scim_roles", ())),
    )


def _live(data: dict[str, Any] | None) -> bool:
    return data is not None and data.get("deleted_at") is None


def live_org(org_id: str, data: dict[str, Any] | None) -> Org | None:
    """The org of a document as read; None when absent or deleted (a tombstone)."""
    return org_from_doc(org_id, data) if data is not None and _live(data) else None


def _gone() -> NotFound:
    return NotFound("No such organization.", code="org_not_found")


def member_ref(client: firestore.Client, org_id: str, user_id: str) -> firestore.DocumentReference:
    member: firestore.DocumentReference = (
        client.collection(ORGS).document(org_id).collection(MEMBERS).document(user_id)
    )
    return member


def join_writes(
    client: firestore.Client,
    org_id: str,
    found: tuple[dict[str, Any], datetime] | None,
    draft: Membership,
    check: Callable[[Org], None] = lambda org: None,
) -> tuple[Membership, list[Write]]:
    """``draft``, a new membership of the org as ``found`` read it (its fields and update
    time), its version the org's next ``member_version``; and the writes of its commit: the
    membership created, the org's ``owners`` and ``member_version`` moved, guarded by that
    read of the org. NotFound when the org is gone."""
    if found is None or not _live(found[0]):
        raise _gone()
    org = org_from_doc(org_id, found[0])
    check(org)  # the commit is guarded by this very read of the org
    check_given_roles(draft, org.custom_roles)  # as the org is now: none removed
    member = replace(draft, version=org.member_version + 1)
    fields = {"owners": owners_after(org, None, member), "member_version": member.version}
    return member, [
        Write(f"{ORGS}/{org_id}", fields, unchanged_since=found[1]),
        Write(member_ref(client, org_id, member.user_id).path, member_to_doc(member), create=True),
    ]


def _not_a_member() -> NotFound:
    return NotFound("No such member of this organization.", code="member_not_found")


def already_member() -> Conflict:
    return Conflict("This person is already a member.", code="already_member")


def _slug_taken() -> Conflict:
    return Conflict("This slug is already taken.", code="slug_taken", field="slug")


@translates_errors
class FirestoreOrgRepository:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._orgs = client.collection(ORGS)
        self._slugs = client.collection(ORG_SLUGS)

    def _slug_ref(self, normalized: str) -> firestore.DocumentReference:
        return self._slugs.document(claim_id(normalized))

    def _member_ref(self, org_id: str, user_id: str) -> firestore.DocumentReference:
        return member_ref(self._client, org_id, user_id)

    def _commit(self, batch: firestore.WriteBatch, staged: StagedWrites) -> None:
        """Commit a membership's or a tombstone's ``batch`` with what ``staged`` writes; a
        document created or removed meanwhile means a read to make again (``Stale``): the
        next read tells who holds it, or that our own commit went through."""
        write_staged(self._client, batch, staged)
        try:
            batch.commit(**BOUNDED)
        except (exceptions.AlreadyExists, exceptions.NotFound):
            raise Stale from None

    def _claim_holder(self, normalized: str) -> str | None:
        claim = read_document(self._client, self._slug_ref(normalized))
        return claim.get("org_id") if claim is not None else None

    def add(self, org: Org, owner: Membership, staged: StagedWrites = NO_WRITES) -> None:
        def attempt() -> None:
            # Blind creates, no reads: parallel creations of one slug do not lock each other;
            # the losers' commits fail with AlreadyExists on the claim.
            batch = self._client.batch()
            batch.create(self._orgs.document(org.id), org_to_doc(org))
            batch.create(self._slug_ref(org.slug.normalized), {"org_id": org.id})
            batch.create(self._member_ref(org.id, owner.user_id), member_to_doc(owner))
            write_staged(self._client, batch, staged)
            try:
                batch.commit(**BOUNDED)
            except exceptions.AlreadyExists:
                holder = self._claim_holder(org.slug.normalized)
                if holder == org.id:
                    return  # our own commit went through; only its answer was lost
                if holder is not None:
                    raise _slug_taken() from None
                raise Stale from None  # the holder was released meanwhile: try again

        until_unchanged(attempt)

    def get(self, org_id: str) -> Org | None:
        if not is_id(org_id):
            return None  # no org has it (and Firestore refuses some such names outright)
        return live_org(org_id, read_document(self._client, self._orgs.document(org_id)))

    def find(self, id_or_slug: str) -> Org | None:
        if not is_slug_shaped(id_or_slug):
            return self.get(id_or_slug) if id_or_slug else None
        holder = self._claim_holder(username_key(id_or_slug))
        org = self.get(holder) if holder is not None else None
        # A look-alike of a slug names no org: only the slug itself does.
        return org if org is not None and org.slug.value == id_or_slug else None

    def update(
        self, org_id: str, change: Callable[[Org], Org], staged: StagedWrites = NO_WRITES
    ) -> Org:
        ref = self._orgs.document(org_id)
        written: Org | None = None  # our last commit, whose answer may have been lost

        def attempt() -> Org:
            nonlocal written
            snap = ref.get(**BOUNDED)
            data = snap.to_dict() or {}
            if not snap.exists or not _live(data):
                raise _gone()
            old = org_from_doc(org_id, data)
            if written is not None and old == written:
                return written
            new = change(old)
            self._check_removable(org_id, removed_roles(old, new))
            batch = self._client.batch()
            moved = new.slug.normalized != old.slug.normalized
            if moved:
                old_claim = self._slug_ref(old.slug.normalized)
                if self._claim_holder(old.slug.normalized) == org_id:
                    batch.delete(old_claim)
                batch.create(self._slug_ref(new.slug.normalized), {"org_id": org_id})
            batch.update(ref, org_to_doc(new), option=unchanged_since(snap))
            write_staged(self._client, batch, staged)
            try:
                batch.commit(**BOUNDED)
            except exceptions.AlreadyExists:
                if moved and self._claim_holder(new.slug.normalized) not in (None, org_id):
                    raise _slug_taken() from None
                written = new
                raise Stale from None
            except exceptions.NotFound:
                raise Stale from None
            return new

        return until_unchanged(attempt)

    def _check_removable(self, org_id: str, removed: tuple[str, ...]) -> None:
        """409 ``custom_role_in_use`` if a member holds one of ``removed``: the commit that
        removes them is guarded by the org document, which every membership change writes, so
        no member can be given one of them meanwhile."""
        members = self._orgs.document(org_id).collection(MEMBERS)
        for start in range(0, len(removed), ANY_OF_MAX):
            some = list(removed[start : start + ANY_OF_MAX])
            query = members.where(filter=firestore.FieldFilter("roles", "array_contains_any", some))
            for snap in query.limit(1).stream(**BOUNDED):
                held = (snap.to_dict() or {}).get("roles", [])
                raise role_in_use(next(role for role in some if role in held))

    def membership(self, org_id: str, user_id: str) -> Membership | None:
        if not org_id or not user_id:
            return None
        org, member = read_documents(
            self._client, [self._orgs.document(org_id), self._member_ref(org_id, user_id)]
        )
        return member_from_doc(member) if member is not None and _live(org) else None

    def list_page(self, after: str | None, limit: int) -> list[Org]:
        query = self._orgs.where(filter=firestore.FieldFilter("deleting", "==", False))
        query = query.order_by("__name__")
        if after is not None:
            query = query.start_after({"__name__": self._orgs.document(after)})
        snaps = query.limit(limit).stream(**BOUNDED)
        return [org_from_doc(snap.id, snap.to_dict() or {}) for snap in snaps]

    def memberships_of(self, user_id: str, limit: int) -> list[tuple[Org, Membership]]:
        query = self._client.collection_group(MEMBERS).where(
            filter=firestore.FieldFilter("user_id", "==", user_id)
        )
        members = [
            member_from_doc(snap.to_dict() or {})
            for snap in query.limit(MEMBERSHIPS_READ).stream(**BOUNDED)
        ]
        if not members:
            return []
        orgs = read_documents(self._client, [self._orgs.document(m.org_id) for m in members])
        found = [
            (org_from_doc(member.org_id, data), member)
            for member, data in zip(members, orgs, strict=True)
            if data is not None and _live(data)
        ]
        return sorted(found, key=lambda pair: pair[0].slug.value)[:limit]

    def members_page(self, org_id: str, after: str | None, limit: int) -> list[Membership]:
        members = self._orgs.document(org_id).collection(MEMBERS)
        query = members.order_by("__name__")
        if after is not None:
            query = query.start_after({"__name__": members.document(after)})
        return [
            member_from_doc(snap.to_dict() or {}) for snap in query.limit(limit).stream(**BOUNDED)
        ]

    def _read_pair(
        self, org_id: str, user_id: str
    ) -> tuple[
        firestore.DocumentSnapshot[firestore.DocumentReference],
        firestore.DocumentSnapshot[firestore.DocumentReference] | None,
    ]:
        """The org's and the member's snapshots as one read; NotFound if the org is gone."""
        org_ref, member_ref = self._orgs.document(org_id), self._member_ref(org_id, user_id)
        snaps = {
            s.reference.path: s for s in self._client.get_all([org_ref, member_ref], **BOUNDED)
        }
        org_snap = snaps[org_ref.path]
        if not org_snap.exists or not _live(org_snap.to_dict()):
            raise _gone()
        member_snap = snaps.get(member_ref.path)
        return org_snap, member_snap if member_snap is not None and member_snap.exists else None

    def add_member(
        self,
        org_id: str,
        user_id: str,
        roles: tuple[str, ...],
        now: datetime,
        staged: StagedWrites = NO_WRITES,
        *,
        check: Callable[[Org], None] = lambda org: None,
        managed: bool = False,
        source: RoleSource = RoleSource.HAND,
    ) -> Membership:
        written: Membership | None = None

        def attempt() -> Membership:
            nonlocal written
            org_snap, member_snap = self._read_pair(org_id, user_id)
            if member_snap is not None:
                current = member_from_doc(member_snap.to_dict() or {})
                if current == written:
                    return current  # our commit went through; only its answer was lost
                raise already_member()
            draft = Membership(org_id, user_id, (), 0, now, now, managed=managed)
            draft = draft.with_roles(roles, 0, now, source)
            found = (org_snap.to_dict() or {}, org_snap.update_time)
            member, writes = join_writes(self._client, org_id, found, draft, check)
            batch = batch_of(self._client, writes)
            written = member
            self._commit(batch, staged)
            return member

        return until_unchanged(attempt)

    def change_roles(
        self,
        org_id: str,
        user_id: str,
        roles: tuple[str, ...],
        now: datetime,
        staged: StagedWrites = NO_WRITES,
        *,
        check: Callable[[Membership], None] = lambda before: None,
        source: RoleSource = RoleSource.HAND,
    ) -> tuple[Membership, Membership]:
        written: tuple[Membership, Membership] | None = None

        def attempt() -> tuple[Membership, Membership]:
            nonlocal written
            org_snap, member_snap = self._read_pair(org_id, user_id)
            if member_snap is None:
                raise _not_a_member()
            before = member_from_doc(member_snap.to_dict() or {})
            if written is not None and before == written[1]:
                return written
            check(before)
            org = org_from_doc(org_id, org_snap.to_dict() or {})
            checked_source_roles(roles, org.custom_roles, source)  # the org as it is now
            after = before.with_roles(roles, org.member_version + 1, now, source)
            owners = owners_after(org, before, after)  # 409 last_owner
            batch = self._client.batch()
            batch.update(
                org_snap.reference,
                {"owners": owners, "member_version": after.version},
                option=unchanged_since(org_snap),
            )
            batch.update(
                member_snap.reference, member_to_doc(after), option=unchanged_since(member_snap)
            )
            written = (before, after)
            self._commit(batch, staged)
            return before, after

        return until_unchanged(attempt)

    def remove_member(
        self,
        org_id: str,
        user_id: str,
        now: datetime,
        staged: StagedWrites = NO_WRITES,
        *,
        check: Callable[[Membership], None] = lambda before: None,
    ) -> Membership:
        written: Membership | None = None

        def attempt() -> Membership:
            nonlocal written
            org_snap, member_snap = self._read_pair(org_id, user_id)
            if member_snap is None:
                if written is not None:
                    return written  # our commit went through; only its answer was lost
                raise _not_a_member()
            before = member_from_doc(member_snap.to_dict() or {})
            check(before)
            org = org_from_doc(org_id, org_snap.to_dict() or {})
            owners = owners_after(org, before, None)  # 409 last_owner
            batch = self._client.batch()
            # The org document is written (and guarded) even when no owner leaves: every
            # membership change is then ordered against the others on it.
            batch.update(org_snap.reference, {"owners": owners}, option=unchanged_since(org_snap))
            batch.delete(member_snap.reference, option=unchanged_since(member_snap))
            written = before
            self._commit(batch, staged)
            return before

        return until_unchanged(attempt)

    def mark_deleted(
        self,
        org_id: str,
        now: datetime,
        staged: StagedWrites = NO_WRITES,
        *,
        check: Callable[[Org], None] = lambda org: None,
    ) -> Org:
        ref = self._orgs.document(org_id)
        written: Org | None = None

        def attempt() -> Org:
            nonlocal written
            snap = ref.get(**BOUNDED)
            data = snap.to_dict() or {}
            if not snap.exists or not _live(data):
                if written is not None and snap.exists:
                    return written  # our commit went through; only its answer was lost
                raise _gone()
            org = org_from_doc(org_id, data)
            check(org)  # the commit is guarded by this very read of the org
            batch = self._client.batch()
            batch.update(ref, {"deleted_at": now, "deleting": True}, option=unchanged_since(snap))
            if self._claim_holder(org.slug.normalized) == org_id:
                batch.delete(self._slug_ref(org.slug.normalized))
            written = org
            self._commit(batch, staged)
            return org

        return until_unchanged(attempt)

    def purge(self, org_id: str, batch_size: int) -> None:
        ref = self._orgs.document(org_id)
        if _live(read_document(self._client, ref)):
            return  # only a tombstoned org is purged
        # What the org owns, each in batches of its own: an interrupted purge leaves a
        # smaller remainder, and the job runs again (docs/decisions/0364-org-deletion.md).
        delete_in_batches(self._client, ref.collection(MEMBERS), batch_size)
        ref.delete(**BOUNDED)
