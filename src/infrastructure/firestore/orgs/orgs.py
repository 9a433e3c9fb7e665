"""Organizations in ``orgs/{org_id}``, their slug claims in ``org_slugs/{slug key}`` and their
members in ``orgs/{org_id}/members/{user_id}`` (application/orgs/ports.py, docs/reference/
orgs.md).

A membership change writes no shared document (docs/decisions/0470-no-org-document-on-the-
membership-path.md). Its version is new and random (``new_member_version``). A change of an
ordinary member is a read-write transaction that reads the org and writes the membership
(read before it, written under its update time): a transaction's reads take shared locks, so
parallel joins do not wait on each other, while any write of the org (its deletion, a custom
role's removal, its settings) waits for them or aborts them, and none commits on an org read
before such a write. A grant of a custom role is such a change too: its removal first marks
the roles ``retiring`` on the org document (a write: every grant that read the org before it
has ended, and every later one finds the roles unknown, unless the member holds them), then
looks for members holding them: it takes the mark back and answers 409 if one does, or
removes the roles and the mark in a commit guarded by the mark's own write. Any later save of
the org's settings ends a mark a stopped removal left. A change that makes, demotes or removes
an owner is one commit with the org document's ``owners``, guarded by the update times of
both as they were read (``optimistic.py``): thirty parallel demotions of the owners are thirty
compare-and-sets of one org document, each round has a winner, and each winner counted the
owners it saw, so the last owner's rule holds however they interleave.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from application.ports import NO_WRITES, StagedWrites
from domain.accounts.credentials import username_key
from domain.errors import Conflict, NotFound
from domain.ids import is_id
from domain.orgs.orgs import (
    Membership,
    Org,
    RoleSource,
    checked_source_roles,
    is_slug_shaped,
    new_member_version,
    removed_roles,
    role_in_use,
)
from domain.orgs.roles import Granter, added_roles, check_granted
from infrastructure.firestore.client import (
    BOUNDED,
    claim_id,
    delete_in_batches,
    read_document,
    read_documents,
)
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.events.security_events import write_staged
from infrastructure.firestore.library_reads import add_writes, batch_of
from infrastructure.firestore.optimistic import unchanged_since, until_unchanged
from infrastructure.firestore.orgs.documents import (
    RETIRING,
    TOKEN_VERSION,
    account_token_version,
    definitions_ref,
    definitions_to_doc,
    grantable_org,
    is_live,
    live_org,
    member_from_doc,
    member_to_doc,
    org_fields,
    org_from_doc,
    org_refs,
    org_snapshot,
    org_to_doc,
    org_writes,
    read_org,
    templates_ref,
    with_definitions,
    with_templates,
)
from infrastructure.firestore.orgs.membership_writes import (
    MEMBERS,
    ORGS,
    already_member,
    guarded,
    in_transaction,
    join_writes,
    member_ref,
    membership_writes,
    org_gone,
)
from infrastructure.firestore.reads import Stale, Write
from infrastructure.firestore.sdk import exceptions, firestore

ORG_SLUGS = "org_slugs"
# The memberships of one person read to list their orgs (by slug, live ones only).
MEMBERSHIPS_READ = 1000
ANY_OF_MAX = 30  # the values one array_contains_any filter may name
MEMBERS_PER_COMMIT = 400  # of an org's memberships moved on together (at most 500 writes)


def _not_a_member() -> NotFound:
    return NotFound("No such member of this organization.", code="member_not_found")


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
        held = account_token_version(self._client, owner.user_id)

        def attempt() -> None:
            # Blind creates, no reads: parallel creations of one slug do not lock each other;
            # the losers' commits fail with AlreadyExists on the claim.
            batch = self._client.batch()
            batch.create(self._orgs.document(org.id), org_to_doc(org))
            if org.roles:
                batch.create(definitions_ref(self._orgs.document(org.id)), definitions_to_doc(org))
            batch.create(self._slug_ref(org.slug.normalized), {"org_id": org.id})
            owned = {**member_to_doc(owner), TOKEN_VERSION: held}
            batch.create(self._member_ref(org.id, owner.user_id), owned)
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
        return live_org(org_id, read_org(self._client, self._orgs.document(org_id)))

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
            snap, data = org_snapshot(self._client, ref)
            if data is None or not is_live(data):
                raise org_gone()
            old = org_from_doc(org_id, data)
            if written is not None and old == written:
                return written
            new = change(old)
            guard = firestore.LastUpdateOption(self._retire(ref, snap, removed_roles(old, new)))
            batch = self._client.batch()
            moved = new.slug.normalized != old.slug.normalized
            if moved:
                old_claim = self._slug_ref(old.slug.normalized)
                if self._claim_holder(old.slug.normalized) == org_id:
                    batch.delete(old_claim)
                batch.create(self._slug_ref(new.slug.normalized), {"org_id": org_id})
            org_writes(batch, ref, new, guard)
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

    def _retire(
        self,
        ref: firestore.DocumentReference,
        snap: firestore.DocumentSnapshot[firestore.DocumentReference],
        removed: tuple[str, ...],
    ) -> datetime:
        """The update time the org's save is to be guarded by: ``snap``'s, or, when the save
        removes custom roles, that of their mark (``RETIRING``), written once no member holds
        them (409 ``custom_role_in_use`` if one does, the mark taken back). Once the mark is
        written, every grant that read the org before it has ended (its read holds the write
        back, or the write aborts it) and every later one finds the roles unknown: the
        holders found are all there will be until the save, which a write of the org
        between (a mark taken back, another save) makes stale."""
        read_at: datetime = snap.update_time
        if not removed:
            return read_at
        fields = {RETIRING: list(removed), "ordered_by": new_member_version()}
        marked: datetime = ref.update(fields, option=unchanged_since(snap), **BOUNDED).update_time
        try:
            self._check_removable(ref.id, removed)
        except Conflict:
            ref.update({RETIRING: firestore.ArrayRemove(list(removed))}, **BOUNDED)
            raise
        return marked

    def _check_removable(self, org_id: str, removed: tuple[str, ...]) -> None:
        """409 ``custom_role_in_use`` if a member holds one of ``removed``."""
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
        return member_from_doc(member) if member is not None and is_live(org) else None

    def list_page(self, after: str | None, limit: int) -> list[Org]:
        query = self._orgs.where(filter=firestore.FieldFilter("deleting", "==", False))
        query = query.order_by("__name__")
        if after is not None:
            query = query.start_after({"__name__": self._orgs.document(after)})
        snaps = list(query.limit(limit).stream(**BOUNDED))
        refs = [templates_ref(self._client), *(definitions_ref(s.reference) for s in snaps)]
        templates, *definitions = read_documents(self._client, refs)
        return [
            org_from_doc(
                snap.id, with_templates(with_definitions(snap.to_dict() or {}, defined), templates)
            )
            for snap, defined in zip(snaps, definitions, strict=True)
        ]

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
        refs = [ref for m in members for ref in org_refs(self._orgs.document(m.org_id))]
        # the templates, then each org's document and its definitions
        templates, *read = read_documents(self._client, [templates_ref(self._client), *refs])
        found = [
            (
                org_from_doc(
                    member.org_id, with_templates(with_definitions(data, defined), templates)
                ),
                member,
            )
            for member, data, defined in zip(members, read[::2], read[1::2], strict=True)
            if data is not None and is_live(data)
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
        self, org_id: str, user_id: str, transaction: firestore.Transaction
    ) -> tuple[Org, datetime, firestore.DocumentSnapshot[firestore.DocumentReference] | None]:
        """The org (with its update time), read in ``transaction``, and the member's snapshot,
        read outside it (its write is guarded by its update time: thirty writers of one
        membership would lock each other out); NotFound if the org is gone. The org is as the
        member's change sees it (``grantable_org``)."""
        member_snap = self._member_ref(org_id, user_id).get(**BOUNDED)
        org_snap, data = org_snapshot(self._client, self._orgs.document(org_id), transaction)
        if data is None or not is_live(data):
            raise org_gone()
        member = member_snap if member_snap.exists else None
        held = (member_snap.to_dict() or {}).get("roles", ()) if member is not None else ()
        return grantable_org(org_id, data, held), org_snap.update_time, member

    def _check_granter(
        self,
        org: Org,
        granter: Granter,
        granted: tuple[str, ...],
        transaction: firestore.Transaction,
    ) -> None:
        """403 ``permission_escalation`` unless ``granter`` may give ``granted`` in ``org``,
        their membership read in ``transaction``: a change of the granter's roles waits for
        the grant or aborts it, so no grant commits on rights they no longer hold."""
        reads = granter.reads(granted)
        held = None
        if reads is not None:
            snap = self._member_ref(org.id, reads).get(transaction=transaction, **BOUNDED)
            held = (snap.to_dict() or {}).get("roles", ()) if snap.exists else None
        check_granted(granter, held, granted, org.definitions)

    def _commit_change[T](
        self,
        run: Callable[[firestore.Transaction], tuple[T, list[Write]]],
        staged: StagedWrites,
        removed: Callable[[], tuple[str, datetime] | None] = lambda: None,
    ) -> T:
        """Commit what ``run`` decides from its reads in a transaction: its writes in that
        transaction, or, when they write the org (``guarded``), as one batch guarded by those
        reads once it ends; ``removed``, a member document (path, update time) to delete."""
        later: list[Write] = []

        def in_it(transaction: firestore.Transaction) -> T:
            nonlocal later
            result, writes = run(transaction)
            if guarded(writes):
                later = writes
                return result
            add_writes(self._client, writes, transaction)
            write_staged(self._client, transaction, staged)
            return result

        try:
            result = in_transaction(self._client, in_it)
        except (exceptions.AlreadyExists, exceptions.NotFound):
            raise Stale from None
        if later:
            batch = batch_of(self._client, later)
            if (deleted := removed()) is not None:
                path, read_at = deleted
                batch.delete(
                    self._client.document(path), option=firestore.LastUpdateOption(read_at)
                )
            self._commit(batch, staged)
        return result

    def add_member(
        self,
        org_id: str,
        user_id: str,
        roles: tuple[str, ...],
        now: datetime,
        staged: StagedWrites = NO_WRITES,
        *,
        granter: Granter,
        check: Callable[[Org], None] = lambda org: None,
        managed: bool = False,
        source: RoleSource = RoleSource.HAND,
    ) -> Membership:
        written: Membership | None = None
        granted = added_roles(roles, None, joining=True)

        def run(transaction: firestore.Transaction) -> tuple[Membership, list[Write]]:
            nonlocal written
            org, read_at, member_snap = self._read_pair(org_id, user_id, transaction)
            if member_snap is not None:
                current = member_from_doc(member_snap.to_dict() or {})
                if current == written:
                    return current, []  # our commit went through; only its answer was lost
                raise already_member()
            self._check_granter(org, granter, granted, transaction)
            draft = Membership(org_id, user_id, (), 0, now, now, managed=managed)
            draft = draft.with_roles(roles, 0, now, source)
            found = (org_fields(org), read_at)
            held = account_token_version(self._client, user_id)
            member, writes = join_writes(
                self._client, org_id, found, draft, check, token_version=held
            )
            written = member
            return member, writes

        return until_unchanged(lambda: self._commit_change(run, staged))

    def change_roles(
        self,
        org_id: str,
        user_id: str,
        roles: tuple[str, ...],
        now: datetime,
        staged: StagedWrites = NO_WRITES,
        *,
        granter: Granter,
        check: Callable[[Membership], None] = lambda before: None,
        source: RoleSource = RoleSource.HAND,
    ) -> tuple[Membership, Membership]:
        written: tuple[Membership, Membership] | None = None

        def run(
            transaction: firestore.Transaction,
        ) -> tuple[tuple[Membership, Membership], list[Write]]:
            nonlocal written
            org, read_at, member_snap = self._read_pair(org_id, user_id, transaction)
            if member_snap is None:
                raise _not_a_member()
            before = member_from_doc(member_snap.to_dict() or {})
            if written is not None and before == written[1]:
                return written, []
            check(before)
            checked_source_roles(roles, org.named_roles, source)  # the org as it is now
            granted = added_roles(roles, before.given_by(source))
            self._check_granter(org, granter, granted, transaction)
            after = before.with_roles(roles, new_member_version(), now, source).resolved_in(org)
            pair = (before, member_snap.update_time)
            writes = membership_writes(self._client, (org, read_at), pair, after)
            written = (before, after)
            return written, writes

        return until_unchanged(lambda: self._commit_change(run, staged))

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
        path = self._member_ref(org_id, user_id).path

        def attempt() -> Membership:
            removed: tuple[str, datetime] | None = None

            def run(transaction: firestore.Transaction) -> tuple[Membership, list[Write]]:
                nonlocal written, removed
                org, read_at, member_snap = self._read_pair(org_id, user_id, transaction)
                if member_snap is None:
                    if written is not None:
                        return written, []  # our commit went through; its answer was lost
                    raise _not_a_member()
                before = member_from_doc(member_snap.to_dict() or {})
                check(before)
                pair = (before, member_snap.update_time)
                writes = membership_writes(self._client, (org, read_at), pair, None)
                removed = (path, member_snap.update_time)
                if not guarded(writes):
                    option = firestore.LastUpdateOption(member_snap.update_time)
                    transaction.delete(member_snap.reference, option=option)
                written = before
                return before, writes

            return self._commit_change(run, staged, lambda: removed)

        return until_unchanged(attempt)

    def _end_memberships(self, org_id: str) -> None:
        """Every membership's version moved on, before the org's tombstone: a Firebase custom
        token naming one is refused from then on by the rules library, which reads the
        membership alone (docs/decisions/0364-org-deletion.md); should the tombstone then
        fail, its members need only new tokens."""
        members = self._orgs.document(org_id).collection(MEMBERS)
        refs = [snap.reference for snap in members.select([]).stream(**BOUNDED)]
        for start in range(0, len(refs), MEMBERS_PER_COMMIT):
            batch = self._client.batch()
            for member in refs[start : start + MEMBERS_PER_COMMIT]:
                batch.update(member, {"version": new_member_version()})
            try:
                batch.commit(**BOUNDED)
            except exceptions.NotFound:
                raise Stale from None  # a member left meanwhile: read them again

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
            snap, data = org_snapshot(self._client, ref)
            if data is None or not is_live(data):
                if written is not None and snap.exists:
                    return written  # our commit went through; only its answer was lost
                raise org_gone()
            org = org_from_doc(org_id, data)
            check(org)  # the commit is guarded by this very read of the org
            self._end_memberships(org_id)
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
        if is_live(read_document(self._client, ref)):
            return  # only a tombstoned org is purged
        # What the org owns, each in batches of its own: an interrupted purge leaves a
        # smaller remainder, and the job runs again (docs/decisions/0364-org-deletion.md).
        delete_in_batches(self._client, ref.collection(MEMBERS), batch_size)
        definitions_ref(ref).delete(**BOUNDED)
        ref.delete(**BOUNDED)
