"""Upgrading guests in place on the Firestore emulator (docs/guests.md, "Upgrading in
place"): the account keeps its id and session and takes its claims in one commit; 30 upgrades
of one guest raced make one account with one way in, and 30 guests raced to one address leave
it one account's, the others told 409 ``account_exists``."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from bootstrap import build_adapters
from tests.support.api import PASSWORD, assert_problem, bearer
from tests.support.app import app_on
from tests.support.dpop import claims_of
from tests.support.guest_accounts import new_guest_answer
from tests.support.races import RACERS, race, statuses
from tests.support.settings import make_settings

pytestmark = pytest.mark.e2e


def guests_app(firestore: Any) -> Flask:
    settings = make_settings(guest_accounts=True)
    return app_on(settings, build_adapters(settings, firestore=firestore))


def new_guest(app: Flask) -> dict[str, Any]:
    # made as POST /auth/guest makes one: the upgrade is the core's, tested without
    # the guests unit (tests/support/guest_accounts.py)
    return new_guest_answer(app.test_client())


def upgrading(pair: dict[str, Any], name: str, address: str) -> Any:
    body = {"username": name, "email": address, "password": PASSWORD}

    def call(client: Any) -> TestResponse:
        answer: TestResponse = client.post(
            "/auth/guest/upgrade", json=body, headers=bearer(pair["access_token"])
        )
        return answer

    return call


def claims(firestore: Any, collection: str) -> dict[str, str]:
    return {doc.id: doc.to_dict()["user_id"] for doc in firestore.collection(collection).stream()}


def test_the_upgrade_is_stored_in_place_and_the_session_goes_on(firestore: Any) -> None:
    app = guests_app(firestore)
    pair = new_guest(app)
    uid = claims_of(pair["access_token"])["sub"]
    answer = upgrading(pair, "ann", "ann@example.com")(app.test_client())
    assert answer.status_code == 200, answer.get_json()
    stored = firestore.collection("users").document(uid).get().to_dict()
    assert stored["guest"] is False and stored["username"] == "ann"
    assert stored["email"] == "ann@example.com" and stored["email_verified"] is False
    assert set(claims(firestore, "usernames").values()) == {uid}
    assert set(claims(firestore, "emails").values()) == {uid}
    client = app.test_client()
    refreshed = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.get_json()
    renewed = claims_of(refreshed.get_json()["access_token"])
    assert renewed["sub"] == uid and "guest" not in renewed
    login = client.post("/auth/login", json={"username": "ann", "password": PASSWORD})
    assert claims_of(login.get_json()["access_token"])["sub"] == uid
    again = upgrading(pair, "bob", "bob@example.com")(client)
    assert_problem(again, 409, "not_a_guest")


@pytest.mark.parametrize("same", [True, False], ids=["same-address", "each-its-own"])
def test_30_upgrades_of_one_guest_make_one_account_with_one_way_in(
    firestore: Any, same: bool
) -> None:
    app = guests_app(firestore)
    pair = new_guest(app)
    uid = claims_of(pair["access_token"])["sub"]
    calls = [
        upgrading(
            pair, "ann" if same else f"ann{i}", "ann@x.example" if same else f"a{i}@x.example"
        )
        for i in range(RACERS)
    ]
    outcomes = race(app, calls)
    assert statuses(outcomes) == {200: 1, 409: RACERS - 1}
    assert {o.code for o in outcomes if o.status == 409} == {"not_a_guest"}
    stored = firestore.collection("users").document(uid).get().to_dict()
    assert stored["guest"] is False
    assert claims(firestore, "usernames") == {stored["username_normalized"]: uid}
    assert list(claims(firestore, "emails").values()) == [uid]
    assert len(list(firestore.collection("users").stream())) == 1


def test_30_guests_raced_to_one_address_leave_it_one_accounts(firestore: Any) -> None:
    app = guests_app(firestore)
    pairs = [new_guest(app) for _ in range(RACERS)]
    calls = [upgrading(pair, f"ann{i}", "ann@x.example") for i, pair in enumerate(pairs)]
    outcomes = race(app, calls)
    assert statuses(outcomes) == {200: 1, 409: RACERS - 1}
    assert {o.code for o in outcomes if o.status == 409} == {"account_exists"}
    users = [doc.to_dict() for doc in firestore.collection("users").stream()]
    assert sum(not user["guest"] for user in users) == 1
    assert len(claims(firestore, "emails")) == 1 and len(claims(firestore, "usernames")) == 1
