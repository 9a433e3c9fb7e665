"""Guests on the Firestore emulator (docs/guests.md): ``POST /auth/guest`` stores an account
with no address, username or password (``guest: true`` in ``users/{uid}``, no claim of any
name), signs it in with an ordinary session, and counts it as a sign-up of its client's
address: 30 guests raced from one address get no more than the signal's number before the
challenge is asked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from bootstrap import build_adapters, build_app
from tests.support.api import assert_problem, bearer
from tests.support.challenge_verifier import Verifier, challenge_verifier, token
from tests.support.dpop import claims_of
from tests.support.races import RACERS, race, statuses
from tests.support.settings import make_settings

pytestmark = pytest.mark.e2e
CLIENT = "203.0.113.9"


def guests_app(firestore: Any, **changes: Any) -> Flask:
    settings = make_settings(**{"guest_accounts": True, **changes})
    return build_app(settings, build_adapters(settings, firestore=firestore))


@pytest.fixture
def verifier() -> Iterator[Verifier]:
    with challenge_verifier(hostname="127.0.0.1") as running:
        yield running


def start(client: Any, **body: Any) -> TestResponse:
    answer: TestResponse = client.post(
        "/auth/guest", json=body or None, environ_base={"REMOTE_ADDR": CLIENT}
    )
    return answer


def test_a_guest_is_stored_as_one_and_signed_in(firestore: Any) -> None:
    client = guests_app(firestore).test_client()
    answer = start(client)
    assert answer.status_code == 201, answer.get_json()
    pair = answer.get_json()
    uid = claims_of(pair["access_token"])["sub"]
    assert claims_of(pair["access_token"])["guest"] is True
    stored = firestore.collection("users").document(uid).get().to_dict()
    assert stored["guest"] is True
    assert (stored["username"], stored["email"], stored["password_hash"]) == (None, None, None)
    assert list(firestore.collection("usernames").stream()) == []
    me = client.get("/user", headers=bearer(pair["access_token"])).get_json()
    assert (me["id"], me["guest"], me["username"]) == (uid, True, None)
    refreshed = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refreshed.status_code == 200
    renewed = claims_of(refreshed.get_json()["access_token"])
    assert (renewed["sub"], renewed["guest"]) == (uid, True)


def test_off_there_is_no_guest(firestore: Any) -> None:
    client = guests_app(firestore, guest_accounts=False).test_client()
    assert_problem(start(client), 404, "guests_disabled")
    assert list(firestore.collection("users").stream()) == []


def test_30_guests_raced_from_one_address_pass_the_signal_no_more_than_its_number(
    firestore: Any, verifier: Verifier
) -> None:
    app = guests_app(
        firestore,
        challenge_provider="turnstile",
        challenge_site_key="site-key",
        challenge_secret="test-secret",
        challenge_verify_url=verifier.url + "/turnstile",
        challenge_signups_per_hour=5,
    )
    outcomes = race(app, [start] * RACERS)
    assert statuses(outcomes) == {201: 5, 401: RACERS - 5}
    assert {o.code for o in outcomes if o.status == 401} == {"challenge_required"}
    stored = [doc.to_dict() for doc in firestore.collection("users").stream()]
    assert len(stored) == 5 and all(doc["guest"] for doc in stored)
    passed = start(app.test_client(), challenge_token=token("register"))
    assert passed.status_code == 201
