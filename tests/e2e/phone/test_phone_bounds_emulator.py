"""Texts to a number within their bounds, raced on the emulators (docs/security.md, "Texts to
a phone number"): thirty requests at once for one number, sign-ins and accounts' changes of
number mixed, send no more texts than the number's bound (counted where a real receiver of
the send_sms hook got them), the rest answered 429; and thirty numbers without an account at
once spend their prefix's budget less the share kept for numbers with one, which one then
gets."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from bootstrap import build_adapters
from domain.accounts.identities import PhoneNumber
from domain.signin.codes.flows import ADDRESS_REQUESTS_PER_HOUR
from infrastructure.firestore.accounts.users import FirestoreUserRepository
from infrastructure.firestore.events.security_events import write_staged
from infrastructure.firestore.signin.codes import PHONE_CHANGE_FLOWS, PHONE_FLOWS
from tests.support.api import bearer, login, register
from tests.support.app import app_on
from tests.support.hook_receiver import HookReceiver
from tests.support.hours import in_one_hour
from tests.support.phone_texts import sms_receiver
from tests.support.races import RACERS, Call, race, statuses
from tests.support.settings import make_settings

pytestmark = pytest.mark.e2e
NUMBER = "+33612345678"


@pytest.fixture
def app(firestore: Any) -> Flask:
    """Phone sign-in on, in the local profile: no challenge provider."""
    settings = make_settings(
        app_profile="local",
        phone_sign_in=True,
        sms_budgets="+336123457:8/h,*:200/h",
    )
    in_one_hour(timedelta(minutes=1))  # a test's texts are counted in one hour's budget
    return app_on(settings, build_adapters(settings, firestore=firestore))


@pytest.fixture
def receiver(app: Flask) -> Iterator[HookReceiver]:
    with sms_receiver(app) as state:
        yield state


def from_ip(n: int) -> dict[str, Any]:
    return {"environ_overrides": {"REMOTE_ADDR": f"198.51.100.{n}"}}


def accounts(app: Flask, count: int) -> list[dict[str, str]]:
    """``count`` accounts just signed in (a change of number asks a recent sign-in; a
    guest's number comes with its upgrade alone)."""
    client = app.test_client()
    names = [f"changer{n}" for n in range(count)]
    for name in names:
        register(client, name)
    return [bearer(login(client, name)) for name in names]


def racers(app: Flask, *, clients: int) -> list[Call]:
    """Thirty requests for NUMBER, a sign-in's and an account's change in turn, from ``clients``
    client addresses."""
    changers = iter(accounts(app, RACERS // 2))

    def call(n: int) -> Call:
        ip = from_ip(n % clients)
        if n % 2:
            body = {"phone_number": NUMBER}
            return lambda c: c.post("/auth/phone-code", json=body, **ip)
        headers = next(changers)
        return lambda c: c.patch("/user", json={"phone_number": NUMBER}, headers=headers, **ip)

    return [call(n) for n in range(RACERS)]


def live_flows(firestore: Any) -> int:
    """The flows stored and not voided, sign-ins' and changes': each had its text's job, and
    a voided one none (a change the number's bound refused after its account's commit)."""
    collections = (PHONE_FLOWS, PHONE_CHANGE_FLOWS)
    docs = [doc for name in collections for doc in firestore.collection(name).stream()]
    return sum(1 for doc in docs if not doc.to_dict().get("void"))


@pytest.mark.parametrize(("clients", "sent"), [(RACERS, ADDRESS_REQUESTS_PER_HOUR), (1, 1)])
def test_thirty_requests_at_once_for_one_number_send_at_most_its_bound(
    app: Flask, receiver: HookReceiver, firestore: Any, clients: int, sent: int
) -> None:
    """From thirty clients: the number's twenty an hour of all clients (no challenge provider
    here); from one: its one each 30 seconds. The others are 429, never a 500."""
    outcomes = race(app, racers(app, clients=clients))
    assert statuses(outcomes) == {202: sent, 429: RACERS - sent}
    assert {o.code for o in outcomes if o.status == 429} == {"phone_code_rate_limited"}
    assert len(receiver.calls(NUMBER, sent)) == sent
    assert live_flows(firestore) == sent  # no other text is on its way
    assert len(receiver.calls(NUMBER, sent)) == sent and receiver.refused == []


def ask(client: FlaskClient, number: str, n: int) -> TestResponse:
    return client.post("/auth/phone-code", json={"phone_number": number}, **from_ip(n))


def test_thirty_new_numbers_at_once_leave_the_share_kept_for_an_account(
    app: Flask, receiver: HookReceiver, firestore: Any
) -> None:
    """+336123457 may be sent 8 texts an hour, 2 of them (25 %) kept for numbers that have an
    account: 30 numbers without one at once get 6, and a number with one then gets its text."""
    client = app.test_client()
    made = register(client, "ann")
    held = "+33612345799"
    users = FirestoreUserRepository(firestore, write_staged=write_staged)
    users.update(made["id"], lambda u: u.with_part(PhoneNumber.proven_as(held), u.updated_at))
    fresh = [f"+336123457{n:02d}" for n in range(RACERS)]

    def asking(n: int) -> Call:
        return lambda c: ask(c, fresh[n], n)

    outcomes = race(app, [asking(n) for n in range(RACERS)])
    assert statuses(outcomes) == {202: 6, 429: RACERS - 6}
    assert {o.code for o in outcomes if o.status == 429} == {"sms_budget"}
    assert ask(client, held, RACERS).status_code == 202
    assert len(receiver.calls(held)) == 1
    assert len(receiver.calls(count=7)) == 7
