"""Firebase users with a ``phoneNumber``, imported on the fakes (docs/migrating.md, "Phone
users"): each keeps its uid and its number, proven and claimed with the account, and signs
in by a texted code at once; a number another account holds, or one the file gives twice,
is reported and the rest imported; ``users export`` carries the number back in."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from application.accounts.signups import ANYONE
from application.hooks.admin import SetAuthHook
from application.hooks.services import HookServices
from application.migration.importing import ImportFile, ImportSummary, ImportUsers, Position
from application.migration.ports import Holders
from application.migration.services import UserMigration
from bootstrap.accounts import AccountsAdapters
from bootstrap.accounts_rules import address_rule
from bootstrap.federation import FederationAdapters
from bootstrap.hooks import HooksAdapters
from domain.accounts.credentials import Email, Username
from domain.accounts.identities import PhoneNumber
from domain.accounts.signups import ALLOWED
from domain.accounts.users import User
from tests.fakes.accounts import profile_schemas
from tests.fakes.hooks import FakeHookClient
from tests.fakes.kernel import InMemoryStore
from tests.fakes.migration import FakeUserMoves
from tests.support.app import World
from tests.support.foreign_users import FirebaseProject, random_password, write_firebase_export
from tests.support.settings import make_settings
from tests.support.webhooks import ADMIN

pytestmark = pytest.mark.unit

HOOK = "http://127.0.0.1:9/sms"
NUMBER, OTHER, THIRD = "+33612345678", "+34612345678", "+447700900123"


def phone_world() -> World:
    world = World(phone_sign_in=True)
    world.services.of(HookServices).hooks.set(SetAuthHook(ADMIN, "send_sms", HOOK))
    return world


def run(world: World, *args: str) -> dict[str, Any]:
    result = world.app.test_cli_runner().invoke(args=["users", *args])
    found: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return found


def import_firebase(world: World, path: Path, users: list[dict[str, Any]]) -> dict[str, Any]:
    export = write_firebase_export(path, users)
    options = FirebaseProject.random(mem_cost=10).options()
    return run(world, "import", str(export), "--format", "firebase", *options)


def sign_in_by_text(world: World, number: str) -> Any:
    """POST /auth/phone-code, then /verify with the code the send_sms hook was given."""
    asked = world.client.post("/auth/phone-code", json={"phone_number": number})
    assert asked.status_code == 202, asked.get_json()
    world.deliver()
    client = world.adapters.of(HooksAdapters).hook_client
    assert isinstance(client, FakeHookClient)
    [text] = [json.loads(body) for url, body, *_ in client.asked if url == HOOK]
    body = {"flow_id": asked.get_json()["flow_id"], "code": text["code"]}
    return world.client.post("/auth/phone-code/verify", json=body)


def test_phone_users_keep_their_uid_and_proven_number_and_sign_in_by_code(
    tmp_path: Path,
) -> None:
    world = phone_world()
    project = FirebaseProject.random(mem_cost=10)
    both = project.user(random_password(), email="ada@example.com", phoneNumber=NUMBER)
    phone_only = project.user(None, phoneNumber=OTHER)  # no address, no password
    summary = import_firebase(world, tmp_path / "users.json", [both, phone_only])
    assert (summary["imported"], summary["failed"]) == (2, 0), summary
    store = world.store
    for raw, number in ((both, NUMBER), (phone_only, OTHER)):
        user = store.users[raw["localId"]]
        assert (user.part(PhoneNumber).number, user.part(PhoneNumber).verified) == (number, True)
        assert store.phone_numbers[number] == raw["localId"]  # claimed with the account
    lone = store.users[phone_only["localId"]]
    assert lone.email is None and lone.password_hash is None and lone.shown_name

    signed_in = sign_in_by_text(world, OTHER)
    assert signed_in.status_code == 200, signed_in.get_json()
    me = world.client.get(
        "/user", headers={"Authorization": f"Bearer {signed_in.get_json()['access_token']}"}
    ).get_json()
    assert (me["id"], me["phone_number"], me["phone_number_verified"]) == (
        phone_only["localId"],
        OTHER,
        True,
    )
    assert len(store.users) == 2  # the code signed the imported account in: none was made

    # The same file again changes nothing
    again = import_firebase(world, tmp_path / "users.json", [both, phone_only])
    assert (again["imported"], again["skipped"], again["failed"]) == (0, 2, 0)


def test_a_number_held_elsewhere_or_twice_in_the_file_is_reported_and_the_rest_imported(
    tmp_path: Path,
) -> None:
    world = phone_world()
    holder = User.register(
        admitted=ALLOWED,
        id="holder",
        username=Username("holder"),
        email=None,
        password_hash=None,
        now=world.clock.now(),
    ).with_part(PhoneNumber.proven_as(NUMBER))
    world.adapters.of(AccountsAdapters).users.add(holder)
    project = FirebaseProject.random(mem_cost=10)
    taken = project.user(None, email="taken@example.com", phoneNumber=NUMBER)
    first = project.user(None, email="first@example.com", phoneNumber=OTHER)
    twice = project.user(None, email="twice@example.com", phoneNumber=OTHER)
    bad = project.user(None, email="bad@example.com", phoneNumber="06 12 34 56 78")
    fine = project.user(None, email="fine@example.com")
    summary = import_firebase(world, tmp_path / "users.json", [taken, first, twice, bad, fine])
    assert summary == {
        "imported": 2,
        "updated": 0,
        "skipped": 0,
        "failed": 3,
        "errors": [
            {"index": 3, "id": bad["localId"], "reason": "invalid_phone_number"},
            {"index": 0, "id": taken["localId"], "reason": "phone_number_taken"},
            {"index": 2, "id": twice["localId"], "reason": "phone_number_taken"},
        ],
    }
    store = world.store
    assert sorted(store.users) == sorted(["holder", first["localId"], fine["localId"]])
    assert store.phone_numbers == {NUMBER: "holder", OTHER: first["localId"]}


def test_update_gives_an_existing_account_the_files_number(tmp_path: Path) -> None:
    world = phone_world()
    project = FirebaseProject.random(mem_cost=10)
    ada = project.user(None, email="ada@example.com")
    assert import_firebase(world, tmp_path / "a.json", [ada])["imported"] == 1
    ada["phoneNumber"] = THIRD
    export = write_firebase_export(tmp_path / "b.json", [ada])
    options = FirebaseProject.random(mem_cost=10).options()
    summary = run(world, "import", str(export), "--format", "firebase", "--update", *options)
    assert (summary["updated"], summary["failed"]) == (1, 0), summary
    assert world.store.users[ada["localId"]].part(PhoneNumber).proven == THIRD
    assert world.store.phone_numbers == {THIRD: ada["localId"]}


def test_export_and_import_keep_the_number(tmp_path: Path) -> None:
    world = phone_world()
    project = FirebaseProject.random(mem_cost=10)
    phone_only = project.user(None, phoneNumber=NUMBER)
    assert import_firebase(world, tmp_path / "users.json", [phone_only])["imported"] == 1
    out = tmp_path / "export.jsonl"
    assert run(world, "export", str(out))["exported"] == 1
    [line] = [json.loads(row) for row in out.read_text().splitlines()]
    assert (line["phone_number"], line["phone_number_verified"]) == (NUMBER, True)

    empty = phone_world()
    assert run(empty, "import", str(out), "--format", "jsonl")["imported"] == 1
    moved = empty.store.users[phone_only["localId"]]
    assert moved.part(PhoneNumber).proven == NUMBER
    assert empty.store.phone_numbers == {NUMBER: phone_only["localId"]}


class Meanwhile(FakeUserMoves):
    """Something else lands between the batch's read of who holds what and its write."""

    def __init__(self, store: InMemoryStore, then: Callable[[], None]) -> None:
        super().__init__(store)
        self.then: Callable[[], None] | None = then

    def holders(
        self,
        ids: Sequence[str],
        usernames: Sequence[str],
        emails: Sequence[str],
        phone_numbers: Sequence[str] = (),
    ) -> Holders:
        found = super().holders(ids, usernames, emails, phone_numbers)
        then, self.then = self.then, None
        if then is not None:
            then()
        return found


def test_a_number_proven_between_the_read_and_the_write_is_reported() -> None:
    world = phone_world()
    adapters = world.adapters

    def importing(rows: list[dict[str, Any]], moves: FakeUserMoves) -> ImportSummary:
        records: list[tuple[Position, Any]] = [(("index", n), row) for n, row in enumerate(rows)]
        migration = UserMigration(
            moves=moves,
            users=adapters.of(AccountsAdapters).users,
            hasher=adapters.of(AccountsAdapters).hasher,
            clock=adapters.platform.clock,
            providers=adapters.of(FederationAdapters).upstream_providers,
            addresses=address_rule(make_settings()),
            schemas=profile_schemas(),
            signups=ANYONE,
        )
        return migration.import_users(ImportFile(ImportUsers("firebase"), records))

    def sign_up_with_the_number() -> None:
        user = User.register(
            admitted=ALLOWED,
            id="texter",
            username=Username("texter"),
            email=Email("texter@example.com"),
            password_hash=None,
            now=adapters.platform.clock.now(),
        ).with_part(PhoneNumber.proven_as(NUMBER))
        adapters.of(AccountsAdapters).users.add(user)

    project = FirebaseProject.random(mem_cost=10)
    late = project.user(None, email="late@example.com", phoneNumber=NUMBER)
    summary = importing([late], Meanwhile(world.store, sign_up_with_the_number))
    assert summary.as_json()["errors"] == [
        {"index": 0, "id": late["localId"], "reason": "phone_number_taken"}
    ]
    assert late["localId"] not in world.store.users
    assert world.store.phone_numbers == {NUMBER: "texter"}
