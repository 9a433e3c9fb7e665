"""Moving users in and out (docs/migrating.md): ``UserMigration``, what the command line's
``users import`` and ``users export`` call, built once by ``bootstrap/migration.py``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from itertools import islice
from typing import Any

from application.accounts.accounts import ProfileSchemaSource, UserRepository
from application.accounts.addresses import AddressRule
from application.accounts.signups import Signups
from application.federation.providers import UpstreamProviders
from application.migration.importing import (
    BATCH,
    HASH_PARAMETERS_MISMATCH,
    CheckPassword,
    Importer,
    ImportFile,
    ImportSummary,
    email_key,
)
from application.migration.ports import UserMoves
from application.migration.records import Reading, from_firebase, from_jsonl, to_jsonl
from application.ports import Clock, PasswordHasher
from domain.accounts.credentials import Email
from domain.accounts.guest.part import GUEST_TTL
from domain.accounts.parts import UserPart
from domain.errors import InvalidInput, NotFound

EXPORT_PAGE = 500  # users read at a time by an export


@dataclass(frozen=True, kw_only=True, slots=True)
class UserMigration:
    """Users of another system (or of another firegate) imported as accounts, and every
    account exported in the shape the import reads.

    ``moves``: the users read and written in batches; ``providers``: the upstream
    providers configured here, whose identities an import links (the others are left
    out); ``addresses``: the rule an imported address follows, as a sign-up's does;
    ``schemas``: the profile schema imported attributes follow; ``signups``: the door
    every new account passes (its domain lists and the operator's hook, per user)."""

    moves: UserMoves
    users: UserRepository
    hasher: PasswordHasher
    clock: Clock
    providers: UpstreamProviders
    addresses: AddressRule
    schemas: ProfileSchemaSource
    signups: Signups
    guest_ttl: timedelta = GUEST_TTL  # an imported guest's (docs/guests.md)
    parts: Sequence[type[UserPart]] = ()  # the user parts, whose columns a line has

    def _reading(self, cmd: CheckPassword | ImportFile) -> Reading:
        provider_ids = frozenset(provider.id for provider in self.providers.list_all())
        return Reading(
            cmd.cmd.firebase,
            provider_ids,
            self.addresses.new,
            self.clock.now(),
            self.schemas.current(),
            self.signups.admit,
            self.guest_ttl,
            self.parts,
        )

    def import_users(self, cmd: ImportFile) -> ImportSummary:
        """Import every record; the summary counts each once."""
        importer = Importer(cmd.cmd, self._reading(cmd), self.moves, self.users)
        stream = iter(cmd.records)
        while chunk := list(islice(stream, BATCH)):
            importer.batch(chunk)
            cmd.progress(importer.summary)
        return importer.summary

    def export_users(self) -> Iterator[dict[str, Any]]:
        """``users export``: each live user, by id, read a page at a time, in the shape
        ``users import --format jsonl`` reads: its password hash as stored (argon2id, or the
        imported hash not yet re-hashed), its role, verified flag and linked identities;
        never a token, session, TOTP secret or passkey."""
        for user, links in self.moves.stream(EXPORT_PAGE):
            yield to_jsonl(user, links, self.parts)

    def legacy_remaining(self) -> int:
        """How many accounts are still ``legacy`` (``firegate_legacy_accounts_remaining``)."""
        return self.moves.legacy_remaining()

    def check_password(self, check: CheckPassword) -> None:
        """Before an import writes anything: the user of the file with this address, read as
        the import reads it, has a password hash that ``password`` matches. NotFound
        (``check_user_not_found``) when no record has the address; the record's own error
        when it would fail; InvalidInput (``hash_parameters_mismatch``) when its hash does not
        match (with Firebase hashes: a wrong hash key or salt separator, rounds or
        mem_cost)."""
        wanted = Email(check.email).normalized
        read = from_firebase if check.cmd.format == "firebase" else from_jsonl
        reading = self._reading(check)
        for _, raw in check.records:
            if email_key(raw) != wanted or not isinstance(raw, Mapping):
                continue
            password_hash = read(raw, reading).arrival.user.password_hash
            if password_hash is None:
                raise InvalidInput.field(
                    "check_password", "This user of the file has no password hash.", "no_password"
                )
            if not self.hasher.verify(password_hash, check.password):
                raise InvalidInput.field(
                    "check_password",
                    "The password does not match this user's hash: nothing was imported. With "
                    "a Firebase export, check --hash-key, --salt-separator, --rounds and "
                    "--mem-cost.",
                    HASH_PARAMETERS_MISMATCH,
                )
            return
        raise NotFound("No user of the file has this e-mail address.", code="check_user_not_found")


@dataclass(frozen=True, kw_only=True, slots=True)
class MigrationServices:
    """Users import and export (docs/migrating.md; ``services().of(MigrationServices).users``)."""

    users: UserMigration
