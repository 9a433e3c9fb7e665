"""Sign-in by a code sent by text message on the emulators: the real Firestore adapters, the
text handed to a real receiver that checks the Standard Webhooks signature of each call
(tests/support/hook_receiver.py); thirty racers spend one code once and make one account, and
the routes answer 404 without the hook (docs/sign-in-with-a-phone-number.md). A number prefix
at half its SMS budget asks for a challenge, which a local verifier passes as Turnstile does
(docs/security.md, "A challenge on signals"), its token spent once by thirty racers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from application.hooks.admin import SetAuthHook
from application.hooks.services import HookServices
from bootstrap import build_adapters
from infrastructure.firestore.accounts.users import PHONE_NUMBERS, USERS
from tests.support.app import app_on
from tests.support.challenge_verifier import challenge_verifier, token
from tests.support.hook_receiver import HookReceiver, hook_receiver
from tests.support.hours import in_one_hour
from tests.support.phone_texts import phone_app, sms_receiver
from tests.support.races import RACERS, race, statuses
from tests.support.settings import make_settings
from tests.support.webhooks import ADMIN

pytestmark = pytest.mark.e2e
NUMBER = "+33612345678"


@pytest.fixture
def app(firestore: Any) -> Flask:
    return phone_app(firestore)


@pytest.fixture
def receiver(app: Flask) -> Iterator[HookReceiver]:
    with sms_receiver(app) as state:
        yield state


def texted(receiver: HookReceiver, count: int = 1) -> list[dict[str, Any]]:
    """The first ``count`` verified calls, once they came."""
    return receiver.calls(count=count)


def test_the_receiver_gets_the_signed_text_and_of_thirty_racers_one_signs_in(
    app: Flask, receiver: HookReceiver, firestore: Any
) -> None:
    client = app.test_client()
    asked = client.post("/auth/phone-code", json={"phone_number": NUMBER})
    assert asked.status_code == 202, asked.get_json()
    [text] = texted(receiver)
    assert receiver.refused == []  # every call carried a valid signature
    assert (text["to"], text["kind"], text["locale"]) == (NUMBER, "phone_code", "en")
    assert text["text"].endswith(f"\n@127.0.0.1 #{text['code']}")  # PUBLIC_URL's host, no port
    body = {"flow_id": asked.get_json()["flow_id"], "code": text["code"]}
    outcomes = race(
        app, [lambda c: c.post("/auth/phone-code/verify", json=body) for _ in range(RACERS)]
    )
    counts = statuses(outcomes)
    assert counts[200] == 1, counts
    # The others lost the flow, or met the throttle's budget while the guesses were pending.
    assert {(o.status, o.code) for o in outcomes if o.status != 200} <= {
        (400, "invalid_phone_flow"),
        (429, "too_many_login_failures"),
    }
    [account] = list(firestore.collection(USERS).stream())
    assert account.to_dict()["phone_number"] == NUMBER and account.to_dict()["email"] is None
    [claim] = list(firestore.collection(PHONE_NUMBERS).stream())
    assert claim.to_dict()["user_id"] == account.id


def test_of_thirty_parallel_wrong_codes_at_most_five_are_compared(
    app: Flask, receiver: HookReceiver
) -> None:
    client = app.test_client()
    flow = client.post("/auth/phone-code", json={"phone_number": NUMBER}).get_json()["flow_id"]
    [text] = texted(receiver)
    wrong = f"{(int(text['code']) + 1) % 10**6:06d}"
    body = {"flow_id": flow, "code": wrong}
    outcomes = race(
        app, [lambda c: c.post("/auth/phone-code/verify", json=body) for _ in range(RACERS)]
    )
    compared = [o for o in outcomes if o.code == "invalid_phone_code"]
    assert 1 <= len(compared) <= 5, statuses(outcomes)
    assert {(o.status, o.code) for o in outcomes if o.code != "invalid_phone_code"} <= {
        (400, "invalid_phone_flow"),
        (429, "too_many_login_failures"),
    }
    right = client.post("/auth/phone-code/verify", json={"flow_id": flow, "code": text["code"]})
    assert right.status_code in (400, 429), right.get_json()


def test_without_a_send_sms_hook_the_routes_answer_404(app: Flask) -> None:
    client = app.test_client()
    asked = client.post("/auth/phone-code", json={"phone_number": NUMBER})
    assert asked.status_code == 404 and asked.get_json()["code"] == "phone_disabled"
    verify = client.post("/auth/phone-code/verify", json={"flow_id": "f" * 32, "code": "123456"})
    assert verify.status_code == 404 and verify.get_json()["code"] == "phone_disabled"


def test_a_prefix_at_half_its_budget_asks_a_challenge_whose_token_lets_one_through(
    firestore: Any,
) -> None:
    with challenge_verifier(hostname="127.0.0.1") as verifier, hook_receiver("/sms") as state:
        settings = make_settings(
            app_profile="local",
            phone_sign_in=True,
            sms_budgets="+336:4/h,*:200/h",
            challenge_provider="turnstile",
            challenge_site_key="site-key",
            challenge_secret="test-secret",
            challenge_verify_url=verifier.url + "/turnstile",
            challenge_email_codes_per_hour=100,  # the client's own signal stays out of it
        )
        app = app_on(settings, build_adapters(settings, firestore=firestore))
        hooks = app.extensions["firegate"].of(HookServices).hooks
        state.secret = hooks.set(SetAuthHook(ADMIN, "send_sms", state.url)).secret
        client = app.test_client()
        in_one_hour(timedelta(minutes=1))  # the texts below are counted in one hour's budget

        def ask(number: str, **extra: str) -> Any:
            return client.post("/auth/phone-code", json={"phone_number": number, **extra})

        for n in range(2):  # 2 of the prefix's 4 this hour: nothing asked
            assert ask(f"+336123456{n:02d}").status_code == 202
        asked = ask("+33612345602")
        assert asked.status_code == 401, asked.get_json()
        assert (asked.get_json()["code"], asked.get_json()["provider"]) == (
            "challenge_required",
            "turnstile",
        )
        assert ask("+34612345678").status_code == 202  # another prefix
        one = token("phone_code", 7)

        def racer(n: int) -> Callable[[FlaskClient], TestResponse]:
            body = {"phone_number": f"+336123457{n:02d}", "challenge_token": one}
            return lambda c: c.post("/auth/phone-code", json=body)

        outcomes = race(app, [racer(n) for n in range(RACERS)])
        assert statuses(outcomes) == {202: 1, 401: RACERS - 1}
        assert {o.code for o in outcomes if o.status == 401} == {"challenge_required"}
        assert len(texted(state, 4)) == 4  # two, the other prefix's and the raced one's
        assert state.refused == []
        assert [a["remoteip"] for a in verifier.asked] == ["127.0.0.1"]  # one token, one call
