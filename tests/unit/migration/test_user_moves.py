"""users import and users export on the in-memory fakes, through the command line: the
records a Firebase project or another system exports become accounts that sign in with
their old passwords (re-hashed with argon2id then), and nothing invalid or taken gets in."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.accounts.signups import ANYONE
from application.migration.importing import ImportFile, ImportSummary, ImportUsers, Position
from application.migration.ports import Holders
from application.migration.services import UserMigration
from bootstrap import Adapters
from bootstrap.accounts import AccountsAdapters
from bootstrap.accounts_rules import address_rule
from bootstrap.federation import FederationAdapters
from domain.accounts.credentials import Email, Username
from domain.accounts.profile import PROFILE_TEXTS
from domain.accounts.signups import ALLOWED
from domain.accounts.users import Role, User
from infrastructure.accounts.argon2_hasher import Argon2PasswordHasher
from tests.fakes.accounts import profile_schemas
from tests.fakes.kernel import InMemoryStore
from tests.fakes.migration import FakeUserMoves
from tests.support.api import bearer, login, register
from tests.support.app import swap
from tests.support.foreign_users import (
    FirebaseProject,
    bcrypt_hash,
    django_hash,
    random_password,
    write_firebase_export,
)
from tests.support.settings import make_settings

pytestmark = pytest.mark.unit


@pytest.fixture
def adapters(adapters: Adapters) -> Adapters:
    """The fakes with the real hasher, which checks the imported hashes."""
    return swap(adapters, hasher=Argon2PasswordHasher())


def run(
    app: Flask, *args: str, input: str | None = None, env: dict[str, str] | None = None
) -> tuple[int, dict[str, Any], str]:
    result = app.test_cli_runner().invoke(args=["users", *args], input=input, env=env)
    last = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "{}"
    return result.exit_code, json.loads(last), result.stderr


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def sign_in(client: FlaskClient, login: str, password: str) -> int:
    return client.post("/login", json={"username": login, "password": password}).status_code


def test_firebase_users_keep_their_ids_roles_and_passwords(
    fake_app: Flask, client: FlaskClient, store: InMemoryStore, tmp_path: Path
) -> None:
    project, password = FirebaseProject.random(), random_password()
    admin = project.user(
        password,
        email="Ada@Example.com",
        emailVerified=True,
        displayName="Ada Lovelace",
        customAttributes=json.dumps({"role": "admin"}),
    )
    off = project.user(password, email="off@example.com", disabled=True)
    federated = project.user(
        None,
        email="fed@example.com",
        providerUserInfo=[{"providerId": "google.com", "rawId": "g-1", "email": "fed@example.com"}],
        customAttributes='{"role": "editor"}',
    )
    export = write_firebase_export(tmp_path / "users.json", [admin, off, federated])
    code, summary, progress = run(fake_app, "import", str(export), "--format", "firebase",
                                  *project.options())  # fmt: skip
    assert (code, summary) == (
        0,
        {"imported": 3, "updated": 0, "skipped": 0, "failed": 0, "errors": []},
    ), progress
    ada = store.users[admin["localId"]]
    assert (ada.shown_name, ada.role, ada.email_verified, ada.name, ada.full_name) == (
        "Ada_Lovelace", Role.ADMIN, True, None, "Ada Lovelace",  # Firebase's name, whole
    )  # fmt: skip
    assert ada.created_at.year == 2017 and not ada.has_signed_in
    assert store.identities[f"firebase:{admin['localId']}"] == admin["localId"]
    assert store.users[federated["localId"]].role is Role.USER  # not one of firegate's roles
    assert store.users[federated["localId"]].password_hash is None
    assert "google.com:g-1" not in store.identities  # no such provider configured here
    assert store.users[off["localId"]].disabled

    assert ada.password_hash is not None and ada.password_hash.startswith("firebase-scrypt$")
    assert sign_in(client, "ada@example.com", password + "x") == 401
    assert sign_in(client, "ada@example.com", password) == 200
    rehashed = store.users[admin["localId"]].password_hash
    assert rehashed is not None and rehashed.startswith("$argon2id$")
    assert sign_in(client, "Ada_Lovelace", password) == 200
    assert sign_in(client, "off@example.com", password) == 403

    # The same file again changes nothing.
    again = run(fake_app, "import", str(export), "--format", "firebase", *project.options())
    assert again[:2] == (0, {"imported": 0, "updated": 0, "skipped": 3, "failed": 0, "errors": []})
    assert store.users[admin["localId"]].password_hash == rehashed


def test_a_firebase_hash_without_the_projects_parameters_is_reported(
    fake_app: Flask, store: InMemoryStore, tmp_path: Path
) -> None:
    project = FirebaseProject.random()
    user = project.user(random_password(), email="a@example.com")
    export = write_firebase_export(tmp_path / "users.json", [user])
    code, summary, _ = run(fake_app, "import", str(export), "--format", "firebase")
    assert code == 1
    assert summary["errors"] == [
        {"index": 0, "id": user["localId"], "reason": "hash_parameters_missing"}
    ]
    assert store.users == {}


def test_jsonl_users_with_bcrypt_django_and_argon2_hashes_sign_in(
    fake_app: Flask, client: FlaskClient, store: InMemoryStore, tmp_path: Path
) -> None:
    passwords = {name: random_password() for name in ("supa", "jango", "gate", "laravel")}
    rows = [
        {"username": "supa", "email": "supa@example.com", "email_verified": True,
         "password_hash": bcrypt_hash(passwords["supa"], "2a")},
        {"username": "laravel", "email": "laravel@example.com",
         "password_hash": bcrypt_hash(passwords["laravel"], "2y")},
        {"id": "jango-1", "username": "jango", "email": "jango@example.com",
         "password_hash": django_hash(passwords["jango"]), "role": "uploader",
         "name": "Django", "last_name": "Reinhardt", "created_at": "2020-01-02T03:04:05+00:00"},
        {"username": "gate", "email": "gate@example.com",
         "password_hash": Argon2PasswordHasher().hash(passwords["gate"])},
    ]  # fmt: skip
    path = write_jsonl(tmp_path / "users.jsonl", rows)
    code, summary, _ = run(fake_app, "import", str(path), "--format", "jsonl")
    assert (code, summary["imported"], summary["failed"]) == (0, 4, 0), summary
    jango = store.users["jango-1"]
    assert (jango.role, jango.name, jango.created_at.year) == (Role.UPLOADER, "Django", 2020)
    for name, password in passwords.items():
        assert sign_in(client, name, password) == 200, name
        assert sign_in(client, name, password + "!") == 401, name
    assert all(u.password_hash and u.password_hash.startswith("$argon2id$")
               for u in store.users.values())  # fmt: skip
    # Lines without an id are the accounts holding their name and address: skipped.
    again = run(fake_app, "import", str(path), "--format", "jsonl")
    assert again[1]["skipped"] == 4 and again[1]["imported"] == 0


def test_invalid_and_taken_records_are_reported_and_the_rest_imported(
    fake_app: Flask, client: FlaskClient, store: InMemoryStore, tmp_path: Path
) -> None:
    register(client, "alice")
    ok = {"username": "bob", "email": "bob@example.com", "password_hash": django_hash("pw-bob-1")}
    rows: list[Any] = [
        ok,
        {"username": "a1ice", "email": "other@example.com"},  # looks like alice
        {"username": "pаypal", "email": "p@example.com"},  # a Cyrillic letter among Latin ones
        {"username": "carol", "email": "ALICE@example.com"},  # alice's address
        {"username": "dave", "email": "not an address"},
        {"username": "erin", "email": "erin@example.com", "password_hash": "md5$x$y"},
        {"username": "frank", "email": "frank@example.com", "role": "root"},
        "{not json",
        ["a list"],
        {"username": "bobby", "email": "bob@example.com"},  # the address bob takes above
        {"id": "has/slash", "username": "gina", "email": "gina@example.com"},
    ]
    path = write_jsonl(tmp_path / "users.jsonl", rows)
    code, summary, _ = run(fake_app, "import", str(path), "--format", "jsonl")
    assert code == 1
    assert (summary["imported"], summary["failed"]) == (1, 10)
    reasons = {e["line"]: e["reason"] for e in summary["errors"]}
    assert reasons == {
        2: "username_taken",
        3: "mixed_script_username",
        4: "email_taken",
        5: "invalid_email",
        6: "unsupported_password_hash",
        7: "invalid_role",
        8: "invalid_json",
        9: "not_an_object",
        10: "email_taken",
        11: "invalid_id",
    }
    assert sorted(u.shown_name for u in store.users.values()) == ["alice", "bob"]


def test_dry_run_writes_nothing_and_update_changes_existing_ids(
    fake_app: Flask, store: InMemoryStore, tmp_path: Path
) -> None:
    row = {"id": "u-1", "username": "hana", "email": "hana@example.com", "role": "user"}
    path = write_jsonl(tmp_path / "a.jsonl", [row])
    dry = run(fake_app, "import", str(path), "--format", "jsonl", "--dry-run")
    assert dry[:2] == (
        0,
        {"dry_run": True, "imported": 1, "updated": 0, "skipped": 0, "failed": 0, "errors": []},
    )
    assert store.users == {}
    run(fake_app, "import", str(path), "--format", "jsonl")
    changed = write_jsonl(tmp_path / "b.jsonl", [{**row, "role": "admin", "name": "Hana"}])
    plain = run(fake_app, "import", str(changed), "--format", "jsonl")
    assert plain[1]["skipped"] == 1 and store.users["u-1"].role is Role.USER
    updated = run(fake_app, "import", str(changed), "--format", "jsonl", "--update")
    assert updated[1]["updated"] == 1
    assert (store.users["u-1"].role, store.users["u-1"].name) == (Role.ADMIN, "Hana")
    same = run(fake_app, "import", str(changed), "--format", "jsonl", "--update")
    assert (same[1]["updated"], same[1]["skipped"]) == (0, 1)


def test_update_brings_the_files_whole_name(
    fake_app: Flask, store: InMemoryStore, tmp_path: Path
) -> None:
    """--update makes the account as the file has it: its whole name too, as a new import
    would (a Firebase user's display name is one)."""
    row = {"id": "u-1", "username": "hana", "email": "hana@example.com", "role": "user"}
    run(fake_app, "import", str(write_jsonl(tmp_path / "a.jsonl", [row])), "--format", "jsonl")
    assert store.users["u-1"].full_name is None
    named = write_jsonl(tmp_path / "b.jsonl", [{**row, "full_name": "Hana Sato"}])
    updated = run(fake_app, "import", str(named), "--format", "jsonl", "--update")
    assert updated[1]["updated"] == 1 and store.users["u-1"].full_name == "Hana Sato"
    same = run(fake_app, "import", str(named), "--format", "jsonl", "--update")
    assert (same[1]["updated"], same[1]["skipped"]) == (0, 1)


def test_export_is_private_and_reads_back(
    fake_app: Flask, client: FlaskClient, store: InMemoryStore, tmp_path: Path
) -> None:
    register(client, "alice")
    out = tmp_path / "users.jsonl"
    out.write_text("stale")
    out.chmod(0o644)
    result = fake_app.test_cli_runner().invoke(args=["users", "export", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.splitlines()[-1])["exported"] == 1
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    (line,) = out.read_text().splitlines()
    record = json.loads(line)
    assert set(record) == {
        "id", "username", "email", "email_verified", "password_hash", "role", *PROFILE_TEXTS,
        "full_name", "attributes", "disabled", "created_at", "identities", "phone_number",
        "phone_number_verified",
    }  # fmt: skip
    assert record["username"] == "alice" and record["password_hash"].startswith("$argon2id$")


def test_update_keeps_a_password_used_or_changed_here(
    fake_app: Flask, client: FlaskClient, store: InMemoryStore, tmp_path: Path
) -> None:
    """--update brings the file's password only to an account whose stored one is still
    the import's, unused here (docs/decisions/0291-an-update-keeps-what-people-did-here.md)."""
    project = FirebaseProject.random(mem_cost=10)
    old = {name: random_password() for name in ("used", "changed", "idle")}
    people = {
        name: project.user(password, email=f"{name}@example.com") for name, password in old.items()
    }
    people["federated"] = project.user(None, email="federated@example.com")
    first = write_firebase_export(tmp_path / "first.json", list(people.values()))
    assert run(fake_app, "import", str(first), "--format", "firebase", *project.options())[0] == 0

    assert sign_in(client, "used@example.com", old["used"]) == 200  # re-hashed here
    token = login(client, "changed@example.com", old["changed"])
    mine = random_password()
    changed = client.put(
        "/user/password",
        json={"current_password": old["changed"], "new_password": mine},
        headers=bearer(token),
    )
    assert changed.status_code == 204
    kept = {
        name: store.users[people[name]["localId"]].password_hash for name in ("used", "changed")
    }

    # Firebase's next export: everyone has since set a new password there.
    new = {name: random_password() for name in (*old, "federated")}
    later = []
    for name, user in people.items():
        hashed, salt = project.password_hash(new[name])
        later.append({**user, "passwordHash": hashed, "salt": salt})
    second = write_firebase_export(tmp_path / "second.json", later)
    code, summary, _ = run(
        fake_app, "import", str(second), "--format", "firebase", "--update", *project.options()
    )
    assert (code, summary["updated"], summary["skipped"]) == (0, 2, 2), summary
    for name in ("used", "changed"):
        assert store.users[people[name]["localId"]].password_hash == kept[name], name
        assert sign_in(client, f"{name}@example.com", new[name]) == 401, name
    assert sign_in(client, "used@example.com", old["used"]) == 200
    assert sign_in(client, "changed@example.com", mine) == 200
    for name in ("idle", "federated"):  # never used here: the file's password now
        assert sign_in(client, f"{name}@example.com", new[name]) == 200, name
    assert sign_in(client, "idle@example.com", old["idle"]) == 401


@pytest.mark.parametrize("update", [False, True], ids=["plain", "update"])
def test_the_same_import_twice_changes_nothing_the_second_time(
    fake_app: Flask, store: InMemoryStore, tmp_path: Path, update: bool
) -> None:
    project = FirebaseProject.random(mem_cost=10)
    firebase = [
        project.user(random_password(), email="fb@example.com", displayName="Fire Base",
                     emailVerified=True, customAttributes='{"role": "uploader"}'),
        project.user(None, email="fed@example.com", disabled=True),
    ]  # fmt: skip
    export = write_firebase_export(tmp_path / "users.json", firebase)
    lines = write_jsonl(
        tmp_path / "users.jsonl",
        [
            {"id": "j-1", "username": "jay", "email": "jay@example.com", "name": "Jay",
             "password_hash": django_hash("pw-jay-1"), "role": "admin", "email_verified": True,
             "identities": [{"provider": "firebase", "subject": "old-jay"}]},
            {"username": "kay", "email": "kay@example.com",
             "password_hash": bcrypt_hash("pw-kay-1"), "created_at": "2021-05-06T07:08:09Z"},
        ],
    )  # fmt: skip
    flags = ["--update"] if update else []
    imports = [
        ["import", str(export), "--format", "firebase", *project.options(), *flags],
        ["import", str(lines), "--format", "jsonl", *flags],
    ]
    for args in imports:
        assert run(fake_app, *args)[0] == 0

    def state() -> tuple[object, ...]:
        return (dict(store.users), dict(store.usernames), dict(store.emails),
                dict(store.identities))  # fmt: skip

    before = state()
    for args in imports:
        code, summary, _ = run(fake_app, *args)
        assert (code, summary) == (
            0,
            {"imported": 0, "updated": 0, "skipped": 2, "failed": 0, "errors": []},
        )
    assert state() == before


class Meanwhile(FakeUserMoves):
    """The fake store, where something else lands between an import batch's read of who
    holds what and its write (``then``, once)."""

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


def test_what_is_taken_between_a_batchs_read_and_its_write(
    adapters: Adapters, store: InMemoryStore
) -> None:
    """A sign-up that takes a record's name or address first is reported, not half-written;
    a user another import of the same file wrote first is skipped, as on a second run."""

    def importing(fmt: Literal["firebase", "jsonl"], rows: list[dict[str, Any]],
                  moves: FakeUserMoves) -> ImportSummary:  # fmt: skip
        records: list[tuple[Position, Any]] = [
            (("line", n), row) for n, row in enumerate(rows, start=1)
        ]
        migration = UserMigration(moves=moves, users=adapters.of(AccountsAdapters).users,
                                  hasher=adapters.of(AccountsAdapters).hasher,
                                  clock=adapters.platform.clock,
                                  providers=adapters.of(FederationAdapters).upstream_providers,
                                  addresses=address_rule(make_settings()),
                                  schemas=profile_schemas(), signups=ANYONE)  # fmt: skip
        return migration.import_users(ImportFile(ImportUsers(fmt), records))

    def sign_up(user_id: str, username: str, email: str) -> None:
        user = User.register(
        admitted=ALLOWED,id=user_id, username=Username.chosen(username), email=Email(email),
                             password_hash=None, now=adapters.platform.clock.now())  # fmt: skip
        adapters.of(AccountsAdapters).users.add(user)

    rows = [
        {"id": "i-1", "username": "ivy", "email": "ivy@example.com"},
        {"id": "i-2", "username": "jon", "email": "jon@example.com"},
        {"id": "i-3", "username": "kim", "email": "kim@example.com"},
        {"id": "i-4", "username": "lea", "email": "lea@example.com"},
    ]

    def then() -> None:
        sign_up("other-1", "ivy", "ivy2@example.com")
        sign_up("other-2", "jonny", "jon@example.com")
        assert importing("jsonl", rows[2:3], FakeUserMoves(store)).imported == 1

    summary = importing("jsonl", rows, Meanwhile(store, then))
    assert summary.as_json() == {
        "imported": 1,
        "updated": 0,
        "skipped": 1,
        "failed": 2,
        "errors": [
            {"line": 1, "id": "i-1", "reason": "username_taken"},
            {"line": 2, "id": "i-2", "reason": "email_taken"},
        ],
    }
    assert sorted(store.users) == ["i-3", "i-4", "other-1", "other-2"]
    names = {u.username.normalized: u.id for u in store.users.values() if u.username}
    assert store.usernames == names
    assert store.emails == {u.email.normalized: u.id for u in store.users.values() if u.email}

    # A Firebase user whose made name a sign-up takes meanwhile gets the next one.
    project = FirebaseProject.random(mem_cost=10)
    ada = project.user(None, email="ada@example.com", displayName="Ada Lovelace")
    summary = importing("firebase", [ada], Meanwhile(store, lambda: sign_up(
        "other-3", "Ada_Lovelace", "someone@example.com")))  # fmt: skip
    assert (summary.imported, summary.failed) == (1, 0)
    assert store.users[ada["localId"]].shown_name not in ("Ada_Lovelace", "")


def test_hashes_too_costly_to_check_are_reported_and_the_rest_imported(
    fake_app: Flask, client: FlaskClient, store: InMemoryStore, tmp_path: Path
) -> None:
    password = random_password()
    fine = bcrypt_hash(password)
    rows = [
        {"username": "slow1", "email": "slow1@example.com",
         "password_hash": f"{fine[:4]}31{fine[6:]}"},  # bcrypt cost 31
        {"username": "slow2", "email": "slow2@example.com",
         "password_hash": "$argon2id$v=19$m=4194304,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"},
        {"username": "slow3", "email": "slow3@example.com",
         "password_hash": django_hash(password, 1).replace("$1$", "$999999999$", 1)},
        {"username": "fine", "email": "fine@example.com", "password_hash": fine},
    ]  # fmt: skip
    path = write_jsonl(tmp_path / "users.jsonl", rows)
    code, summary, _ = run(fake_app, "import", str(path), "--format", "jsonl")
    assert (code, summary["imported"], summary["failed"]) == (1, 1, 3)
    assert {e["line"]: e["reason"] for e in summary["errors"]} == {
        1: "hash_too_costly", 2: "hash_too_costly", 3: "hash_too_costly"
    }  # fmt: skip
    assert sorted(u.shown_name for u in store.users.values()) == ["fine"]
    assert sign_in(client, "fine", password) == 200


@pytest.mark.parametrize("option", [("--rounds", "17"), ("--mem-cost", "16")])
def test_firebase_parameters_too_costly_refuse_the_whole_import(
    fake_app: Flask, store: InMemoryStore, tmp_path: Path, option: tuple[str, str]
) -> None:
    project = FirebaseProject.random(mem_cost=10)
    export = write_firebase_export(
        tmp_path / "users.json", [project.user(random_password(), email="a@example.com")]
    )
    options = project.options()
    at = options.index(option[0])
    options[at + 1] = option[1]
    result = fake_app.test_cli_runner().invoke(
        args=["users", "import", str(export), "--format", "firebase", *options]
    )
    assert result.exit_code == 2 and "are refused" in result.output, result.output
    assert store.users == {}


def firebase_file(tmp_path: Path, project: FirebaseProject, password: str) -> Path:
    """A test account with a known password, and two other users."""
    users = [
        project.user(random_password(), email="first@example.com"),
        project.user(password, email="Migration-Test@Example.com"),
        project.user(random_password(), email="last@example.com"),
    ]
    return write_firebase_export(tmp_path / "users.json", users)


def test_check_password_verifies_the_parameters_before_anything_is_written(
    fake_app: Flask, client: FlaskClient, store: InMemoryStore, tmp_path: Path
) -> None:
    project, password = FirebaseProject.random(mem_cost=10), random_password()
    export = firebase_file(tmp_path, project, password)
    wrong_key = FirebaseProject.random(mem_cost=10).options()[:2] + project.options()[2:]
    check = ("--check-password", "migration-test@example.com")
    args = ("import", str(export), "--format", "firebase")
    code, answer, stderr = run(fake_app, *args, *wrong_key, *check, input=password + "\n")
    assert (code, answer["error"]) == (1, "hash_parameters_mismatch")
    assert "nothing was imported" in stderr
    assert store.users == {}
    for email in ("nobody@example.com", "not an address"):
        code, answer, _ = run(fake_app, *args, *project.options(), "--check-password", email,
                              input=password)  # fmt: skip
        assert code == 1 and answer["error"] in {"check_user_not_found", "invalid_email"}
    assert store.users == {}

    env = {"IMPORT_CHECK_PASSWORD": password}
    code, summary, _ = run(fake_app, *args, *project.options(), *check, env=env)
    assert (code, summary["imported"], summary["failed"]) == (0, 3, 0), summary
    assert sign_in(client, "migration-test@example.com", password) == 200


def test_check_password_reads_standard_input_or_its_variable(
    fake_app: Flask, store: InMemoryStore, tmp_path: Path
) -> None:
    project, password = FirebaseProject.random(mem_cost=10), random_password() + " "
    export = firebase_file(tmp_path, project, password)
    args = ("import", str(export), "--format", "firebase", "--dry-run", *project.options(),
            "--check-password", "migration-test@example.com")  # fmt: skip
    piped = run(fake_app, *args, input=password + "\r\n")  # its own spaces kept
    assert piped[:2] == (0, {"dry_run": True, "imported": 3, "updated": 0, "skipped": 0,
                             "failed": 0, "errors": []})  # fmt: skip
    dash = run(fake_app, *args, input=password, env={"IMPORT_CHECK_PASSWORD": "-"})
    assert dash[0] == 0
    # The variable wins over standard input, which is then not read.
    wrong = run(fake_app, *args, input=password, env={"IMPORT_CHECK_PASSWORD": "wrong"})
    assert (wrong[0], wrong[1]["error"]) == (1, "hash_parameters_mismatch")
    assert store.users == {}


def test_only_one_option_reads_standard_input(
    fake_app: Flask, store: InMemoryStore, tmp_path: Path
) -> None:
    project, password = FirebaseProject.random(mem_cost=10), random_password()
    export = firebase_file(tmp_path, project, password)
    options = project.options()
    key = options[1]
    options[1] = "-"  # --hash-key -
    args = ("import", str(export), "--format", "firebase", *options)
    result = fake_app.test_cli_runner().invoke(
        args=["users", *args, "--check-password", "migration-test@example.com"],
        input=key + "\n" + password,
    )
    assert result.exit_code == 2 and "Only one option can read standard input" in result.output
    from_file = fake_app.test_cli_runner().invoke(
        args=["users", "import", "-", "--format", "firebase", *options],
        input=export.read_text(),
    )
    assert from_file.exit_code == 2 and "FILE and --hash-key" in from_file.output
    checked = fake_app.test_cli_runner().invoke(
        args=["users", "import", "-", "--format", "firebase", *project.options(),
              "--check-password", "migration-test@example.com"],
        input=export.read_text(), env={"IMPORT_CHECK_PASSWORD": password},
    )  # fmt: skip
    assert checked.exit_code == 2 and "reads FILE twice" in checked.output
    assert store.users == {}
    piped = fake_app.test_cli_runner().invoke(
        args=["users", "import", "-", "--format", "firebase", "--dry-run", *project.options()],
        input=export.read_text(),
    )  # the file alone may come from standard input
    assert piped.exit_code == 0 and json.loads(piped.stdout.splitlines()[-1])["imported"] == 3

    # The key from standard input, the check password from its variable: both right.
    env = {"IMPORT_CHECK_PASSWORD": password}
    code, summary, _ = run(fake_app, *args, "--check-password", "migration-test@example.com",
                           input=key + "\n", env=env)  # fmt: skip
    assert (code, summary["imported"]) == (0, 3)
