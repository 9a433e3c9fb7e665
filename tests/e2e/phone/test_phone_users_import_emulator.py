"""Firebase phone users moved to firegate (docs/migrating.md, "Phone users"): the Auth
emulator makes them by its own phone sign-in, ``firebase auth:export`` (firebase-tools,
pointed at the emulator) writes the export, ``users import`` brings each with its uid and
its number proven, and each signs in at once by a code texted through the send_sms hook to
a receiver that checks the Standard Webhooks signature. A number a firegate account holds
already is reported and the rest imported. A firegate account's Firebase custom token
carries its proven number, which the ID token the Auth emulator mints from it shows
(docs/reference/phone.md, "Claims and tokens")."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from application.accounts.signups import ANYONE
from application.migration.importing import ImportFile, ImportSummary, ImportUsers
from application.migration.services import UserMigration
from bootstrap import Adapters, build_adapters
from bootstrap.accounts import AccountsAdapters
from bootstrap.accounts_rules import address_rule
from bootstrap.federation import FederationAdapters
from infrastructure.firestore.accounts.users import PHONE_NUMBERS, USERS
from infrastructure.firestore.migration.user_moves import FirestoreUserMoves
from interfaces.cli.migration import firebase_records
from tests.fakes.accounts import profile_schemas
from tests.support.api import bearer
from tests.support.emulators import load_emulators_module
from tests.support.firebase_client import claims_of, firebase_sign_in
from tests.support.foreign_users import FirebaseProject, write_firebase_export
from tests.support.hook_receiver import HookReceiver
from tests.support.phone_texts import phone_app, sms_receiver
from tests.support.races import RACERS
from tests.support.settings import make_settings
from tests.support.stored_documents import assert_claims_match_live_users
from tests.support.stored_documents import count as count_documents

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[3]
# Numbers of kinds a code is texted to (docs/reference/phone.md, "The number")
PHONE_ONLY, SECOND, HELD = "+33612345678", "+34612345678", "+447911123456"


@pytest.fixture
def app(firestore: Any) -> Flask:
    return phone_app(firestore)


@pytest.fixture
def receiver(app: Flask) -> Iterator[HookReceiver]:
    with sms_receiver(app) as state:
        yield state


def firebase_phone_user(emulators: Any, number: str) -> str:
    """A user the Auth emulator makes by its own phone sign-in (what the Firebase SDK's
    signInWithPhoneNumber does): its uid."""
    auth = f"{emulators.url('auth')}/identitytoolkit.googleapis.com/v1"
    sent = requests.post(
        f"{auth}/accounts:sendVerificationCode?key=any",
        json={"phoneNumber": number, "recaptchaToken": "ignored"},
        timeout=10,
    )
    assert sent.status_code == 200, sent.text
    session = sent.json()["sessionInfo"]
    codes = requests.get(
        f"{emulators.url('auth')}/emulator/v1/projects/{emulators.project}/verificationCodes",
        timeout=10,
    ).json()["verificationCodes"]
    [code] = [c["code"] for c in codes if c["sessionInfo"] == session]
    signed_in = requests.post(
        f"{auth}/accounts:signInWithPhoneNumber?key=any",
        json={"sessionInfo": session, "code": code},
        timeout=10,
    )
    assert signed_in.status_code == 200, signed_in.text
    uid: str = signed_in.json()["localId"]
    return uid


def firebase_export(emulators: Any, path: Path) -> list[dict[str, Any]]:
    """``firebase auth:export PATH --format=json`` of the emulator's project: firebase-tools
    sends its requests to the emulator (as the owner, so no login is asked)."""
    binary = load_emulators_module().ensure_firebase_tools(ROOT)
    env = {
        **os.environ,
        "FIREBASE_GOOGLE_URL": f"{emulators.url('auth')}/www.googleapis.com",
        "FIREBASE_TOKEN": "emulator",  # never used: the emulator is asked as its owner
    }
    done = subprocess.run(
        [str(binary), "auth:export", str(path), "--format=json", "--project", emulators.project],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    users: list[dict[str, Any]] = json.loads(path.read_text())["users"]
    return users


def texted(receiver: HookReceiver, to: str) -> dict[str, Any]:
    """The last verified call for ``to``, once it came."""
    return receiver.calls(to)[-1]


def sign_in_by_text(client: FlaskClient, receiver: HookReceiver, number: str) -> dict[str, Any]:
    """POST /auth/phone-code and /verify with the texted code: the token pair."""
    with receiver.lock:
        receiver.received.clear()
    asked = client.post("/auth/phone-code", json={"phone_number": number})
    assert asked.status_code == 202, asked.get_json()
    body = {"flow_id": asked.get_json()["flow_id"], "code": texted(receiver, number)["code"]}
    answer = client.post("/auth/phone-code/verify", json=body)
    assert answer.status_code == 200, answer.get_json()
    pair: dict[str, Any] = answer.get_json()
    return pair


def me(client: FlaskClient, pair: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = client.get("/user", headers=bearer(pair["access_token"])).get_json()
    return found


@pytest.mark.timeout(240)
def test_firebase_phone_users_keep_their_uid_and_sign_in_by_code_at_once(
    app: Flask, receiver: HookReceiver, firestore: Any, emulators: Any, tmp_path: Path
) -> None:
    client = app.test_client()
    holder = me(client, sign_in_by_text(client, receiver, HELD))  # a firegate account's
    uids = {number: firebase_phone_user(emulators, number) for number in (PHONE_ONLY, SECOND)}
    uids[HELD] = firebase_phone_user(emulators, HELD)  # Firebase's, held here already
    users = firebase_export(emulators, tmp_path / "firebase.json")
    assert {u["localId"]: u.get("phoneNumber") for u in users} == {
        uid: number for number, uid in uids.items()
    }
    assert all("email" not in u and "passwordHash" not in u for u in users)

    options = FirebaseProject.random(mem_cost=10).options()
    args = ["users", "import", str(tmp_path / "firebase.json"), "--format", "firebase"]
    result = app.test_cli_runner().invoke(args=[*args, *options])
    assert result.exit_code == 1, result.output  # one user failed
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert (summary["imported"], summary["failed"]) == (2, 1), summary
    assert [(e["id"], e["reason"]) for e in summary["errors"]] == [
        (uids[HELD], "phone_number_taken")
    ]
    for number in (PHONE_ONLY, SECOND):
        stored = firestore.collection(USERS).document(uids[number]).get().to_dict()
        assert (stored["phone_number"], stored["phone_number_verified"]) == (number, True)
        claim = firestore.collection(PHONE_NUMBERS).document(number).get().to_dict()
        assert claim["user_id"] == uids[number]  # written with the account
    held = firestore.collection(PHONE_NUMBERS).document(HELD).get().to_dict()
    assert held["user_id"] == holder["id"]  # the import took nothing of it

    pairs = {number: sign_in_by_text(client, receiver, number) for number in (PHONE_ONLY, SECOND)}
    for number, pair in pairs.items():
        found = me(client, pair)
        assert (found["id"], found["phone_number"], found["phone_number_verified"]) == (
            uids[number],
            number,
            True,
        )
    assert len(list(firestore.collection(USERS).stream())) == 3  # no account made by a code
    assert receiver.refused == []  # every text carried a valid signature

    # Back in the Firebase app: the custom token of the imported account signs in as its uid,
    # its number in the custom token and in the ID token Firebase makes of it
    headers = bearer(pairs[PHONE_ONLY]["access_token"])
    custom_token = client.post("/auth/firebase/custom-token", headers=headers).get_json()[
        "custom_token"
    ]
    assert claims_of(custom_token)["claims"]["phone_number"] == PHONE_ONLY
    id_token = claims_of(firebase_sign_in(emulators, custom_token)["idToken"])
    assert (id_token["sub"], id_token["phone_number"]) == (uids[PHONE_ONLY], PHONE_ONLY)


@pytest.mark.timeout(120)
def test_the_firebase_custom_token_carries_the_proven_number(
    app: Flask, receiver: HookReceiver, emulators: Any
) -> None:
    client = app.test_client()
    pair = sign_in_by_text(client, receiver, PHONE_ONLY)  # an account made by the code
    user_id = me(client, pair)["id"]
    minted = client.post("/auth/firebase/custom-token", headers=bearer(pair["access_token"]))
    assert minted.status_code == 200, minted.get_json()
    custom_token = minted.get_json()["custom_token"]
    assert claims_of(custom_token)["claims"]["phone_number"] == PHONE_ONLY
    # Firebase takes it (no forbidden claim), and makes the ID token's phone_number of its
    # own user record: none for an account Firebase never saw a number of
    # (docs/decisions/0539-the-custom-tokens-phone-number-and-firebases-own.md)
    id_token = claims_of(firebase_sign_in(emulators, custom_token)["idToken"])
    assert id_token["sub"] == user_id and id_token["role"] == "user"
    assert id_token["firebase"]["sign_in_provider"] == "custom"
    assert "phone_number" not in id_token


def importing(adapters: Adapters, firestore: Any, path: Path, barrier: threading.Barrier) -> Any:
    """One ``users import`` of the file through the Firestore adapters."""
    with path.open("rb") as stream:
        records = firebase_records(stream)
        barrier.wait()
        migration = UserMigration(
            moves=FirestoreUserMoves(firestore),
            users=adapters.of(AccountsAdapters).users,
            hasher=adapters.of(AccountsAdapters).hasher,
            clock=adapters.platform.clock,
            providers=adapters.of(FederationAdapters).upstream_providers,
            addresses=address_rule(make_settings()),
            schemas=profile_schemas(),
            signups=ANYONE,
        )
        summary: ImportSummary = migration.import_users(
            ImportFile(ImportUsers("firebase"), records)
        )
        return summary


@pytest.mark.timeout(240)
def test_of_thirty_imports_giving_one_number_to_thirty_users_one_gets_it(
    firestore: Any, tmp_path: Path
) -> None:
    """Thirty files, each a Firebase user of its own with the same number, imported at once:
    one account holds it, the others are reported, and none is written in part."""
    project = FirebaseProject.random(mem_cost=10)
    paths = [
        write_firebase_export(
            tmp_path / f"users{n}.json",
            [project.user(None, email=f"racer{n}@example.com", phoneNumber=PHONE_ONLY)],
        )
        for n in range(RACERS)
    ]
    adapters = build_adapters(make_settings(), firestore=firestore)
    barrier = threading.Barrier(RACERS)
    with ThreadPoolExecutor(RACERS) as pool:
        summaries = list(
            pool.map(lambda path: importing(adapters, firestore, path, barrier), paths)
        )
    assert sum(s.imported for s in summaries) == 1
    assert sorted(e["reason"] for s in summaries for e in s.errors) == ["phone_number_taken"] * (
        RACERS - 1
    )
    for collection in (USERS, "usernames", "emails", PHONE_NUMBERS):
        assert count_documents(firestore, collection) == 1, collection
    assert_claims_match_live_users(firestore)
    [winner] = list(firestore.collection(USERS).stream())
    claim = firestore.collection(PHONE_NUMBERS).document(PHONE_ONLY).get().to_dict()
    assert claim["user_id"] == winner.id and winner.get("phone_number_verified") is True
