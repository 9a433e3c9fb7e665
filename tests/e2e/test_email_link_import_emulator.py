"""Firebase users whose only way in is the e-mail link, moved to firegate
(docs/migrating.md, "Firebase e-mail-link users"): the Auth emulator makes such a user by
its own e-mail link sign-in, its account listing is written as ``firebase auth:export``
writes it, ``users import`` brings it with its uid, and it signs in by a mailed code; an
account made by a code gets a Firebase custom token as any account does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from tests.support import mailbox
from tests.support.api import bearer
from tests.support.email_codes import code_in
from tests.support.foreign_users import FirebaseProject, write_firebase_export

pytestmark = pytest.mark.e2e
OWNER = {"Authorization": "Bearer owner"}


def email_link_user(emulators: Any, email: str) -> dict[str, Any]:
    """A user the Auth emulator makes by its e-mail link sign-in, as its export lists it."""
    auth = f"{emulators.url('auth')}/identitytoolkit.googleapis.com/v1"
    sent = requests.post(
        f"{auth}/accounts:sendOobCode?key=any",
        json={
            "requestType": "EMAIL_SIGNIN",
            "email": email,
            "continueUrl": "http://127.0.0.1:8000/finish",
            "canHandleCodeInApp": True,
        },
        timeout=10,
    )
    assert sent.status_code == 200, sent.text
    codes = requests.get(
        f"{emulators.url('auth')}/emulator/v1/projects/{emulators.project}/oobCodes", timeout=10
    ).json()["oobCodes"]
    [oob] = [c["oobCode"] for c in codes if c["email"] == email]
    signed_in = requests.post(
        f"{auth}/accounts:signInWithEmailLink?key=any",
        json={"email": email, "oobCode": oob},
        timeout=10,
    )
    assert signed_in.status_code == 200, signed_in.text
    listed = requests.get(
        f"{auth}/projects/{emulators.project}/accounts:batchGet?maxResults=100",
        headers=OWNER,
        timeout=10,
    ).json()["users"]
    [user] = [u for u in listed if u.get("email") == email]
    assert "passwordHash" not in user
    return dict(user)


def ask_and_verify(client: FlaskClient, email: str) -> Any:
    flow = client.post("/auth/email-code", json={"email": email}).get_json()["flow_id"]
    [mail] = mailbox.wait_for(email)
    body = {"flow_id": flow, "code": code_in(mail["text"])}
    return client.post("/auth/email-code/verify", json=body)


def test_an_email_link_user_keeps_its_uid_and_signs_in_by_code(
    real_app: Flask, firestore: Any, emulators: Any, tmp_path: Path
) -> None:
    email = "linked@example.com"
    user = email_link_user(emulators, email)
    export = write_firebase_export(tmp_path / "firebase.json", [user])
    options = FirebaseProject.random(mem_cost=10).options()
    result = real_app.test_cli_runner().invoke(
        args=["users", "import", str(export), "--format", "firebase", *options]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1])["imported"] == 1
    client = real_app.test_client()
    answer = ask_and_verify(client, email)
    assert answer.status_code == 200, answer.get_json()
    me = client.get("/user", headers=bearer(answer.get_json()["access_token"])).get_json()
    assert (me["id"], me["email"], me["email_verified"]) == (user["localId"], email, True)


def test_an_account_made_by_a_code_gets_a_firebase_custom_token(real_client: FlaskClient) -> None:
    answer = ask_and_verify(real_client, "coded@example.com")
    assert answer.status_code == 200, answer.get_json()
    minted = real_client.post(
        "/auth/firebase/custom-token", headers=bearer(answer.get_json()["access_token"])
    )
    assert minted.status_code == 200, minted.get_json()
    assert minted.get_json()["custom_token"]
