"""Users with username/email claim documents, kept consistent by atomic commits."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache
from typing import Any, Protocol

from application.ports import (
    NO_TOKEN_VERSION_COPIES,
    NO_WRITES,
    StagedWrites,
    TokenVersionCopies,
)
from domain.accounts.credentials import Email, Username
from domain.accounts.guest.part import EVERY_GUEST_SHARD
from domain.accounts.identities import PhoneNumber
from domain.accounts.profile import PROFILE_TEXTS
from domain.accounts.users import BreachCheck, Role, User, holding
from domain.errors import Conflict, NotFound
from infrastructure.firestore.client import (
    BOUNDED,
    claim_id,
    read_document,
    read_documents,
)
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.library_reads import batch_of
from infrastructure.firestore.optimistic import unchanged_since, until_unchanged
from infrastructure.firestore.reads import Stale, Write
from infrastructure.firestore.sdk import exceptions, firestore

USERS, USERNAMES, EMAILS = "users", "usernames", "emails"
PHONE_NUMBERS = "phone_numbers"  # a proven number's claim: E.164 -> user_id
IDENTITIES = "identities"  # {provider}:{subject} -> user_id; see firestore/identities.py
ACTION_TOKENS, MAIL_SENDS = "action_tokens", "mail_sends"  # see firestore/action_tokens.py
NEW_DEVICE_MAILS = "new_device_mails"  # see firestore/new_device_mails.py
SESSIONS = "sessions"  # see firestore/signin/sessions.py; a password change keeps one


class StagedWriter(Protocol):
    """Adds what ``staged`` stores (a change's security events and their webhook deliveries)
    to ``batch``, the commit of the change they record (docs/decisions/
    0169-events-in-the-change-commit.md): events' Firestore mapping
    (infrastructure/firestore/events/security_events.py, ``write_staged``), handed in by the
    composition, as the accounts' and sessions' repositories sit below events."""

    def __call__(
        self, client: firestore.Client, batch: firestore.WriteBatch, staged: StagedWrites
    ) -> None: ...


# Read in place of a user when a login names nobody, so both paths cost two reads.
_TIMING_PARITY_ID = "absent-user-timing-parity"


def claims_for(login_key: str) -> str:
    return EMAILS if "@" in login_key else USERNAMES


def past_prefix(prefix: str) -> str | None:
    """The least string after every string that starts with ``prefix``; None when there is
    none (no prefix). Firestore orders strings by their UTF-8 bytes, which is code-point
    order, so a fixed end such as ``prefix + "\\uf8ff"`` would miss keys that go on with a
    character past U+F8FF (a Han ideograph of the supplementary planes, say)."""
    chars = list(prefix)
    while chars:
        following = ord(chars.pop()) + 1
        if following == 0xD800:
            following = 0xE000  # surrogates are no characters of a stored string
        if following <= 0x10FFFF:
            return "".join(chars) + chr(following)
    return None


def user_to_doc(user: User) -> dict[str, Any]:
    """The account's document: its core fields, then its parts' as they are (each unit's
    part wrote its own: docs/contributing.md, "User parts")."""
    return {**user.parts, **_core_fields(user)}


def _core_fields(user: User) -> dict[str, Any]:
    return {
        "username": user.username.value if user.username else None,
        "username_normalized": user.username.normalized if user.username else None,
        "email": user.email.value if user.email else None,
        "email_normalized": user.email.normalized if user.email else None,
        "email_verified": user.email_verified,
        "email_version": user.email_version,
        **user.texts(),
        "full_name": user.full_name,
        "attributes": dict(user.attributes),
        "locale": user.locale,
        "time_zone": user.time_zone,
        "role": user.role.value,
        "password_hash": user.password_hash,
        "token_version": user.token_version,
        "device_generation": user.device_generation,
        "has_signed_in": user.has_signed_in,
        "breach_checked_at": user.breach.checked_at,
        "password_breached": user.breach.breached,
        "disabled": user.disabled,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
        "deleted_at": user.deleted_at,
        "deleting": user.deleted_at is not None,
    }


# A count the adapters keep on the document, no field of the account: a change of its ways in
# bumps it, so that the account's document changes with them (firestore/accounts/identities.py).
LINK_CHANGES = "link_changes"


@cache
def core_fields() -> frozenset[str]:
    """What the core writes of every account, whatever its parts, and what the adapters keep
    there: the rest of a document is the parts'. Listed by the first account read, not at
    import: the sample account's username loads the look-alike table
    (``domain/confusables.py``, about 30 ms), which a read of an account loads anyway."""
    an_account = User("-", Username("core"), None, Role.USER, None, datetime.min, datetime.min)
    return frozenset({*_core_fields(an_account), LINK_CHANGES})


def user_from_doc(user_id: str, data: dict[str, Any]) -> User:
    return User(
        id=user_id,
        username=Username(data["username"]) if data.get("username") else None,
        email=Email(data["email"]) if data.get("email") else None,
        role=Role(data["role"]),
        password_hash=data.get("password_hash"),
        created_at=data["created_at"],
        updated_at=data["updated_at"],
        **{text: data.get(text) for text in PROFILE_TEXTS},
        token_version=data.get("token_version", 0),
        disabled=data.get("disabled", False),
        deleted_at=data.get("deleted_at"),
        email_verified=data.get("email_verified", False),
        device_generation=data.get("device_generation", 0),
        locale=data.get("locale"),
        time_zone=data.get("time_zone"),
        email_version=data.get("email_version", 0),
        # Accounts stored before the field existed are taken to have signed in.
        has_signed_in=data.get("has_signed_in", True),
        full_name=data.get("full_name"),
        breach=BreachCheck(data.get("breach_checked_at"), data.get("password_breached", False)),
        attributes=data.get("attributes") or {},
        parts={name: value for name, value in data.items() if name not in core_fields()},
    )


_TAKEN = {
    USERNAMES: ("username_taken", "username", "username"),
    EMAILS: ("email_taken", "email", "email"),
    PHONE_NUMBERS: ("phone_number_taken", "phone_number", "phone number"),
}


def _conflict(collection: str) -> Conflict:
    code, field, said = _TAKEN[collection]
    return Conflict(f"This {said} is already registered.", code=code, field=field)


# A string: firestore.DocumentReference is the client library's, loaded on first use
# (docs/decisions/0432-the-cloud-sdk-on-first-use.md), not when this module is.
type Claims = "list[tuple[str, firestore.DocumentReference]]"


def claims_of(client: firestore.Client, user: User) -> Claims:
    """The claim documents of the account's username and (when it has them) address and
    proven phone number."""
    claims: Claims = []
    if user.username is not None:  # a guest claims no name
        claims.append(
            (USERNAMES, client.collection(USERNAMES).document(claim_id(user.username.normalized)))
        )
    if user.email is not None:  # an account without an address claims none
        claims.append((EMAILS, client.collection(EMAILS).document(claim_id(user.email.normalized))))
    number = user.part(PhoneNumber).proven
    if number is not None:  # an unproven number claims nothing
        claims.append((PHONE_NUMBERS, client.collection(PHONE_NUMBERS).document(claim_id(number))))
    return claims


def account_writes(client: firestore.Client, user: User) -> list[Write]:
    """A new account and its claims, as creates of one commit: the account exists iff it
    holds them."""
    return [
        Write(f"{USERS}/{user.id}", user_to_doc(user), create=True),
        *(
            Write(ref.path, {"user_id": user.id, "kind": collection}, create=True)
            for collection, ref in claims_of(client, user)
        ),
    ]


def taken_claim(
    claims: Claims,
    snaps: dict[str, firestore.DocumentSnapshot[firestore.DocumentReference]],
    user_id: str,
) -> Conflict | None:
    """The Conflict of the first of ``claims`` another account holds, as ``snaps`` (by
    path) read them; None when none is."""
    for collection, ref in claims:
        snap = snaps.get(ref.path)
        if snap is not None and snap.exists and (snap.to_dict() or {}).get("user_id") != user_id:
            return _conflict(collection)
    return None


@translates_errors
class FirestoreUserRepository:
    def __init__(
        self,
        client: firestore.Client,
        *,
        write_staged: StagedWriter,
        owned: Sequence[tuple[str, str]] = (
            (SESSIONS, "user_id"),
            (IDENTITIES, "user_id"),
            (ACTION_TOKENS, "user_id"),
            (MAIL_SENDS, "user_id"),
            (NEW_DEVICE_MAILS, "user_id"),
        ),
        copies: TokenVersionCopies = NO_TOKEN_VERSION_COPIES,
    ) -> None:
        self._client = client
        # The memberships' copies of token_version, moved before the account's own and once
        # more after it (a membership joined meanwhile): the rules library reads them alone.
        self._copies = copies
        self._users = client.collection(USERS)
        self._owned = owned  # (collection, owner field) purged with the user
        self._write_staged = write_staged  # a change's events, in its commit

    def _claim(self, collection: str, normalized: str) -> firestore.DocumentReference:
        return self._client.collection(collection).document(claim_id(normalized))

    def _claims_of(self, user: User) -> Claims:
        return claims_of(self._client, user)

    def _taken_claim(self, claims: Claims, user_id: str) -> Conflict | None:
        snaps = {
            snap.reference.path: snap
            for snap in self._client.get_all([ref for _, ref in claims], **BOUNDED)
        }
        return taken_claim(claims, snaps, user_id)

    def _holds_claims(self, user: User) -> bool:
        refs = [ref for _, ref in self._claims_of(user)]
        snaps = self._client.get_all(refs, **BOUNDED)
        return all(s.exists and (s.to_dict() or {}).get("user_id") == user.id for s in snaps)

    def add(self, user: User, staged: StagedWrites = NO_WRITES) -> None:
        claims = self._claims_of(user)

        def attempt() -> None:
            # One atomic commit of three creates (and the staged events): the user exists
            # iff it holds both claims. No reads, so parallel registrations do not contend
            # for locks; the losers' commits fail with AlreadyExists and we look up which
            # claim was taken.
            batch = batch_of(self._client, account_writes(self._client, user))
            self._write_staged(self._client, batch, staged)
            try:
                batch.commit(**BOUNDED)  # a retried commit that had succeeded: see below
            except exceptions.AlreadyExists:
                if self._holds_claims(user):
                    return  # our own commit went through; only its answer was lost
                conflict = self._taken_claim(claims, user.id)
                if conflict is not None:
                    raise conflict from None
                raise Stale from None  # the holder was deleted between our commit and read

        until_unchanged(attempt)  # an Aborted commit wrote nothing: it is sent again

    def get(self, user_id: str) -> User | None:
        data = read_document(self._client, self._users.document(user_id))
        return user_from_doc(user_id, data) if data is not None else None

    def get_many(self, user_ids: Sequence[str]) -> dict[str, User]:
        wanted = list(dict.fromkeys(user_ids))
        if not wanted:
            return {}
        found = read_documents(self._client, [self._users.document(each) for each in wanted])
        return {
            user_id: user_from_doc(user_id, data)
            for user_id, data in zip(wanted, found, strict=True)
            if data is not None
        }

    def find_by_login(self, key: str) -> User | None:
        claim = read_document(self._client, self._claim(claims_for(key), key))
        user_id = claim.get("user_id") if claim is not None else None
        return holding(self.live(user_id), key)

    def find_by_phone_number(self, number: str) -> User | None:
        claim = read_document(self._client, self._claim(PHONE_NUMBERS, number))
        user = self.live(claim.get("user_id") if claim is not None else None)
        return user if user is not None and user.part(PhoneNumber).proven == number else None

    def live(self, user_id: str | None) -> User | None:
        """The user unless absent or deleted; for None, a read of a document that never
        exists, so that both paths cost the same."""
        user = self.get(user_id or _TIMING_PARITY_ID)
        if user_id is None or user is None or user.deleted_at is not None:
            return None
        return user

    def _change_batch(
        self,
        ref: firestore.DocumentReference,
        read_at: Any,
        old: User,
        new: User,
        keep_session: str | None,
    ) -> tuple[firestore.WriteBatch, list[tuple[str, firestore.DocumentReference]]]:
        """One commit that turns ``old`` into ``new`` if the account is unchanged since
        ``read_at``, moving the claims of a changed name, address or proven phone number; and
        the new claims."""
        # An account without an address (or a proven number) holds no claim of it, so a
        # first one has nothing to release, and a number removed has no claim to take.
        moved = [
            (
                collection,
                self._claim(collection, before) if before is not None else None,
                self._claim(collection, after) if after is not None else None,
            )
            for collection, before, after in (
                (
                    USERNAMES,
                    old.username.normalized if old.username else None,
                    new.username.normalized if new.username else None,
                ),
                (
                    EMAILS,
                    old.email.normalized if old.email else None,
                    new.email.normalized if new.email else None,
                ),
                (PHONE_NUMBERS, old.part(PhoneNumber).proven, new.part(PhoneNumber).proven),
            )
            if before != after
        ]
        batch = self._client.batch()
        released = [before for _, before, _ in moved if before is not None]
        if released:
            # The old claims are read first: a claim under a key of an older rule may be
            # another account's (docs/decisions/0052-look-alike-usernames.md).
            for claim in self._client.get_all(released, **BOUNDED):
                if claim.exists and (claim.to_dict() or {}).get("user_id") == old.id:
                    batch.delete(claim.reference)
        for collection, _, after in moved:
            if after is not None:
                batch.create(after, {"user_id": old.id, "kind": collection})
        batch.update(
            ref, user_to_doc(new), option=self._client.write_option(last_update_time=read_at)
        )
        if keep_session and new.token_version != old.token_version:
            batch.update(
                self._client.collection(SESSIONS).document(keep_session),
                {"token_version": new.token_version},
            )
        return batch, [(collection, after) for collection, _, after in moved if after is not None]

    def update(
        self, user_id: str, change: Callable[[User], User], *, keep_session: str | None = None
    ) -> User:
        # Compare-and-set, not a read-write transaction: the user document is read without a
        # lock and written back with a precondition on its update time, and a new claim is a
        # blind create in the same commit. Thirty accounts renaming themselves to one free
        # name then get one success and 29 immediate AlreadyExists (409), instead of locking
        # the target claim against each other until the retry budget runs out
        # (docs/decisions/0060-renames-by-compare-and-set.md).
        ref = self._users.document(user_id)
        written: User | None = None  # our last commit, whose answer may have been lost
        keep = keep_session
        revokes = False  # whether the change moves token_version

        def attempt() -> User:
            nonlocal written, keep, revokes
            snap = ref.get(**BOUNDED)
            data = snap.to_dict() or {}
            if not snap.exists or data.get("deleted_at") is not None:
                raise NotFound("The account no longer exists.", code="user_not_found")
            old = user_from_doc(user_id, data)
            if written is not None and old == written:
                return written  # it went through; only its answer was lost
            new = change(old)
            revokes = new.token_version != old.token_version
            if revokes:
                self._copies.hold(user_id, new.token_version)
            batch, claimed = self._change_batch(ref, snap.update_time, old, new, keep)
            try:
                batch.commit(**BOUNDED)
            except exceptions.AlreadyExists:
                # A new claim is held. By another account: 409; by this one, only if our
                # own earlier commit went through, which the next read tells.
                taken = self._taken_claim(claimed, user_id)
                if taken is not None:
                    raise taken from None
                written = new
                raise Stale from None
            except exceptions.NotFound:
                # The account went (the next read says so), or the session to keep has
                # ended meanwhile: the change still applies, with no session to keep.
                if keep is not None and not self._session_exists(keep):
                    keep = None
                raise Stale from None
            return new

        changed = until_unchanged(attempt)
        if revokes:
            self._copies.hold(user_id, changed.token_version)
        return changed

    def _session_exists(self, session_id: str) -> bool:
        return bool(self._client.collection(SESSIONS).document(session_id).get(**BOUNDED).exists)

    def list_page(self, after: str | None, limit: int) -> list[User]:
        query = self._users.where(filter=firestore.FieldFilter("deleting", "==", False)).order_by(
            "__name__"
        )
        if after is not None:
            query = query.start_after({"__name__": self._users.document(after)})
        snaps = query.limit(limit).stream(**BOUNDED)
        return [user_from_doc(snap.id, snap.to_dict() or {}) for snap in snaps]

    def list_admins(self, limit: int) -> list[User]:
        # Two equalities: Firestore merges the single-field indexes, no composite one.
        query = self._users.where(filter=firestore.FieldFilter("deleting", "==", False))
        query = query.where(filter=firestore.FieldFilter("role", "==", "admin"))
        snaps = query.order_by("__name__").limit(limit).stream(**BOUNDED)
        return [user_from_doc(snap.id, snap.to_dict() or {}) for snap in snaps]

    def list_by_prefix(self, prefix: str, after: str | None, limit: int) -> list[User]:
        # Composite indexes (firestore.indexes.json): deleting + username_normalized, and
        # deleting + email_normalized. A key is one live account's (its claim), so the key
        # alone is the position.
        field = "email_normalized" if "@" in prefix else "username_normalized"
        query = self._users.where(filter=firestore.FieldFilter("deleting", "==", False))
        query = query.where(filter=firestore.FieldFilter(field, ">=", prefix))
        if after is not None:
            query = query.where(filter=firestore.FieldFilter(field, ">", after))
        bound = past_prefix(prefix)
        if bound is not None:
            query = query.where(filter=firestore.FieldFilter(field, "<", bound))
        snaps = query.order_by(field).limit(limit).stream(**BOUNDED)
        return [user_from_doc(snap.id, snap.to_dict() or {}) for snap in snaps]

    def mark_deleted(self, user_id: str, now: datetime) -> User | None:
        # Compare-and-set like ``update``, not a read-write transaction: thirty parallel
        # deletions of one account, or one racing a rename, locked the account against
        # each other until the retry budget ran out (docs/decisions/0061).
        ref = self._users.document(user_id)

        def attempt() -> User | None:
            snap = ref.get(**BOUNDED)
            if not snap.exists:
                return None
            user = user_from_doc(user_id, snap.to_dict() or {})
            if user.deleted_at is not None:
                return user
            batch = self._client.batch()
            for claim in self._client.get_all([r for _, r in self._claims_of(user)], **BOUNDED):
                if claim.exists and (claim.to_dict() or {}).get("user_id") == user_id:
                    batch.delete(claim.reference, option=unchanged_since(claim))
            # No token of a deleted account is at this version: its memberships refuse them.
            self._copies.hold(user_id, user.token_version + 1)
            tombstone = {"deleted_at": now, "deleting": True, "updated_at": now}
            batch.update(ref, tombstone, option=unchanged_since(snap))
            try:
                batch.commit(**BOUNDED)
            except exceptions.NotFound:
                raise Stale from None  # purged meanwhile: the next read says so
            return user

        return until_unchanged(attempt)

    def purge(self, user_id: str, batch_size: int) -> None:
        for collection, owner_field in self._owned:
            query = (
                self._client.collection(collection)
                .where(filter=firestore.FieldFilter(owner_field, "==", user_id))
                .limit(batch_size)
            )
            while True:
                refs = [snap.reference for snap in query.select([]).stream(**BOUNDED)]
                if not refs:
                    break
                batch = self._client.batch()
                for doc_ref in refs:
                    batch.delete(doc_ref)
                batch.commit(**BOUNDED)  # deletes are idempotent: retry is safe
        self._users.document(user_id).delete(**BOUNDED)

    def expired_guests(self, now: datetime, limit: int) -> list[str]:
        # Composite index: shard + guest_expires_at, every shard in one query (its
        # disjunction merged by expiry); only the ids are read.
        query = (
            self._users.where(filter=firestore.FieldFilter("shard", "in", EVERY_GUEST_SHARD))
            .where(filter=firestore.FieldFilter("guest_expires_at", "<=", now))
            .order_by("guest_expires_at")
            .select([])
            .limit(limit)
        )
        return [snap.id for snap in query.stream(**BOUNDED)]

    def pending_deletions(self, limit: int) -> list[str]:
        query = self._users.where(filter=firestore.FieldFilter("deleting", "==", True)).limit(limit)
        return [snap.id for snap in query.select([]).stream(**BOUNDED)]
