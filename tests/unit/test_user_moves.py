"""users import and users export on the in-memory fakes, through the command line: the
records a Firebase project or another system exports become accounts that sign in with
their old passwords (re-hashed with argon2id then), and nothing invalid or taken gets in."""

from __future__ import annotations

import json
import stat
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bootstrap import Adapters
from domain.users import Role
from infrastructure.argon2_hasher import Argon2PasswordHasher
from tests.conftest import register
from tests.fakes import InMemoryStore
from tests.foreign_users import (
    FirebaseProject,
    bcrypt_hash,
    django_hash,
    random_password,
    write_firebase_export,
)

pytestmark = pytest.mark.unit


@pytest.fixture
def adapters(adapters: Adapters) -> Adapters:
    """The fakes with the real hasher, which checks the imported hashes."""
    return replace(adapters, hasher=Argon2PasswordHasher())


def run(app: Flask, *args: str) -> tuple[int, dict[str, Any], str]:
    result = app.test_cli_runner().invoke(args=["users", *args])
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
    assert (ada.username.value, ada.role, ada.email_verified, ada.name) == (
        "Ada_Lovelace", Role.ADMIN, True, "Ada Lovelace",
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
    assert sorted(u.username.value for u in store.users.values()) == ["alice", "bob"]


def test_dry_run_writes_nothing_and_update_changes_existing_ids(
    fake_app: Flask, store: InMemoryStore, tmp_path: Path
) -> None:
    row = {"id": "u-1", "username": "hana", "email": "hana@example.com", "role": "user"}
    path = write_jsonl(tmp_path / "a.jsonl", [row])
    dry = run(fake_app, "import", str(path), "--format", "jsonl", "--dry-run")
    assert dry[:2] == (0, {"imported": 1, "updated": 0, "skipped": 0, "failed": 0, "errors": []})
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
        "id", "username", "email", "email_verified", "password_hash", "role", "name",
        "last_name", "disabled", "created_at", "identities",
    }  # fmt: skip
    assert record["username"] == "alice" and record["password_hash"].startswith("$argon2id$")
