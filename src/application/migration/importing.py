"""``users import``: users of another system (or of another firegate) become accounts here,
with the password hashes they have, checked at their next sign-in (docs/migrating.md).

The file is read as a stream and taken a batch at a time: the batch's ids, names and
addresses are looked up in one read, and its new users written in as few commits as
Firestore allows, each user with its claims and links in one commit (no partial user).
A record that is invalid, or whose id (without --update), name or address is taken, is
reported and skipped; running the same import again changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from application.accounts.accounts import UserRepository
from application.migration.ports import Holders, ImportedUser, UserMoves
from application.migration.records import Incoming, Reading, from_firebase, from_jsonl
from domain.accounts.credentials import Email, Username
from domain.accounts.identities import PhoneNumber
from domain.accounts.password_hashes import FirebaseScrypt, still_as_imported
from domain.accounts.users import User
from domain.errors import Conflict, DomainError, InvalidInput
from domain.migration.legacy import Legacy

BATCH = 250  # records looked up together
MAX_ERRORS = 100  # listed in the summary; every failure is counted
Position = tuple[Literal["line", "index"], int]


@dataclass(frozen=True)
class ImportUsers:
    format: Literal["firebase", "jsonl"]
    firebase: FirebaseScrypt | None = None  # the project's hash parameters, when given
    dry_run: bool = False
    update: bool = False


@dataclass
class ImportSummary:
    imported: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def fail(self, at: Position, user_id: str | None, reason: str) -> None:
        self.failed += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({at[0]: at[1], "id": user_id, "reason": reason})

    @property
    def done(self) -> int:
        return self.imported + self.updated + self.skipped + self.failed

    def as_json(self, *, dry_run: bool = False) -> dict[str, Any]:
        """The summary ``users import`` prints; a dry run's says so (``"dry_run": true``)."""
        summary: dict[str, Any] = {
            "imported": self.imported,
            "updated": self.updated,
            "skipped": self.skipped,
            "failed": self.failed,
            "errors": self.errors,
        }
        return {"dry_run": True, **summary} if dry_run else summary


def _reason(error: DomainError) -> str:
    return error.code


def _raw_id(raw: object, key: str) -> str | None:
    value = raw.get(key) if isinstance(raw, Mapping) else None
    return value if isinstance(value, str) else None


@dataclass
class _Batch:
    """One batch on its way in: what each record became, and what it reserves."""

    holders: Holders
    names: dict[str, str] = field(default_factory=dict)  # key -> id, of this batch's arrivals
    emails: dict[str, str] = field(default_factory=dict)
    phone_numbers: dict[str, str] = field(default_factory=dict)
    ids: set[str] = field(default_factory=set)

    def name_holder(self, key: str) -> str | None:
        return self.names.get(key) or self.holders.usernames.get(key)

    def email_holder(self, key: str) -> str | None:
        return self.emails.get(key) or self.holders.emails.get(key)

    def phone_holder(self, number: str) -> str | None:
        return self.phone_numbers.get(number) or self.holders.phone_numbers.get(number)

    def reserve(self, user: User) -> None:
        self.ids.add(user.id)
        if user.username is not None:  # a guest holds no name
            self.names[user.username.normalized] = user.id
        if user.email is not None:
            self.emails[user.email.normalized] = user.id
        number = user.part(PhoneNumber).proven
        if number is not None:
            self.phone_numbers[number] = user.id


def _free_name(incoming: Incoming, batch: _Batch) -> ImportedUser:
    """The arrival under a username nobody holds: its own, or for a Firebase user the next
    one made from its profile. Conflict (username_taken) when there is none."""
    arrival = incoming.arrival
    user = arrival.user
    names: Iterator[Username] = incoming.names or iter(())
    while user.username is not None and batch.name_holder(user.username.normalized) not in (
        None,
        user.id,
    ):
        following = next(names, None)
        if following is None:
            raise Conflict("This username is already registered.", code="username_taken")
        user = replace(user, username=following)
    return replace(arrival, user=user)


def _updated(existing: User, incoming: Incoming, now: Any) -> User:
    """The account as the file has it (its id and creation kept; a Firebase user keeps its
    username here, the file having none); sessions end with a new password or disabling.
    The file's password replaces the stored one only while that is still an import's,
    unused here: a password signed in with, changed or reset here stays
    (docs/decisions/0291-an-update-keeps-what-people-did-here.md)."""
    given = incoming.arrival.user
    changes: dict[str, object] = {**given.texts()}
    if incoming.names is None:
        changes["username"] = given.username
    if given.email is not None:
        changes["email"] = given.email
    user = existing.edited(changes, now)
    if given.full_name != user.full_name:  # a whole name, as a Firebase display name is
        user = replace(user, full_name=given.full_name, updated_at=now)
    if given.attributes and given.attributes != user.attributes:  # none given: kept
        user = replace(user, attributes=given.attributes, updated_at=now)
    if given.email is not None:
        user = user.with_email_verified_as(given.email_verified, now)
    number = given.part(PhoneNumber).proven
    if number is not None and number != user.part(PhoneNumber).proven:  # its claim moves
        user = user.with_part(PhoneNumber.proven_as(number), now)
    user = user.with_role(given.role, now).with_disabled(given.disabled, now)
    # A legacy account (no hash; its password checked by the hook) is still an import's.
    legacy, was_legacy = given.part(Legacy).is_legacy, existing.part(Legacy).is_legacy
    replaceable = was_legacy or still_as_imported(existing.password_hash, existing.has_signed_in)
    password = (given.password_hash, legacy)
    if replaceable and password != (existing.password_hash, was_legacy):
        user = replace(user, password_hash=given.password_hash)
        user = user.with_part(replace(user.part(Legacy), is_legacy=legacy)).ending_all_sessions(now)
    return user


def _holders(moves: UserMoves, users: list[User]) -> Holders:
    """Who holds the ids, names, addresses and proven numbers of ``users`` (one read)."""
    return moves.holders(
        [u.id for u in users],
        [u.username.normalized for u in users if u.username is not None],
        [u.email.normalized for u in users if u.email is not None],
        [n for u in users if (n := u.part(PhoneNumber).proven) is not None],
    )


def _same(a: User, b: User) -> bool:
    return replace(a, updated_at=b.updated_at) == b


class Importer:
    """One import under way: its summary, and what each batch of records does to it."""

    def __init__(
        self, cmd: ImportUsers, reading: Reading, moves: UserMoves, users: UserRepository
    ) -> None:
        self.cmd, self.reading, self.moves, self.users = cmd, reading, moves, users
        self.read = from_firebase if cmd.format == "firebase" else from_jsonl
        self.summary = ImportSummary()

    def batch(self, records: list[tuple[Position, Any]]) -> None:
        parsed: list[tuple[Position, Incoming]] = []
        for at, raw in records:
            try:
                if isinstance(raw, DomainError):  # the reader's: a line that is no JSON
                    raise raw
                if not isinstance(raw, Mapping):
                    raise InvalidInput("A user is a JSON object.", code="not_an_object")
                parsed.append((at, self.read(raw, self.reading)))
            except DomainError as error:
                key = "localId" if self.cmd.format == "firebase" else "id"
                self.summary.fail(at, _raw_id(raw, key), _reason(error))
        users = [incoming.arrival.user for _, incoming in parsed]
        batch = _Batch(_holders(self.moves, users))
        arrivals: list[tuple[Position, Incoming, ImportedUser]] = []
        for at, incoming in parsed:
            arrival = self.place(at, incoming, batch)
            if arrival is not None:
                arrivals.append((at, incoming, arrival))
        self.add(arrivals)

    def existing(self, incoming: Incoming, batch: _Batch) -> User | None:
        user = incoming.arrival.user
        if incoming.id_given:
            return batch.holders.users.get(user.id)
        # A line without an id is the account holding both its name and its address.
        if user.username is None:
            return None
        holder = batch.holders.usernames.get(user.username.normalized)
        email = user.email.normalized if user.email is not None else None
        if holder is not None and batch.holders.emails.get(email or "") == holder:
            return self.users.get(holder)
        return None

    def place(self, at: Position, incoming: Incoming, batch: _Batch) -> ImportedUser | None:
        """The arrival to add, or None once it is counted (skipped, updated or failed)."""
        user = incoming.arrival.user
        if user.id in batch.ids:
            self.summary.fail(at, user.id, "duplicate_id")
            return None
        existing = self.existing(incoming, batch)
        if existing is not None:
            batch.ids.add(existing.id)
            self.existing_user(at, existing, incoming)
            return None
        if user.email is not None and batch.email_holder(user.email.normalized) is not None:
            self.summary.fail(at, user.id, "email_taken")
            return None
        number = user.part(PhoneNumber).proven
        if number is not None and batch.phone_holder(number) is not None:
            self.summary.fail(at, user.id, "phone_number_taken")
            return None
        try:
            arrival = _free_name(incoming, batch)
        except Conflict as taken:
            self.summary.fail(at, user.id, taken.code)
            return None
        batch.reserve(arrival.user)
        return arrival

    def existing_user(self, at: Position, existing: User, incoming: Incoming) -> None:
        if existing.deleted_at is not None:
            self.summary.fail(at, existing.id, "id_taken")  # an account being deleted
            return
        if not self.cmd.update:
            self.summary.skipped += 1
            return
        now = self.reading.now
        changed = not _same(_updated(existing, incoming, now), existing)
        if not self.cmd.dry_run:
            try:
                if changed:
                    self.users.update(existing.id, lambda current: _updated(current, incoming, now))
                self.moves.link(existing.id, list(incoming.arrival.links))
            except DomainError as error:
                self.summary.fail(at, existing.id, _reason(error))
                return
        if changed:
            self.summary.updated += 1
        else:
            self.summary.skipped += 1

    def add(self, arrivals: list[tuple[Position, Incoming, ImportedUser]]) -> None:
        if self.cmd.dry_run:
            self.summary.imported += len(arrivals)
            return
        pending = arrivals
        while pending:
            outcomes = self.moves.add_all([arrival for _, _, arrival in pending])
            lost = []
            for (at, incoming, arrival), conflict in zip(pending, outcomes, strict=True):
                if conflict is None:
                    self.summary.imported += 1
                else:
                    lost.append((at, incoming, arrival, conflict))
            pending = self.taken_meanwhile(lost)

    def taken_meanwhile(
        self, lost: list[tuple[Position, Incoming, ImportedUser, Conflict]]
    ) -> list[tuple[Position, Incoming, ImportedUser]]:
        """The arrivals that met an id, name or address taken since their batch was read (by
        another import of the same file, or a sign-up): the record's account now there is
        any existing one (skipped, or updated); a Firebase user tries its next name; the
        rest are reported. What to try again."""
        if not lost:
            return []
        users = [incoming.arrival.user for _, incoming, _, _ in lost]
        batch = _Batch(_holders(self.moves, users))
        again: list[tuple[Position, Incoming, ImportedUser]] = []
        for at, incoming, arrival, conflict in lost:
            existing = self.existing(incoming, batch)
            if existing is not None:
                self.existing_user(at, existing, incoming)
                continue
            # A Firebase user's made name may be held by an account the read did not ask about.
            following = next(incoming.names, None) if incoming.names else None
            if conflict.code == "username_taken" and following is not None:
                user = replace(arrival.user, username=following)
                again.append((at, incoming, replace(arrival, user=user)))
            else:
                self.summary.fail(at, arrival.user.id, conflict.code)
        return again


def _no_progress(summary: ImportSummary) -> None:
    """Where an import's progress is told when nobody asks."""


@dataclass(frozen=True)
class ImportFile:
    """``users import``: its parameters; the file's records, each with its position in the
    file and the parsed JSON (or the reader's error); and what is told the summary after
    each batch."""

    cmd: ImportUsers
    records: Iterable[tuple[Position, Any]]
    progress: Callable[[ImportSummary], None] = _no_progress


@dataclass(frozen=True)
class CheckPassword:
    """``users import --check-password``: the import's parameters, and a user of the file
    whose password is known (a test account made before the export)."""

    cmd: ImportUsers
    email: str
    password: str
    records: Iterable[tuple[Position, Any]]  # the file's, as ``ImportFile.records``


HASH_PARAMETERS_MISMATCH = "hash_parameters_mismatch"


def email_key(raw: object) -> str | None:
    """The normalized address of a raw record, None where it has no valid one."""
    value = raw.get("email") if isinstance(raw, Mapping) else None
    if not isinstance(value, str):
        return None
    try:
        return Email(value).normalized
    except DomainError:
        return None
