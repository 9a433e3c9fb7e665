"""User parts, the accounts' slot (docs/contributing.md, "User parts";
docs/decisions/0735-user-parts.md): a part round-trips through the account's document, the
fields of a part nobody reads stay as they are, and the door of every new account, the
export, the import and the admins' view iterate the parts the units contribute."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Self

import pytest
from flask.testing import FlaskClient

from application.accounts.services import AccountServices
from application.migration.ports import Link
from application.migration.records import Reading, from_jsonl, to_jsonl
from bootstrap.accounts_rules import user_parts
from domain.accounts.attributes import EMPTY_SCHEMA
from domain.accounts.credentials import Email, Username
from domain.accounts.guest.part import GUEST_PURGE_GRACE, GUEST_SHARDS, Guest
from domain.accounts.identities import PhoneNumber
from domain.accounts.parts import Row, UserPart
from domain.accounts.signups import ALLOWED
from domain.accounts.users import User
from domain.errors import InvalidInput
from domain.migration.legacy import Legacy
from infrastructure.firestore.accounts.users import user_from_doc, user_to_doc
from tests.support.admin_pages import browser, root, user
from tests.support.app import World
from tests.support.settings import make_settings

pytestmark = pytest.mark.unit
__all__ = ["root"]  # a fixture

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


@dataclass(frozen=True)
class Loyalty:
    """A unit's part of the tests' own: points on the account, a column of the export, a
    row of the admins' view."""

    points: int = 0

    @classmethod
    def read(cls, stored: Mapping[str, Any]) -> Self:
        return cls(stored.get("loyalty_points", 0))

    def stored(self, user_id: str) -> dict[str, Any]:
        return {"loyalty_points": self.points}

    @classmethod
    def imported(cls, line: Mapping[str, Any]) -> Self:
        points = line.get("loyalty_points", 0)
        if not isinstance(points, int):
            raise InvalidInput.field("loyalty_points", "A number.", "integer_type")
        return cls(points)

    def exported(self) -> dict[str, Any]:
        return {"loyalty_points": self.points} if self.points else {}

    def shown(self) -> tuple[Row, ...]:
        return (("Loyalty points", str(self.points)),)


def account(**parts: Any) -> User:
    made = User.register(
        id="u-1",
        username=Username("ann"),
        email=Email("ann@example.com"),
        password_hash=None,
        now=NOW,
        admitted=ALLOWED,
    )
    return replace(made, parts=parts)


@pytest.mark.parametrize(
    "record",
    [
        PhoneNumber.proven_as("+33612345678"),
        PhoneNumber("+33612345678", verified=False),
        Legacy(is_legacy=True, claim="c1", claim_until=NOW),
        Loyalty(7),
    ],
)
def test_a_part_round_trips_through_the_accounts_document(record: UserPart) -> None:
    made = account().with_part(record)
    doc = user_to_doc(made)
    assert {name: doc[name] for name in record.stored(made.id)} == record.stored(made.id)
    back = user_from_doc(made.id, doc)
    assert back == made and back.part(type(record)) == record


def test_a_guests_part_writes_the_sweeps_fields_from_its_id() -> None:
    guest = User.new_guest(id="g-1", now=NOW, admitted=ALLOWED, ttl=timedelta(days=30))
    doc = user_to_doc(guest)
    expires = NOW + timedelta(days=30)
    assert (doc["guest"], doc["guest_expires_at"], doc["merging_into"]) == (True, expires, None)
    assert doc["expires_at"] == expires + GUEST_PURGE_GRACE and 0 <= doc["shard"] < GUEST_SHARDS
    back = user_from_doc(guest.id, doc)
    assert back == guest and back.part(Guest) == Guest(is_guest=True, expires_at=expires)
    # Upgraded, it leaves none of them behind.
    upgraded = user_to_doc(replace(back, username=Username("ann")).with_part(Guest()))
    assert [upgraded[f] for f in ("guest", "guest_expires_at", "expires_at", "shard")] == [
        False,
        None,
        None,
        None,
    ]


def test_a_part_absent_from_the_document_reads_as_its_default() -> None:
    made = account()
    assert made.parts == {}
    assert (made.part(PhoneNumber), made.part(Guest), made.part(Legacy)) == (
        PhoneNumber(),
        Guest(),
        Legacy(),
    )


def test_the_fields_of_a_part_nobody_reads_are_kept_as_they_are() -> None:
    doc = user_to_doc(account(loyalty_points=7, loyalty_since=NOW))
    read = user_from_doc("u-1", doc)
    assert read.parts == {"loyalty_points": 7, "loyalty_since": NOW}
    # Another part changed, and the core: the unread fields are written back unchanged.
    changed = read.with_part(PhoneNumber.proven_as("+33612345678")).rehashed("h$2", NOW)
    written = user_to_doc(changed)
    assert (written["loyalty_points"], written["loyalty_since"]) == (7, NOW)
    assert written["password_hash"] == "h$2" and written["phone_number"] == "+33612345678"


def test_a_part_cannot_overwrite_a_core_field() -> None:
    doc = user_to_doc(account(password_hash="planted", role="admin"))
    assert (doc["password_hash"], doc["role"]) == (None, "user")


def test_the_units_contribute_the_phone_guest_and_legacy_parts_in_their_order() -> None:
    assert user_parts(make_settings()) == (PhoneNumber, Guest, Legacy)


def test_the_door_gives_a_new_account_every_parts_default_under_its_own() -> None:
    door = replace(ALLOWED, parts=(PhoneNumber(), Guest(), Legacy()))
    guest = User.new_guest(id="g-1", now=NOW, admitted=door)
    assert guest.part(Guest).is_guest  # its own part kept
    doc = user_to_doc(guest)
    assert (doc["phone_number"], doc["phone_number_verified"]) == (None, False)
    assert (doc["legacy"], doc["legacy_claim"], doc["legacy_claim_until"]) == (False, None, None)


def test_the_export_and_the_import_iterate_the_parts() -> None:
    parts: tuple[type[UserPart], ...] = (PhoneNumber, Loyalty)
    made = account().with_part(Loyalty(7)).with_part(PhoneNumber.proven_as("+33612345678"))
    line = to_jsonl(made, (Link("firebase", "u-1"),), parts)
    assert (line["loyalty_points"], line["phone_number"], line["phone_number_verified"]) == (
        7,
        "+33612345678",
        True,
    )
    assert "legacy" not in line  # a part the export does not iterate writes nothing
    read = Reading(None, frozenset(), Email, NOW, EMPTY_SCHEMA, lambda _: ALLOWED, parts=parts)
    back = from_jsonl(line, read).arrival.user
    assert back.part(Loyalty) == Loyalty(7)
    assert back.part(PhoneNumber) == PhoneNumber.proven_as("+33612345678")
    with pytest.raises(InvalidInput) as bad:
        from_jsonl({**line, "loyalty_points": "many"}, read)
    assert bad.value.code == "integer_type"


def test_the_admins_view_shows_the_parts_rows(root: FlaskClient, world: World) -> None:
    browser(world, "bob")
    bob = user(world, "bob")
    world.store.users[bob.id] = bob.with_part(Loyalty(7))
    page = f"/admin/users/{bob.id}"
    assert "Loyalty points" not in root.get(page).get_data(as_text=True)  # not contributed
    services = world.services
    admin = replace(
        services.of(AccountServices).admin,
        parts=(*services.of(AccountServices).admin.parts, Loyalty),
    )
    world.app.extensions["firegate"] = services.with_records(
        replace(services.of(AccountServices), admin=admin)
    )
    html = root.get(page).get_data(as_text=True)
    assert "<dt>Loyalty points</dt><dd>7</dd>" in html


@pytest.fixture
def world() -> World:
    return World()
