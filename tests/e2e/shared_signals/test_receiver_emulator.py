"""The SSF receiver on the Firestore emulator, its calls over HTTP to a local transmitter
(tests/support/ssf_transmitter.py; docs/reference/ssf-receiver.md): an org's OpenID
connection names it, the job its activation queued registers firegate's stream there with
the connection's client, a SET about the owner pushed with the stream's secret ends their
session, a refused one does not; thirty pushes of one SET at once: one taken, the rest
refused."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from threading import Barrier
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from application.shared_signals.receiver.registration import StreamRegistration
from bootstrap import build_adapters
from bootstrap.accounts import AccountsAdapters
from tests.support.api import bearer, login, register
from tests.support.app import app_on
from tests.support.settings import make_settings
from tests.support.ssf_transmitter import (
    SESSION_REVOKED,
    SSF_CONFIGURATION,
    Transmitter,
    set_claims,
    signed_set,
    ssf_transmitter,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]
RACERS = 30
CLIENT_ID, CLIENT_SECRET = "firegate-corp", "corp-secret"
ALICE = "alice@example.com"


@pytest.fixture(scope="module")
def transmitter() -> Iterator[Transmitter]:
    with ssf_transmitter(CLIENT_ID, CLIENT_SECRET) as found:
        yield found


@dataclass
class Acme:
    app: Flask
    cid: str
    alice: dict[str, str]
    authorization: str

    def push(self, token: str, authorization: str | None = None) -> TestResponse:
        return self.app.test_client().post(
            f"/ssf/receive/{self.cid}",
            data=token,
            content_type="application/secevent+jwt",
            headers={"Authorization": authorization or self.authorization},
        )

    def signed_in(self) -> bool:
        return self.app.test_client().get("/user", headers=self.alice).status_code == 200


@pytest.fixture
def acme(firestore: Any, transmitter: Transmitter) -> Acme:
    """Alice, her address proven, owns the org acme, whose active OpenID connection names
    the transmitter; the job its activation queued registered firegate's stream."""
    before = len(transmitter.registered)  # the module's earlier tests'
    settings = make_settings()
    adapters = build_adapters(settings, firestore=firestore)
    app = app_on(settings, adapters)
    client = app.test_client()
    user_id = register(client, "alice")["id"]
    users = adapters.of(AccountsAdapters).users
    users.update(user_id, lambda u: replace(u, email_verified=True))
    alice = bearer(login(client, "alice"))
    assert (
        client.post("/orgs", json={"slug": "acme", "name": "Acme"}, headers=alice).status_code
        == 201
    )
    oidc = {
        "issuer": transmitter.base,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "ssf_configuration_url": transmitter.base + SSF_CONFIGURATION,
    }
    made = client.post(
        "/orgs/acme/connections",
        json={"kind": "oidc", "name": "Corp", "oidc": oidc, "status": "active"},
        headers=alice,
    )
    assert made.status_code == 201, made.get_json()
    cid = str(made.get_json()["id"])
    # Its activation's commit queued the job that registers the stream (the process's own
    # queue runs it); the sweep then has nothing to do.
    deadline = time.monotonic() + 30
    while len(transmitter.registered) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert app.extensions["firegate"].of(StreamRegistration).sweep() == 0
    assert len(transmitter.registered) == before + 1
    registered = transmitter.registration()
    assert registered["delivery"]["endpoint_url"].endswith(f"/ssf/receive/{cid}")
    return Acme(app, cid, alice, registered["delivery"]["authorization_header"])


def _about_alice(transmitter: Transmitter) -> str:
    return signed_set(
        set_claims(transmitter.base, SESSION_REVOKED, {"format": "email", "email": ALICE})
    )


def test_a_pushed_set_ends_the_members_session_and_a_refused_one_does_not(
    acme: Acme, transmitter: Transmitter
) -> None:
    token = _about_alice(transmitter)
    refused = acme.push(token, authorization="Bearer not-the-streams")
    assert refused.status_code == 400 and refused.get_json()["err"] == "authentication_failed"
    other = signed_set(
        set_claims("https://other.example", SESSION_REVOKED, {"format": "email", "email": ALICE})
    )
    assert acme.push(other).get_json()["err"] == "invalid_issuer"
    assert acme.signed_in()
    assert acme.push(token).status_code == 202
    assert not acme.signed_in()


def test_thirty_pushes_of_one_set_take_it_once(acme: Acme, transmitter: Transmitter) -> None:
    token = _about_alice(transmitter)
    start = Barrier(RACERS)

    def push(_: int) -> int:
        start.wait()
        return acme.push(token).status_code

    with ThreadPoolExecutor(RACERS) as pool:
        statuses = sorted(pool.map(push, range(RACERS)))
    assert statuses == [202] + [400] * (RACERS - 1)
    assert not acme.signed_in()
