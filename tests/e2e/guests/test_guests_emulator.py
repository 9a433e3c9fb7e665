"""Guests on the Firestore emulator (docs/guests.md): ``POST /auth/guest`` stores an account
with no address, username or password (``guest: true`` in ``users/{uid}``, no claim of any
name), signs it in with an ordinary session, and counts it as a sign-up of its client's
address: 30 guests raced from one address get no more than the signal's number before the
challenge is asked."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from google.cloud.firestore import FieldFilter
from werkzeug.test import TestResponse

from application.jobs import SWEEP, JobPush, encode_job
from application.ports import Job
from application.services import Services
from bootstrap import build_adapters
from tests.fakes.kernel import FakeClock, FakeJobQueue
from tests.support.api import assert_problem, bearer
from tests.support.app import app_on, app_on_emulator
from tests.support.challenge_verifier import Verifier, challenge_verifier, token
from tests.support.dpop import claims_of
from tests.support.hours import in_one_hour
from tests.support.races import RACERS, race, statuses
from tests.support.settings import make_settings

pytestmark = pytest.mark.e2e
CLIENT = "203.0.113.9"


def guests_app(firestore: Any, **changes: Any) -> Flask:
    settings = make_settings(**{"guest_accounts": True, **changes})
    return app_on(settings, build_adapters(settings, firestore=firestore))


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
    in_one_hour(timedelta(minutes=1))  # the sign-ups below are counted in one hour
    outcomes = race(app, [start] * RACERS)
    assert statuses(outcomes) == {201: 5, 401: RACERS - 5}
    assert {o.code for o in outcomes if o.status == 401} == {"challenge_required"}
    stored = [doc.to_dict() for doc in firestore.collection("users").stream()]
    assert len(stored) == 5 and all(doc["guest"] for doc in stored)
    passed = start(app.test_client(), challenge_token=token("register"))
    assert passed.status_code == 201


# -- expiry: the guests sweep -----------------------------------------------------------------


def sweep_guests(app: Flask) -> None:
    """What the operator's scheduler pushes: a ``sweep`` job naming ``guests``."""
    services: Services = app.extensions["firegate"]
    data = base64.b64encode(encode_job(Job(kind=SWEEP, subject="guests"))).decode()
    services.platform.jobs.receive_push(JobPush(data=data))


def owned(firestore: Any, uid: str) -> list[str]:
    """The documents of the guest: its account, its sessions, its tasks."""
    found = [f"users/{uid}"] if firestore.collection("users").document(uid).get().exists else []
    for collection, field in (("sessions", "user_id"), ("tasks", "owner_id")):
        query = firestore.collection(collection).where(filter=FieldFilter(field, "==", uid))
        found += [f"{collection}/{snap.id}" for snap in query.stream()]
    return found


def test_a_guest_unused_past_its_ttl_is_swept_with_what_it_owns_one_used_stays(
    firestore: Any,
) -> None:
    clock = FakeClock()
    settings = make_settings(guest_accounts=True, guest_ttl=2 * 86_400)
    app = app_on_emulator(settings, firestore, FakeJobQueue(), clock=clock)
    client = app.test_client()
    gone, kept = start(client).get_json(), start(client).get_json()
    gone_id, kept_id = (claims_of(pair["access_token"])["sub"] for pair in (gone, kept))
    for pair in (gone, kept):
        made = client.post("/tasks", json={"title": "mine"}, headers=bearer(pair["access_token"]))
        assert made.status_code == 201
    assert len(owned(firestore, gone_id)) == 3
    clock.advance(hours=36)
    refreshed = client.post("/auth/refresh", json={"refresh_token": kept["refresh_token"]})
    assert refreshed.status_code == 200  # its use, noted: 2 days from now
    sweep_guests(app)
    assert len(owned(firestore, gone_id)) == 3  # not yet past its two days
    clock.advance(hours=24)
    sweep_guests(app)
    assert owned(firestore, gone_id) == []
    assert sorted(doc.split("/")[0] for doc in owned(firestore, kept_id)) == [
        "sessions",
        "tasks",
        "users",
    ]
    clock.advance(hours=24)  # the kept guest's two days from its use are past too
    sweep_guests(app)
    assert owned(firestore, kept_id) == []
