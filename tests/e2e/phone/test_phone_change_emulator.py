"""The account's own phone number on the emulators (docs/reference/phone.md, "Changing and
removing the number"): the code of a new number handed to a real receiver that checks the
Standard Webhooks signature of each call (tests/support/hook_receiver.py); thirty proofs of
one code prove it once; two accounts proving one number at once, one wins; a removal
releases the claim on Firestore."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from infrastructure.firestore.accounts.users import PHONE_NUMBERS
from infrastructure.firestore.signin.codes import PHONE_CHANGE_FLOWS, PHONE_FLOWS
from tests.support.api import PASSWORD, bearer, login, register
from tests.support.hook_receiver import HookReceiver
from tests.support.phone_texts import phone_app, sms_receiver
from tests.support.races import RACERS, Call, race, statuses

pytestmark = pytest.mark.e2e
NUMBER, OTHER = "+33612345678", "+34612345678"


@pytest.fixture
def app(firestore: Any) -> Flask:
    return phone_app(firestore)


@pytest.fixture
def receiver(app: Flask) -> Iterator[HookReceiver]:
    with sms_receiver(app) as state:
        yield state


def texted(receiver: HookReceiver, to: str, count: int = 1) -> list[dict[str, Any]]:
    """The first ``count`` verified calls for ``to``, once they came."""
    return receiver.calls(to, count)


def signed_in(client: FlaskClient, username: str) -> dict[str, str]:
    register(client, username, password=PASSWORD)
    return bearer(login(client, username))


def holders(firestore: Any) -> dict[str, str]:
    """The proven numbers' claims: number's claim id -> account."""
    return {
        claim.id: claim.to_dict()["user_id"]
        for claim in firestore.collection(PHONE_NUMBERS).stream()
    }


def test_the_receiver_gets_the_signed_change_and_of_thirty_proofs_one_lands(
    app: Flask, receiver: HookReceiver, firestore: Any
) -> None:
    client = app.test_client()
    ann = signed_in(client, "ann")
    asked = client.patch("/user", json={"phone_number": NUMBER}, headers=ann)
    assert asked.status_code == 202 and asked.get_json() == {"expires_in": 600}
    [text] = texted(receiver, NUMBER)
    assert receiver.refused == []  # every call carried a valid signature
    assert (text["kind"], text["locale"]) == ("phone_change", "en")
    assert text["text"].endswith(f"\n@127.0.0.1 #{text['code']}")
    # The change's flow is its own: no sign-in by code can take it.
    assert list(firestore.collection(PHONE_FLOWS).stream()) == []
    assert len(list(firestore.collection(PHONE_CHANGE_FLOWS).stream())) == 1
    assert client.get("/user", headers=ann).get_json()["phone_number"] is None
    body = {"code": text["code"]}
    outcomes = race(
        app,
        [lambda c: c.post("/user/phone/verify", json=body, headers=ann) for _ in range(RACERS)],
    )
    counts = statuses(outcomes)
    assert counts[200] == 1, counts
    assert {(o.status, o.code) for o in outcomes if o.status != 200} <= {
        (400, "invalid_phone_flow"),
        (429, "too_many_login_failures"),
    }
    me = client.get("/user", headers=ann).get_json()
    assert (me["phone_number"], me["phone_number_verified"]) == (NUMBER, True)
    assert list(holders(firestore).values()) == [me["id"]]
    gone = client.delete("/user/phone", headers=ann)
    assert gone.status_code == 204
    assert holders(firestore) == {}
    assert client.get("/user", headers=ann).get_json()["phone_number"] is None


def proof(who: dict[str, str], code: str) -> Call:
    return lambda c: c.post("/user/phone/verify", json={"code": code}, headers=who)


def test_two_accounts_proving_one_number_at_once_one_wins_the_other_409(
    app: Flask, receiver: HookReceiver, firestore: Any
) -> None:
    client = app.test_client()
    ann, bob = signed_in(client, "ann"), signed_in(client, "bob")
    codes: list[str] = []
    for count, who in enumerate((ann, bob), start=1):
        # Two people, each from a client of their own: the number's requests are counted
        # per client too (docs/decisions/0650-a-numbers-texts-counted-on-the-number.md).
        ip = {"REMOTE_ADDR": f"198.51.100.{count}"}
        asked = client.patch(
            "/user", json={"phone_number": NUMBER}, headers=who, environ_overrides=ip
        )
        assert asked.status_code == 202, asked.get_json()
        codes.append(texted(receiver, NUMBER, count)[count - 1]["code"])
    outcomes = race(app, [proof(who, code) for who, code in zip((ann, bob), codes, strict=True)])
    assert sorted(o.status for o in outcomes) == [200, 409], outcomes
    assert {o.code for o in outcomes if o.status == 409} == {"phone_number_taken"}
    [holder] = holders(firestore).values()
    numbers = {
        who["Authorization"]: client.get("/user", headers=who).get_json()["phone_number"]
        for who in (ann, bob)
    }
    assert sorted(numbers.values(), key=str) == sorted([NUMBER, None], key=str)
    winner = ann if numbers[ann["Authorization"]] == NUMBER else bob
    assert client.get("/user", headers=winner).get_json()["id"] == holder
