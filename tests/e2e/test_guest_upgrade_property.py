"""A guest's id reads the same data before and after its upgrade in place, whatever way it
signs up by (docs/guests.md, "Upgrading in place"), proven on the emulators: hypothesis draws
the way (``WAYS``: each way of upgrading joins by a line there) and a few documents of the
guest's own under ``users/{uid}/notes``, read through the emulator's rules with the Firebase
ID token of a custom token before the upgrade, and of a new one of the same session after;
another account's notes stay refused. "Continue with" and an org's single sign-on, which take a
provider's round trip in a browser, are proven by their own emulator tests
(``test_guest_upgrade_upstream_emulator.py``, ``test_guest_upgrade_sso_emulator.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import count
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bootstrap import build_adapters
from interfaces.cli.rules import library
from tests.support import mailbox
from tests.support.api import PASSWORD, bearer
from tests.support.app import app_on
from tests.support.email_codes import code_in
from tests.support.firebase_auth import FirebaseAuth, firebase_auth
from tests.support.firebase_client import claims_of, firebase_sign_in, load_rules
from tests.support.guest_accounts import new_guest_answer
from tests.support.hook_receiver import HookReceiver
from tests.support.passkey_authenticator import Passkey
from tests.support.phone_texts import sms_receiver
from tests.support.settings import make_settings

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

RULES = f"""rules_version = '2';
service cloud.firestore {{
  match /databases/{{database}}/documents {{
    match /users/{{uid}}/notes/{{n}} {{
      allow read: if isFiregateAccount(uid);
    }}
{library()}  }}
}}
"""
serial = count()


@dataclass
class Bench:
    """firegate in process on the emulators with guests and phone sign-in on, its texts
    handed to a receiver, and the rules above loaded."""

    app: Flask
    client: FlaskClient
    emulators: Any
    firestore: Any
    texts: HookReceiver
    firebase: FirebaseAuth

    def guest(self) -> dict[str, Any]:
        # made as POST /auth/guest makes one: the upgrade is the core's, tested without
        # the guests unit (tests/support/guest_accounts.py)
        return new_guest_answer(self.client)

    def id_token(self, access_token: str) -> str:
        minted = self.client.post("/auth/firebase/custom-token", headers=bearer(access_token))
        assert minted.status_code == 200, minted.get_json()
        token: str = firebase_sign_in(self.emulators, minted.get_json()["custom_token"])["idToken"]
        return token

    def readable(self, id_token: str, uid: str, notes: int) -> list[int]:
        """getDoc of each of the account's notes as the ID token's holder: the statuses."""
        base = (
            f"{self.emulators.url('firestore')}/v1/projects/{self.emulators.project}"
            f"/databases/(default)/documents/users/{uid}/notes"
        )
        headers = {"Authorization": f"Bearer {id_token}"}
        return [
            requests.get(f"{base}/n{i}", headers=headers, timeout=30).status_code
            for i in range(notes)
        ]

    def plant(self, uid: str, notes: int) -> None:
        for i in range(notes):
            self.firestore.collection("users").document(uid).collection("notes").document(
                f"n{i}"
            ).set({"text": f"note {i}"})


# -- the ways a guest upgrades in place; each ends with the guest an account -------------


def by_password(bench: Bench, pair: dict[str, Any], n: int) -> None:
    body = {"username": f"pw{n}", "email": f"pw{n}@example.com", "password": PASSWORD}
    answer = bench.client.post(
        "/auth/guest/upgrade", json=body, headers=bearer(pair["access_token"])
    )
    assert answer.status_code == 200, answer.get_json()


def by_email_code(bench: Bench, pair: dict[str, Any], n: int) -> None:
    address = f"code{n}@example.com"
    asked = bench.client.post(
        "/auth/email-code", json={"email": address}, headers=bearer(pair["access_token"])
    )
    assert asked.status_code == 202, asked.get_json()
    [mail] = mailbox.wait_for(address)
    body = {"flow_id": asked.get_json()["flow_id"], "code": code_in(mail["text"])}
    answer = bench.client.post("/auth/email-code/verify", json=body)
    assert answer.status_code == 200, answer.get_json()


def by_phone_code(bench: Bench, pair: dict[str, Any], n: int) -> None:
    number = f"+3361234{n:04d}"
    asked = bench.client.post(
        "/auth/phone-code", json={"phone_number": number}, headers=bearer(pair["access_token"])
    )
    assert asked.status_code == 202, asked.get_json()
    [text] = bench.texts.calls(to=number)
    body = {"flow_id": asked.get_json()["flow_id"], "code": text["code"]}
    answer = bench.client.post("/auth/phone-code/verify", json=body)
    assert answer.status_code == 200, answer.get_json()


def by_passkey(bench: Bench, pair: dict[str, Any], n: int) -> None:
    headers = bearer(pair["access_token"])
    options = bench.client.post("/auth/passkeys/registration/options", headers=headers)
    assert options.status_code == 200, options.get_json()
    body = {**Passkey().register(options.get_json()), "username": f"pk{n}"}
    answer = bench.client.post("/auth/passkeys/registration", headers=headers, json=body)
    assert answer.status_code == 201, answer.get_json()


def by_firebase(bench: Bench, pair: dict[str, Any], n: int) -> None:
    address = f"fb{n}@example.com"
    bench.firebase.create(address)
    body = {"id_token": bench.firebase.sign_in(address)}
    answer = bench.client.post("/auth/firebase", json=body, headers=bearer(pair["access_token"]))
    assert answer.status_code == 200, answer.get_json()


WAYS: dict[str, Callable[[Bench, dict[str, Any], int], None]] = {
    "password": by_password,
    "email_code": by_email_code,
    "phone_code": by_phone_code,
    "passkey": by_passkey,
    "firebase": by_firebase,
}


@pytest.fixture
def bench(clean_emulators: Any, firestore: Any) -> Iterator[Bench]:
    load_rules(clean_emulators, RULES)
    config = make_settings(app_profile="local", guest_accounts=True, phone_sign_in=True)
    app = app_on(config, build_adapters(config, firestore=firestore))
    with (
        sms_receiver(app) as texts,
        firebase_auth(clean_emulators, f"guest-property-{next(serial)}") as firebase,
    ):
        yield Bench(app, app.test_client(), clean_emulators, firestore, texts, firebase)


@settings(
    max_examples=10,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(way=st.sampled_from(sorted(WAYS)), notes=st.integers(min_value=1, max_value=3))
def test_the_same_id_reads_the_same_documents_before_and_after_the_upgrade(
    bench: Bench, way: str, notes: int
) -> None:
    n = next(serial)
    pair, other = bench.guest(), bench.guest()
    uid, other_uid = (claims_of(p["access_token"])["sub"] for p in (pair, other))
    bench.plant(uid, notes)
    bench.plant(other_uid, 1)
    before = bench.id_token(pair["access_token"])
    assert bench.readable(before, uid, notes) == [200] * notes
    assert bench.readable(before, other_uid, 1) == [403]

    WAYS[way](bench, pair, n)

    refreshed = bench.client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.get_json()
    access = refreshed.get_json()["access_token"]
    assert claims_of(access)["sub"] == uid and "guest" not in claims_of(access)
    after = bench.id_token(access)
    assert claims_of(after)["sub"] == uid
    assert bench.readable(after, uid, notes) == bench.readable(before, uid, notes)
    assert bench.readable(after, other_uid, 1) == [403]
    stored = bench.firestore.collection("users").document(uid).get().to_dict()
    assert stored["guest"] is False
