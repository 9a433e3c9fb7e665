"""Moving users in and out on the Firestore emulator: a generated Firebase project's users
import with their ids, sign in with their passwords (argon2id afterwards), and an export
imported into an empty firegate signs everyone in with the same password."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from infrastructure.firestore.users import USERS
from tests.foreign_users import (
    FirebaseProject,
    bcrypt_hash,
    django_hash,
    random_password,
    write_firebase_export,
)

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
