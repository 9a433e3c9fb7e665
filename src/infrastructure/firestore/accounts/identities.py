"""Links from external identities to users: ``identities/{provider}:{subject}`` -> user id.

A new user, its username and email claims and its identity link are written as one atomic
commit of four creates (like FirestoreUserRepository.add): parallel first sign-ins of one
Firebase user cannot make two accounts, since only one commit can create the link. Linking
an existing account (its takeover by the first proof of its address, a connection made while
signed in) is one commit too: the user's change, guarded by its update time, and the link's
create. Unlinking deletes links in a commit guarded by the user's update time as well, which
every link to an existing account moves: of parallel unlinks, each decides on the links the
previous one left (docs/reference/identities.md).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import asdict, fields
from datetime import UTC, datetime
from typing import Any

from application.ports import NO_TOKEN_VERSION_COPIES, TokenVersionCopies
from domain.accounts.identities import IdentityLink, PendingLink
from domain.accounts.users import User
from domain.errors import Conflict, NotFound
from infrastructure.firestore.accounts.users import (
    EMAILS,
    IDENTITIES,
    LINK_CHANGES,
    USERNAMES,
    USERS,
    claims_of,
    taken_claim,
    user_from_doc,
    user_to_doc,
)
from infrastructure.firestore.client import BOUNDED, claim_id, delete_in_batches
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.optimistic import unchanged_since, until_unchanged
from infrastructure.firestore.reads import Stale
from infrastructure.firestore.sdk import exceptions, firestore

PENDING_LINKS = "pending_links"  # identities waiting for their person to sign in (rule 3)


# Written with every change to an existing account's ways in (a link, a passkey deleted): a
# write that changes no field keeps the document's update time, which the next change's
# precondition then would not see move.
def ways_in_moved() -> dict[str, Any]:
    return {LINK_CHANGES: firestore.Increment(1)}


_TAKEN = {EMAILS: ("email_taken", "email"), USERNAMES: ("username_taken", "username")}


@translates_errors
class FirestoreIdentityRepository:
    def __init__(
        self, client: firestore.Client, *, copies: TokenVersionCopies = NO_TOKEN_VERSION_COPIES
    ) -> None:
        self._client = client
        # The memberships' copies of token_version, moved before a link's commit that moves
        # the account's (a claim by a provider's proof ends the earlier holder's tokens, the
        # Firebase ones the rules library checks too) and once more after it.
        self._copies = copies

    def _link(self, provider: str, subject: str) -> firestore.DocumentReference:
        # claim_id escapes '/' and the reserved '__…__' form; a uid may hold anything.
        return self._client.collection(IDENTITIES).document(claim_id(f"{provider}:{subject}"))

    def _live_user(self, user_id: object) -> User | None:
        if not isinstance(user_id, str) or not user_id:
            return None
        snap = self._client.collection(USERS).document(user_id).get(**BOUNDED)
        if not snap.exists:
            return None
        user = user_from_doc(snap.id, snap.to_dict() or {})
        return user if user.deleted_at is None else None

    def find_by_identity(self, provider: str, subject: str) -> User | None:
        snap = self._link(provider, subject).get(**BOUNDED)
        return self._live_user((snap.to_dict() or {}).get("user_id")) if snap.exists else None

    def _link_doc(
        self,
        user_id: str,
        provider: str,
        subject: str,
        email: str | None,
        at: datetime,
        *,
        made_unproven: bool = False,
    ) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "user_id": user_id,
            "provider": provider,
            "subject": subject,
            "email": email,
            "created_at": at,
        }
        if made_unproven:
            doc["made_unproven"] = True
        return doc

    def add_with_identity(
        self, user: User, provider: str, subject: str, email: str | None = None
    ) -> User:
        link = self._link(provider, subject)
        if user.email is None or user.username is None:
            raise ValueError("a linked account has the address its provider verified")
        claims = [
            (EMAILS, self._client.collection(EMAILS).document(claim_id(user.email.normalized))),
            (
                USERNAMES,
                self._client.collection(USERNAMES).document(claim_id(user.username.normalized)),
            ),
        ]
        for _ in range(4):
            batch = self._client.batch()
            batch.create(self._client.collection(USERS).document(user.id), user_to_doc(user))
            for collection, ref in claims:
                batch.create(ref, {"user_id": user.id, "kind": collection})
            # An account made with an address its provider did not verify (rule 5).
            made_unproven = not user.email_verified
            batch.create(
                link,
                self._link_doc(
                    user.id, provider, subject, email, user.created_at, made_unproven=made_unproven
                ),
            )
            try:
                batch.commit(**BOUNDED)
                return user
            except exceptions.AlreadyExists:
                pass
            # Something was taken. The link is looked at first: when a parallel sign-in of the
            # same person won, its email claim is taken too, and that is not a conflict.
            refs = [link] + [ref for _, ref in claims]
            snaps = {s.reference.path: s for s in self._client.get_all(refs, **BOUNDED)}
            linked = snaps.get(link.path)
            if linked is not None and linked.exists:
                holder = (linked.to_dict() or {}).get("user_id")
                if holder == user.id:
                    return user  # our own commit went through; only its answer was lost
                current = self._live_user(holder)
                if current is not None:
                    return current
                self._unlink_stale(linked)  # its account was deleted: the identity is free
                continue
            for collection, ref in claims:
                held = snaps.get(ref.path)
                owner = (held.to_dict() or {}).get("user_id") if held is not None else None
                if held is not None and held.exists and owner != user.id:
                    code, field = _TAKEN[collection]
                    raise Conflict(f"This {field} is already registered.", code=code, field=field)
            # The holder was deleted between our commit and our read: try again.
        raise Conflict("Sign-up conflicted repeatedly; try again.", code="conflict")

    def link_existing(
        self,
        user_id: str,
        provider: str,
        subject: str,
        change: Callable[[User], User | None],
        email: str | None = None,
    ) -> User | None:
        link = self._link(provider, subject)
        ref = self._client.collection(USERS).document(user_id)

        def attempt() -> User | None:
            read = self._read_to_link(ref, link)
            if not isinstance(read, tuple):
                return read
            user_snap, old = read
            new = change(old)
            if new is None:
                return None
            if (new.username, new.email) != (old.username, old.email):
                raise ValueError("a link leaves the names as they are")
            if new.token_version != old.token_version:
                moved.append(new.token_version)
                self._copies.hold(user_id, new.token_version)
            batch = self._client.batch()
            batch.update(
                ref, {**user_to_doc(new), **ways_in_moved()}, option=unchanged_since(user_snap)
            )
            batch.create(link, self._link_doc(user_id, provider, subject, email, new.updated_at))
            try:
                batch.commit(**BOUNDED)
            except exceptions.AlreadyExists:
                raise Stale from None  # linked meanwhile: the next read says to whom
            return new

        moved: list[int] = []  # the versions the attempts moved the account's to
        linked = until_unchanged(attempt)
        if moved and linked is not None and linked.id == user_id:
            self._copies.hold(user_id, linked.token_version)
        return linked

    def upgrade_with_identity(
        self,
        user_id: str,
        provider: str,
        subject: str,
        change: Callable[[User], User | None],
        email: str | None = None,
    ) -> User | None:
        # link_existing's commit, with the creates of the claims the guest takes (its username
        # and address): of parallel upgrades of one guest, the guard on its update time lets
        # one through, and each other reads again a guest that is none any more.
        link = self._link(provider, subject)
        ref = self._client.collection(USERS).document(user_id)

        def attempt() -> User | None:
            read = self._read_to_link(ref, link)
            if not isinstance(read, tuple):
                return read
            user_snap, old = read
            new = change(old)
            if new is None:
                return None
            if new.token_version != old.token_version:
                raise ValueError("an upgrade in place keeps the sessions")
            held = {ref.path for _, ref in claims_of(self._client, old)}
            taken = [(kind, c) for kind, c in claims_of(self._client, new) if c.path not in held]
            batch = self._client.batch()
            batch.update(
                ref, {**user_to_doc(new), **ways_in_moved()}, option=unchanged_since(user_snap)
            )
            for collection, claim in taken:
                batch.create(claim, {"user_id": user_id, "kind": collection})
            batch.create(
                link,
                self._link_doc(
                    user_id,
                    provider,
                    subject,
                    email,
                    new.updated_at,
                    made_unproven=not new.email_verified,
                ),
            )
            try:
                batch.commit(**BOUNDED)
            except exceptions.AlreadyExists:
                after = {
                    s.reference.path: s
                    for s in self._client.get_all([link] + [c for _, c in taken], **BOUNDED)
                }
                conflict = None if after[link.path].exists else taken_claim(taken, after, user_id)
                if conflict is not None:
                    raise conflict from None
                raise Stale from None  # linked meanwhile, or a holder gone: read again
            return new

        return until_unchanged(attempt)

    def _read_to_link(
        self, ref: firestore.DocumentReference, link: firestore.DocumentReference
    ) -> User | tuple[firestore.DocumentSnapshot[firestore.DocumentReference], User] | None:
        """The account and the identity's link, read together, for a commit that links them:
        the account's document and the account when it is live and the identity free; the
        live account the identity is linked to already (this commit, whose answer was lost,
        or a concurrent sign-in of the same person made the link); None when the account is
        gone. A link whose account was deleted is removed and Stale raised: read again."""
        snaps = {s.reference.path: s for s in self._client.get_all([ref, link], **BOUNDED)}
        user_snap, linked = snaps[ref.path], snaps[link.path]
        if linked.exists:
            current = self._live_user((linked.to_dict() or {}).get("user_id"))
            if current is not None:
                return current
            self._unlink_stale(linked)  # its account was deleted: the identity is free
            raise Stale
        data = user_snap.to_dict() or {}
        if not user_snap.exists or data.get("deleted_at") is not None:
            return None
        return user_snap, user_from_doc(ref.id, data)

    def _links_of(self, user_id: str) -> list[IdentityLink]:
        query = self._client.collection(IDENTITIES).where(
            filter=firestore.FieldFilter("user_id", "==", user_id)
        )
        links = [_link_from(snap.to_dict() or {}) for snap in query.stream(**BOUNDED)]
        return sorted((link for link in links if link is not None), key=_linked_order)

    def list_for(self, user_id: str) -> list[IdentityLink]:
        return self._links_of(user_id)

    def unlink(
        self,
        user_id: str,
        decide: Callable[[User, list[IdentityLink]], list[IdentityLink]],
        now: datetime,
    ) -> list[IdentityLink]:
        ref = self._client.collection(USERS).document(user_id)

        def attempt() -> list[IdentityLink]:
            # The user first: a link removed after this read moved the user's update time,
            # so this commit fails and reads again, and never decides on links already gone.
            snap = ref.get(**BOUNDED)
            data = snap.to_dict() or {}
            if not snap.exists or data.get("deleted_at") is not None:
                raise NotFound("This account does not exist.", code="user_not_found")
            going = decide(user_from_doc(user_id, data), self._links_of(user_id))
            batch = self._client.batch()
            batch.update(ref, {"updated_at": now, **ways_in_moved()}, option=unchanged_since(snap))
            for link in going:
                batch.delete(self._link(link.provider, link.subject))
            batch.commit(**BOUNDED)
            return going

        return until_unchanged(attempt)

    def _pending(self, key: str) -> firestore.DocumentReference:
        return self._client.collection(PENDING_LINKS).document(key)

    def hold(self, key: str, pending: PendingLink) -> None:
        # expires_at is the collection's TTL field (docs/operations.md).
        self._pending(key).set(asdict(pending), **BOUNDED)

    def pending(self, key: str) -> PendingLink | None:
        snap = self._pending(key).get(**BOUNDED)
        return _pending_from(snap.to_dict() or {}) if snap.exists else None

    def take(self, key: str) -> PendingLink | None:
        snap = self._pending(key).get(**BOUNDED)
        if not snap.exists:
            return None
        # Delete only the version read: of parallel takes, one deletes it, the others fail.
        option = self._client.write_option(last_update_time=snap.update_time)
        try:
            snap.reference.delete(option=option, **BOUNDED)
        except (exceptions.FailedPrecondition, exceptions.NotFound):
            return None
        return _pending_from(snap.to_dict() or {})

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        query = self._client.collection(IDENTITIES).where(
            filter=firestore.FieldFilter("user_id", "==", user_id)
        )
        delete_in_batches(self._client, query, batch_size)

    def _unlink_stale(self, snap: Any) -> None:
        # Delete only the version we read: a link made since by a racing request stays.
        option = self._client.write_option(last_update_time=snap.update_time)
        with contextlib.suppress(exceptions.FailedPrecondition, exceptions.NotFound):
            snap.reference.delete(option=option, **BOUNDED)


def _link_from(data: dict[str, Any]) -> IdentityLink | None:
    user_id, provider, subject = data.get("user_id"), data.get("provider"), data.get("subject")
    if not (isinstance(user_id, str) and isinstance(provider, str) and isinstance(subject, str)):
        return None
    email, at = data.get("email"), data.get("created_at")
    return IdentityLink(
        provider=provider,
        subject=subject,
        user_id=user_id,
        email=email if isinstance(email, str) else None,
        linked_at=at if isinstance(at, datetime) else datetime.min.replace(tzinfo=UTC),
        made_unproven=data.get("made_unproven") is True,
    )


def _linked_order(link: IdentityLink) -> tuple[datetime, str, str]:
    return (link.linked_at, link.provider, link.subject)


def _pending_from(data: dict[str, Any]) -> PendingLink | None:
    try:
        return PendingLink(**{name: data[name] for name in _PENDING_FIELDS})
    except KeyError:
        return None


_PENDING_FIELDS = tuple(field.name for field in fields(PendingLink))
