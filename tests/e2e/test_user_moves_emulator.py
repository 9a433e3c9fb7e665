"""Moving users in and out on the Firestore emulator: a generated Firebase project's users
import with their ids, sign in with their passwords (argon2id afterwards) and with the ID
tokens the Auth emulator mints for them, and an export imported into an empty firegate signs
everyone in with the same password. Thirty imports of one file at once bring each user once;
a sign-up racing an import for a name or an address gets it or leaves it whole. A wrong
hash key is caught by --check-password before anything is written, and a hash too costly to
check is refused; a password that does not match an imported hash is logged and counted."""

from __future__ import annotations

import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask

from application.accounts.signups import ANYONE
from application.migration.importing import ImportFile, ImportSummary, ImportUsers
from application.migration.services import UserMigration
from bootstrap import Adapters, build_adapters, build_app
from bootstrap.accounts import AccountsAdapters
from bootstrap.accounts_rules import address_rule
from bootstrap.federation import FederationAdapters
from infrastructure.firestore.accounts.users import USERS
from infrastructure.firestore.migration.user_moves import FirestoreUserMoves
from interfaces.cli.migration import firebase_records, jsonl_records
from tests.fakes.accounts import profile_schemas
from tests.support.api import PASSWORD, bearer
from tests.support.foreign_users import (
    FirebaseProject,
    b64,
    bcrypt_hash,
    django_hash,
    firebase_users,
    random_password,
    stream_firebase_export,
    write_firebase_export,
)
from tests.support.settings import make_settings
from tests.support.stored_documents import assert_claims_match_live_users
from tests.support.stored_documents import count as count_documents

pytestmark = pytest.mark.e2e


def run(app: Flask, *args: str) -> dict[str, Any]:
    result = app.test_cli_runner().invoke(args=["users", *args])
    assert result.exit_code == 0, result.output
    summary: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return summary


def signs_in(app: Flask, login: str, password: str) -> bool:
    answer = app.test_client().post("/login", json={"username": login, "password": password})
    return answer.status_code == 200


def test_firebase_users_move_in_and_out_with_their_passwords(
    real_app: Flask, firestore: Any, emulators: Any, tmp_path: Path
) -> None:
    project = FirebaseProject.random()
    people = {f"person{n}@example.com": random_password() for n in range(6)}
    users = [
        project.user(password, email=email, emailVerified=True, displayName=f"Person {n}")
        for n, (email, password) in enumerate(people.items())
    ]
    export = write_firebase_export(tmp_path / "firebase.json", users)
    summary = run(real_app, "import", str(export), "--format", "firebase", *project.options())
    assert (summary["imported"], summary["failed"]) == (6, 0)
    again = run(real_app, "import", str(export), "--format", "firebase", *project.options())
    assert (again["imported"], again["skipped"]) == (0, 6)

    first = users[0]
    stored = firestore.collection(USERS).document(first["localId"]).get().to_dict()
    assert stored["password_hash"].startswith("firebase-scrypt$")
    link = firestore.collection("identities").document(f"firebase:{first['localId']}").get()
    assert link.to_dict()["user_id"] == first["localId"]
    assert not signs_in(real_app, "person0@example.com", "not the password")
    assert signs_in(real_app, "person0@example.com", people["person0@example.com"])
    stored = firestore.collection(USERS).document(first["localId"]).get().to_dict()
    assert stored["password_hash"].startswith("$argon2id$")

    # bcrypt and Django users from a JSON Lines file join them.
    extra = {"supa": random_password(), "jango": random_password()}
    hashes = {"supa": bcrypt_hash(extra["supa"], "2a"), "jango": django_hash(extra["jango"])}
    lines = [
        {"username": name, "email": f"{name}@example.com", "password_hash": hashed}
        for name, hashed in hashes.items()
    ]
    path = tmp_path / "more.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert run(real_app, "import", str(path), "--format", "jsonl")["imported"] == 2

    out = tmp_path / "export.jsonl"
    assert run(real_app, "export", str(out))["exported"] == 8
    assert (out.stat().st_mode & 0o777) == 0o600
    assert "refresh" not in out.read_text() and "totp" not in out.read_text()

    emulators.wipe()  # an empty firegate
    moved = run(real_app, "import", str(out), "--format", "jsonl")
    assert (moved["imported"], moved["failed"]) == (8, 0)
    for email, password in people.items():
        assert signs_in(real_app, email, password), email
    for name, password in extra.items():
        assert signs_in(real_app, name, password), name
    restored = firestore.collection(USERS).document(users[1]["localId"]).get().to_dict()
    assert restored["password_hash"].startswith("$argon2id$")
    assert (
        firestore.collection("identities").document(f"firebase:{users[1]['localId']}").get().exists
    )


RACERS = 30


def importing(
    firestore: Any, adapters: Adapters, cmd: ImportUsers, path: Path, barrier: threading.Barrier
) -> ImportSummary:
    """One import of the file through the Firestore adapters (its own batch writer, with
    its own threads, as a process of its own has), as `users import` runs it."""
    with path.open("rb") as stream:
        records = (firebase_records if cmd.format == "firebase" else jsonl_records)(stream)
        moves = FirestoreUserMoves(firestore)
        barrier.wait()
        migration = UserMigration(moves=moves, users=adapters.of(AccountsAdapters).users,
                                  hasher=adapters.of(AccountsAdapters).hasher,
                                  clock=adapters.platform.clock,
                                  providers=adapters.of(FederationAdapters).upstream_providers,
                                  addresses=address_rule(make_settings()),
                                  schemas=profile_schemas(), signups=ANYONE)  # fmt: skip
        return migration.import_users(ImportFile(cmd, records))


def test_thirty_imports_of_one_file_bring_each_user_once(firestore: Any, tmp_path: Path) -> None:
    project, count = FirebaseProject.random(), 60
    path = tmp_path / "users.json"
    stream_firebase_export(path, firebase_users(project, count, random_password()))
    adapters = build_adapters(make_settings(), firestore=firestore)
    barrier = threading.Barrier(RACERS)
    commands = [
        ImportUsers("firebase", project.parameters, update=n % 10 == 0) for n in range(RACERS)
    ]
    with ThreadPoolExecutor(RACERS) as pool:
        summaries = list(
            pool.map(lambda cmd: importing(firestore, adapters, cmd, path, barrier), commands)
        )

    for summary in summaries:
        assert (summary.failed, summary.updated) == (0, 0), summary.errors[:3]
        assert summary.imported + summary.skipped == count
    assert sum(summary.imported for summary in summaries) == count
    for collection in (USERS, "usernames", "emails", "identities"):
        assert count_documents(firestore, collection) == count, collection
    assert_claims_match_live_users(firestore)
    users = {snap.id for snap in firestore.collection(USERS).select([]).stream()}
    owners = {snap.get("user_id") for snap in firestore.collection("identities").stream()}
    assert owners == users


def test_names_and_addresses_a_sign_up_takes_during_an_import_are_reported(
    firestore: Any, tmp_path: Path
) -> None:
    """30 sign-ups, one every 40 ms while an import runs, each want the name (even k) or
    the address (odd k) of one of its records (one in 20): whichever way each race goes, the
    name or address goes to one of them, the import reports the others, and nothing is half
    written. (The unit tests make the sign-up land between a batch's read and its write.)"""

    def contested(k: int) -> tuple[str, str]:
        return f"racer{k:02d}", f"racer{k:02d}@example.com"

    rows = [
        {"id": f"c-{n}", "username": username, "email": email}
        for n in range(RACERS * 20)
        for username, email in [
            contested(n // 20) if n % 20 == 0 else (f"filler{n:03d}", f"filler{n}@example.com")
        ]
    ]
    path = tmp_path / "users.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    settings = make_settings()
    adapters = build_adapters(settings, firestore=firestore)
    app = build_app(settings, adapters)

    def sign_up(k: int) -> Any:
        username, email = contested(k)
        if k % 2:
            username = f"other{k:02d}"
        else:
            email = f"other{k:02d}@example.com"
        client = app.test_client()
        barrier.wait()
        time.sleep(k * 0.04)
        return client.post("/register", json={"username": username, "email": email,
                                               "password": PASSWORD})  # fmt: skip

    barrier = threading.Barrier(RACERS + 1)
    with ThreadPoolExecutor(RACERS + 1) as pool:
        imported = pool.submit(importing, firestore, adapters, ImportUsers("jsonl"), path, barrier)
        answers = list(pool.map(sign_up, range(RACERS)))
        summary = imported.result()

    taken = {int(error["id"][2:]) // 20: error["reason"] for error in summary.errors}
    assert summary.imported + summary.failed == len(rows) and summary.failed == len(taken)
    assert all(reason == ("email_taken" if k % 2 else "username_taken")
               for k, reason in taken.items())  # fmt: skip
    for k, answer in enumerate(answers):
        assert answer.status_code == (201 if k in taken else 409), (k, answer.get_json())
        if k not in taken:
            code = "email_taken" if k % 2 else "username_taken"
            assert answer.get_json()["code"] == code
    users = {snap.id for snap in firestore.collection(USERS).select([]).stream()}
    assert {f"c-{k * 20}" for k in taken}.isdisjoint(users)
    assert len(users) == summary.imported + len(taken)
    assert_claims_match_live_users(firestore)


def test_an_imported_firebase_user_signs_in_with_its_firebase_id_token(
    real_app: Flask, firestore: Any, emulators: Any, tmp_path: Path
) -> None:
    """The user's Firebase identity is linked on import: an ID token Firebase mints for its
    localId signs into the same account as its password does."""
    auth = f"{emulators.url('auth')}/identitytoolkit.googleapis.com/v1"
    email, password = "moved@example.com", random_password()
    made = requests.post(
        f"{auth}/projects/{emulators.project}/accounts",
        headers={"Authorization": "Bearer owner"},
        json={"email": email, "password": password, "emailVerified": True},
        timeout=10,
    )
    assert made.status_code == 200, made.text
    uid = made.json()["localId"]
    project = FirebaseProject.random(mem_cost=10)
    user = project.user(password, localId=uid, email=email, emailVerified=True)
    export = write_firebase_export(tmp_path / "firebase.json", [user])
    assert run(real_app, "import", str(export), "--format", "firebase",
               *project.options())["imported"] == 1  # fmt: skip

    signed_in = requests.post(
        f"{auth}/accounts:signInWithPassword?key=any",
        json={"email": email, "password": password, "returnSecureToken": True},
        timeout=10,
    )
    assert signed_in.status_code == 200, signed_in.text
    client = real_app.test_client()
    answer = client.post("/auth/firebase", json={"id_token": signed_in.json()["idToken"]})
    assert answer.status_code == 200, answer.get_json()
    me = client.get("/user", headers=bearer(answer.get_json()["access_token"])).get_json()
    assert me["id"] == uid and me["email"] == email
    login = client.post("/login", json={"username": email, "password": password})
    assert login.status_code == 200
    again = client.get("/user", headers=bearer(login.get_json()["access_token"])).get_json()
    assert again["id"] == uid
    assert count_documents(firestore, USERS) == count_documents(firestore, "identities") == 1


METRICS_TOKEN = "m" * 40


def invoke(app: Flask, *args: str, **kwargs: Any) -> tuple[int, dict[str, Any], str]:
    result = app.test_cli_runner().invoke(args=["users", *args], **kwargs)
    lines = result.stdout.strip().splitlines()
    return result.exit_code, json.loads(lines[-1]) if lines else {}, result.stderr


def test_a_wrong_hash_key_is_caught_before_anything_is_written_and_counted_after(
    firestore: Any, emulators: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The whole service as `users import` and a server build it (metrics on), each its own
    process's: with a
    random --hash-key, --check-password on the test account stops the import with nothing
    written; with the right one everybody imports. Then, on an import made without the
    check and a wrong key, each sign-in fails, and each failure is a firegate.migration
    warning and a count of firegate_imported_hash_failures_total."""
    app = build_app(make_settings(metrics_token=METRICS_TOKEN), configure_logs=False)
    project, password = FirebaseProject.random(mem_cost=10), random_password()
    users = [
        project.user(random_password(), email="one@example.com"),
        project.user(password, email="migration-test@example.com"),
        project.user(random_password(), email="two@example.com"),
    ]
    export = write_firebase_export(tmp_path / "users.json", users)
    wrong = FirebaseProject.random(mem_cost=10)
    wrong_key = ["--hash-key", b64(wrong.parameters.signer_key), *project.options()[2:]]
    args = ["import", str(export), "--format", "firebase"]
    check = ["--check-password", "migration-test@example.com"]

    code, answer, stderr = invoke(app, *args, *wrong_key, *check, input=password + "\n")
    assert (code, answer["error"]) == (1, "hash_parameters_mismatch"), stderr
    assert count_documents(firestore, USERS) == 0
    code, answer, _ = invoke(app, *args, *project.options(), "--check-password",
                             "nobody@example.com", input=password)  # fmt: skip
    assert (code, answer["error"]) == (1, "check_user_not_found")
    code, summary, _ = invoke(app, *args, *project.options(), *check,
                              env={"IMPORT_CHECK_PASSWORD": password})  # fmt: skip
    assert (code, summary["imported"], summary["failed"]) == (0, 3, 0)
    assert signs_in(app, "migration-test@example.com", password)

    # Without the check, a wrong key imports "successfully"; its failures show.
    emulators.wipe()
    code, summary, _ = invoke(app, *args, *wrong_key)
    assert (code, summary["imported"], summary["failed"]) == (0, 3, 0)
    server = build_app(make_settings(metrics_token=METRICS_TOKEN), configure_logs=False)
    client = server.test_client()  # a server of its own, as in production
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="firegate.migration"):
        for email in ("one@example.com", "migration-test@example.com"):
            login = client.post("/login", json={"username": email, "password": "whatever-1"})
            assert login.status_code == 401
    warnings = [r for r in caplog.records if r.name == "firegate.migration"]
    assert len(warnings) == 2 and "firebase-scrypt" in warnings[0].getMessage()
    scraped = client.get("/metrics", headers=bearer(METRICS_TOKEN)).get_data(as_text=True)
    assert 'firegate_imported_hash_failures_total{kind="firebase-scrypt"} 2.0' in scraped


def test_hashes_too_costly_to_check_are_refused_and_the_rest_imported(
    real_app: Flask, firestore: Any, tmp_path: Path
) -> None:
    password = random_password()
    fine = bcrypt_hash(password)
    costly = {
        "bcrypt31": f"{fine[:4]}31{fine[6:]}",
        "argon4gib": "$argon2id$v=19$m=4194304,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
        "pbkdf2big": django_hash(password, 1).replace("$1$", "$999999999$", 1),
        "bcrypt15": f"{fine[:4]}15{fine[6:]}",
    }
    lines = [
        {"username": name, "email": f"{name}@example.com", "password_hash": hashed}
        for name, hashed in {**costly, "fine": fine}.items()
    ]
    path = tmp_path / "users.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    code, dry, _ = invoke(real_app, "import", str(path), "--format", "jsonl", "--dry-run")
    assert (code, dry["dry_run"], dry["imported"], dry["failed"]) == (1, True, 1, 4)
    assert count_documents(firestore, USERS) == 0
    code, summary, _ = invoke(real_app, "import", str(path), "--format", "jsonl")
    assert (code, summary["imported"], summary["failed"]) == (1, 1, 4)
    assert "dry_run" not in summary
    assert {e["reason"] for e in summary["errors"]} == {"hash_too_costly"}
    assert count_documents(firestore, USERS) == 1
    assert signs_in(real_app, "fine", password)

    # Firebase parameters above the limits: the whole import, before the file is read.
    project = FirebaseProject.random(mem_cost=10)
    export = write_firebase_export(tmp_path / "f.json", [project.user(password, email="f@e.com")])
    for option, value in (("--rounds", "17"), ("--mem-cost", "16")):
        options = project.options()
        options[options.index(option) + 1] = value
        result = real_app.test_cli_runner().invoke(
            args=["users", "import", str(export), "--format", "firebase", *options]
        )
        assert result.exit_code == 2 and "are refused" in result.output, result.output
    assert count_documents(firestore, USERS) == 1
