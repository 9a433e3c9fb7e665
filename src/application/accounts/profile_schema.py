"""The profile schema (``ProfileSchemas``): the deployment's custom attributes of an account,
from the ``PROFILE_SCHEMA`` file or else as admins stored it (docs/reference/accounts.md,
"Profile attributes"; docs/decisions/0484-profile-schema.md)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from application.accounts.accounts import Caller
from application.accounts.admin import require_admin
from domain.accounts.attributes import (
    EMPTY_SCHEMA,
    Attribute,
    AttributeValue,
    Matcher,
    PatternEngine,
    ProfileSchema,
)
from domain.accounts.users import User
from domain.errors import Conflict
from domain.slots import Slot

type Source = Literal["file", "admin", "none"]


class ProfileSchemaStore(Protocol):
    def get(self) -> Mapping[str, object] | None:
        """The schema document admins stored; None when there is none."""
        ...

    def put(self, document: Mapping[str, object]) -> None:
        """Store ``document`` in place of the one stored."""
        ...


@dataclass(frozen=True)
class ShowProfileSchema:
    actor: Caller


@dataclass(frozen=True)
class ReplaceProfileSchema:
    actor: Caller
    document: Mapping[str, object]


@dataclass(frozen=True)
class ShownSchema:
    """The schema in force, as its document, and where it comes from."""

    source: Source
    document: Mapping[str, object]


def _matches_nothing(text: str) -> bool:
    return False


# The accounts' slot for the scopes under which an attribute may be released as a claim:
# filled by the OpenID provider's record (its ``CLAIM_SCOPES``), above the accounts.
RELEASE_SCOPES = Slot[str]("the scopes an attribute is released under")


class ProfileSchemas:
    """The schema in force: the file's (``pinned``) when the deployment names one, else the
    one admins stored, else none (no attributes)."""

    def __init__(
        self,
        *,
        store: ProfileSchemaStore,
        pinned: Mapping[str, object] | None,
        scopes: Collection[str],
        claims: Collection[str],
        patterns: PatternEngine,
    ) -> None:
        """``pinned``: the document of the ``PROFILE_SCHEMA`` file, checked at start-up;
        ``scopes``: those an ``x-scope`` may name (the OpenID provider's); ``claims``: the
        names of the claims firegate gives, which no attribute released as one may take;
        ``patterns``: the engine of a ``pattern``, one that checks a value in linear time
        (docs/decisions/0504-schema-patterns-in-linear-time.md)."""
        self._store = store
        self._pinned = pinned
        self._scopes, self._claims = tuple(scopes), frozenset(claims)
        self._patterns = patterns
        self._pinned_schema = self._parsed(pinned) if pinned is not None else None

    def _parsed(self, document: Mapping[str, object]) -> ProfileSchema:
        schema = ProfileSchema.parse(document, patterns=self._patterns)
        schema.check_release(self._scopes, self._claims)
        return schema

    def current(self) -> ProfileSchema:
        """The schema the reads and writes of attributes follow."""
        if self._pinned_schema is not None:
            return self._pinned_schema
        stored = self._store.get()
        if stored is None:
            return EMPTY_SCHEMA
        return ProfileSchema.parse(stored, patterns=self._stored_pattern)

    def _stored_pattern(self, pattern: str) -> Matcher:
        """A stored schema's ``pattern``: one the engine does not take (stored while another
        engine checked them) matches no value, so its attribute's writes are refused and
        every read goes on until an admin replaces the schema."""
        try:
            return self._patterns(pattern)
        except ValueError:
            return _matches_nothing

    def readable(self, user: User, reader: str) -> dict[str, object]:
        """The attributes of ``user`` that ``reader`` (``user``: the person, ``admin``, ...)
        may read; the schema is read only for an account that holds some."""
        if not user.attributes:
            return {}
        return self.current().readable(user.attributes, reader)

    def released(self, user: User, scope: str) -> dict[str, object]:
        """The attributes of ``user`` released as claims to an app granted ``scope`` (space
        separated); the schema is read only for an account that holds some, and a claim
        firegate gives is never replaced (a schema stored before that was checked)."""
        if not user.attributes:
            return {}
        found = self.current().released(user.attributes, scope.split())
        return {name: value for name, value in found.items() if name not in self._claims}

    def claim_names(self) -> tuple[str, ...]:
        """The attributes released as claims, by name (an OpenID discovery document's
        ``claims_supported``): those with an ``x-scope``, none that a claim firegate gives
        takes."""
        return tuple(
            each.name
            for each in self.current().attributes
            if each.scope is not None and each.name not in self._claims
        )

    def writable(self, user: User, writer: str) -> list[tuple[Attribute, AttributeValue | None]]:
        """The attributes ``writer`` may write, in the schema's order, each with its value
        where ``writer`` may read it too (the account page's form)."""
        return [
            (each, user.attributes.get(each.name) if writer in each.read else None)
            for each in self.current().attributes
            if writer in each.write
        ]

    def read_only(self, user: User, reader: str) -> list[tuple[Attribute, AttributeValue | None]]:
        """The attributes ``reader`` may read but not write, in the schema's order, each
        with its value (None: not set): shown beside the form of ``writable``."""
        return [
            (each, user.attributes.get(each.name))
            for each in self.current().attributes
            if reader in each.read and reader not in each.write
        ]

    def show(self, cmd: ShowProfileSchema) -> ShownSchema:
        require_admin(cmd.actor)
        if self._pinned is not None:
            return ShownSchema("file", self._pinned)
        stored = self._store.get()
        return ShownSchema("admin", stored) if stored is not None else ShownSchema("none", {})

    def replace(self, cmd: ReplaceProfileSchema) -> ShownSchema:
        """A schema with something wrong is refused (422, naming it); the values stored
        under the attributes it drops or narrows are kept
        (docs/decisions/0484-profile-schema.md)."""
        require_admin(cmd.actor)
        if self._pinned is not None:
            raise Conflict(
                "The profile schema is the PROFILE_SCHEMA file's; change the file.",
                code="profile_schema_pinned",
            )
        self._parsed(cmd.document)
        self._store.put(cmd.document)
        return ShownSchema("admin", cmd.document)
