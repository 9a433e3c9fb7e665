"""Users moving in and out in bulk: an import's batches and an export's stream.

A new user is the documents a registration writes (the user, its ``usernames`` and
``emails`` claims, ``phone_numbers`` for a proven number) and its identity links
(``identities/{provider}:{subject}``, as firestore/identities.py writes them), all created
in one commit with others', up to Firestore's 500 writes; several commits go at once. A
commit that meets a document created meanwhile (by another import of the same file, a
sign-up), or that Firestore aborts for contention, writes nothing: what is held is read for
the whole group in one go, those users stay out, and the rest are committed again; one
commit each only after commits refused with nothing held (docs/migrating.md).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from application.migration.ports import Holders, ImportedUser, Link
from domain.accounts.identities import PhoneNumber
from domain.accounts.users import User
from domain.errors import Conflict
from infrastructure.firestore.accounts.users import (
    EMAILS,
    IDENTITIES,
    PHONE_NUMBERS,
    USERNAMES,
    USERS,
    claims_of,
    user_from_doc,
    user_to_doc,
)
from infrastructure.firestore.client import BOUNDED, claim_id
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.reads import MAX_ABORTED_COMMITS, pause_after_abort
from infrastructure.firestore.sdk import exceptions, firestore

MAX_WRITES = 500  # one commit's limit
COMMITS_AT_ONCE = 4
# A read that ran into its deadline is sent again, this many times in all: an import is a
# batch job that should not stop for one slow answer, and a read sent again changes nothing.
READ_ATTEMPTS = 3
_TAKEN = {
    USERS: "id_taken",
    USERNAMES: "username_taken",
    EMAILS: "email_taken",
    PHONE_NUMBERS: "phone_number_taken",
    IDENTITIES: "identity_taken",
}


@translates_errors
class FirestoreUserMoves:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._pool = ThreadPoolExecutor(COMMITS_AT_ONCE, thread_name_prefix="user-moves")

    def _get_all(self, refs: list[firestore.DocumentReference]) -> list[Any]:
        """The snapshots of ``refs``; a read past its deadline is tried again (imports of one
        file at once, committing the same documents, made single reads take seconds)."""
        for attempt in range(1, READ_ATTEMPTS):
            try:
                return list(self._client.get_all(refs, **BOUNDED))
            except exceptions.DeadlineExceeded:
                pause_after_abort(attempt)
        return list(self._client.get_all(refs, **BOUNDED))

    def _ref(self, collection: str, key: str) -> firestore.DocumentReference:
        document = key if collection == USERS else claim_id(key)
        return self._client.collection(collection).document(document)

    def _link_ref(self, link: Link) -> firestore.DocumentReference:
        return self._ref(IDENTITIES, f"{link.provider}:{link.subject}")

    def holders(
        self,
        ids: Sequence[str],
        usernames: Sequence[str],
        emails: Sequence[str],
        phone_numbers: Sequence[str] = (),
    ) -> Holders:
        asked = (
            (USERS, ids),
            (USERNAMES, usernames),
            (EMAILS, emails),
            (PHONE_NUMBERS, phone_numbers),
        )
        wanted = [
            self._ref(collection, key)
            for collection, values in asked
            for key in dict.fromkeys(values)
        ]
        found = Holders()
        if not wanted:
            return found
        keys: dict[str, tuple[str, str]] = {}
        for collection, values in asked:
            for key in values:
                keys[self._ref(collection, key).path] = (collection, key)
        tables = {
            USERNAMES: found.usernames,
            EMAILS: found.emails,
            PHONE_NUMBERS: found.phone_numbers,
        }
        for snap in self._get_all(wanted):
            if not snap.exists:
                continue
            collection, key = keys[snap.reference.path]
            data = snap.to_dict() or {}
            if collection == USERS:
                found.users[key] = user_from_doc(key, data)
            elif isinstance(data.get("user_id"), str):
                tables[collection][key] = data["user_id"]
        return found

    def _documents(
        self, arrival: ImportedUser
    ) -> list[tuple[str, firestore.DocumentReference, dict[str, Any]]]:
        user = arrival.user
        documents = [(USERS, self._ref(USERS, user.id), user_to_doc(user))]
        # The claims a registration writes: name, address, proven number
        for collection, ref in claims_of(self._client, user):
            documents.append((collection, ref, {"user_id": user.id, "kind": collection}))
        for link in dict.fromkeys(arrival.links):
            documents.append((IDENTITIES, self._link_ref(link), _link_doc(user, link)))
        return documents

    def _commit(self, arrivals: Sequence[ImportedUser]) -> bool:
        """Were they written? False when Firestore refused the commit, which then wrote
        nothing: a document of it exists already, or it was aborted for contention (the
        emulator's lock timeout when imports of one file write the same documents)."""
        batch = self._client.batch()
        for arrival in arrivals:
            for _, ref, data in self._documents(arrival):
                batch.create(ref, data)
        try:
            batch.commit(**BOUNDED)
        except (exceptions.AlreadyExists, exceptions.Aborted):
            return False
        return True

    def _held(self, arrivals: Sequence[ImportedUser]) -> list[Conflict | None]:
        """Per arrival, what of its documents someone else holds now (one read for all)."""
        documents = [self._documents(arrival) for arrival in arrivals]
        refs = [ref for docs in documents for _, ref, _ in docs]
        snaps = {s.reference.path: s for s in self._get_all(refs)}
        outcomes: list[Conflict | None] = []
        for arrival, docs in zip(arrivals, documents, strict=True):
            held = [
                collection
                for collection, ref, _ in docs
                if snaps[ref.path].exists
                and (
                    collection == USERS
                    or (snaps[ref.path].to_dict() or {}).get("user_id") != arrival.user.id
                )
            ]
            outcomes.append(Conflict("Taken meanwhile.", code=_TAKEN[held[0]]) if held else None)
        return outcomes

    def _alone(self, arrival: ImportedUser) -> Conflict | None:
        for attempt in range(1, MAX_ABORTED_COMMITS + 1):
            if self._commit([arrival]):
                return None
            (held,) = self._held([arrival])
            if held is not None:
                return held
            pause_after_abort(attempt)  # aborted, or a document created and deleted meanwhile
        return Conflict("Its documents kept changing; import it again.", code="write_conflict")

    def _group(self, arrivals: Sequence[ImportedUser]) -> list[Conflict | None]:
        """Commit the group; when that is refused, read what is held now (by another import
        of the same file, a sign-up), leave those out and commit the rest again. Refused with
        nothing held (aborted for contention, or two links of one identity): again after a
        pause, and after MAX_ABORTED_COMMITS such refusals one user a commit."""
        outcomes: dict[int, Conflict | None] = {}
        pending = list(range(len(arrivals)))
        refused = 0
        while pending:
            if self._commit([arrivals[i] for i in pending]):
                outcomes.update(dict.fromkeys(pending))
                break
            held = self._held([arrivals[i] for i in pending])
            if not any(held):
                refused += 1
                if refused >= MAX_ABORTED_COMMITS:
                    outcomes.update({i: self._alone(arrivals[i]) for i in pending})
                    break
                pause_after_abort(refused)
                continue
            outcomes.update({i: c for i, c in zip(pending, held, strict=True) if c is not None})
            pending = [i for i, c in zip(pending, held, strict=True) if c is None]
        return [outcomes[i] for i in range(len(arrivals))]

    def add_all(self, arrivals: Sequence[ImportedUser]) -> list[Conflict | None]:
        groups: list[list[ImportedUser]] = [[]]
        writes = 0
        for arrival in arrivals:
            user = arrival.user
            claims = (user.email is not None) + (user.part(PhoneNumber).proven is not None)
            size = 2 + claims + len(set(arrival.links))
            if writes + size > MAX_WRITES and groups[-1]:
                groups.append([])
                writes = 0
            groups[-1].append(arrival)
            writes += size
        outcomes: list[Conflict | None] = []
        for result in self._pool.map(self._group, [g for g in groups if g]):
            outcomes.extend(result)
        return outcomes

    def link(self, user_id: str, links: Sequence[Link]) -> None:
        refs = [(link, self._link_ref(link)) for link in dict.fromkeys(links)]
        if not refs:
            return
        present = {s.reference.path for s in self._get_all([r for _, r in refs]) if s.exists}
        if all(ref.path in present for _, ref in refs):
            return  # all linked already (a second run of the same file)
        user = self._client.collection(USERS).document(user_id).get(**BOUNDED)
        if not user.exists:
            return
        account = user_from_doc(user_id, user.to_dict() or {})
        for link, ref in refs:
            if ref.path not in present:
                with contextlib.suppress(
                    exceptions.AlreadyExists
                ):  # linked meanwhile: theirs stays
                    ref.create(_link_doc(account, link), **BOUNDED)

    def stream(self, page_size: int) -> Iterator[tuple[User, tuple[Link, ...]]]:
        users = (
            self._client.collection(USERS)
            .where(filter=firestore.FieldFilter("deleting", "==", False))
            .order_by("__name__")
        )
        links = _pages(self._client.collection(IDENTITIES).order_by("user_id"), page_size)
        pending = next(links, None)
        for snap in _pages(users, page_size):
            held: list[Link] = []
            # Both run in the order of the user id: a link of no live user is passed over.
            while pending is not None and str((pending.to_dict() or {}).get("user_id")) <= snap.id:
                data = pending.to_dict() or {}
                if data.get("user_id") == snap.id:
                    held.append(
                        Link(str(data["provider"]), str(data["subject"]), data.get("email"))
                    )
                pending = next(links, None)
            yield user_from_doc(snap.id, snap.to_dict() or {}), tuple(held)

    def legacy_remaining(self) -> int:
        # A count aggregation: billed as one read per 1,000 entries of the index it counts,
        # no document read (docs/decisions/0576-legacy-accounts-counted.md).
        query = (
            self._client.collection(USERS)
            .where(filter=firestore.FieldFilter("legacy", "==", True))
            .where(filter=firestore.FieldFilter("deleting", "==", False))
        )
        # One row of one result: the SDK types a row as the result itself, a list at runtime.
        counted: Any = query.count(alias="n").get(**BOUNDED)
        return int(counted[0][0].value)


def _link_doc(user: User, link: Link) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "user_id": user.id,
        "provider": link.provider,
        "subject": link.subject,
        "created_at": user.updated_at,
    }
    if link.email is not None:
        doc["email"] = link.email
    return doc


def _pages(query: Any, page_size: int) -> Iterator[Any]:
    """Every document of ``query``, read ``page_size`` at a time (no stream held open)."""
    last = None
    while True:
        page = query.start_after(last) if last is not None else query
        snaps = list(page.limit(page_size).stream(**BOUNDED))
        yield from snaps
        if len(snaps) < page_size:
            return
        last = snaps[-1]
