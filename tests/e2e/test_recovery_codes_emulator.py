"""Recovery codes on the emulators: a passkey-first account's (docs/decisions/0476), thirty
parallel asks making one set and thirty parallel sign-ins with one code signing in once; and
every way of making codes refused to a session signed in longer ago than REAUTH_MAX_AGE,
while a fresh one's codes sign in (docs/security.md, "A new way in")."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.accounts.services import AccountServices
from application.accounts.signups import RegisterProven
from application.services import Services
from application.signin.authentication import Actor, Authenticate
from application.signin.factors.totp import GetTotp
from application.signin.services import SigninServices
from bootstrap import build_adapters
from domain.errors import Conflict, ReauthenticationRequired
from tests.fakes.kernel import FakeClock
from tests.support import mailbox
from tests.support.api import PASSWORD, bearer, login, register
from tests.support.app import app_on, swap
from tests.support.email_codes import code_in
from tests.support.races import RACERS, race, statuses
from tests.support.settings import make_settings

pytestmark = pytest.mark.e2e


def test_thirty_asks_make_one_set_and_one_code_signs_in_once(
    real_app: Flask, firestore: Any
) -> None:
    services: Services = real_app.extensions["firegate"]
    user = services.of(AccountServices).accounts.register_proven(RegisterProven("rua@example.com"))
    actor = Actor(
        user.id, user.shown_name, "user", "session", datetime.now(UTC), recent_sign_in=True
    )

    def ask(_: int) -> tuple[str, ...] | str:
        """The codes made, or the refusal's code."""
        try:
            return services.of(SigninServices).totp.first_recovery_codes(GetTotp(actor))
        except Conflict as refused:
            return refused.code

    with ThreadPoolExecutor(RACERS) as pool:
        answers = list(pool.map(ask, range(RACERS)))
    shown = [answer for answer in answers if isinstance(answer, tuple)]
    assert len(shown) == 1 and len(shown[0]) == 10
    assert answers.count("recovery_codes_shown") == RACERS - 1
    stored = firestore.collection("mfa").document(user.id).get().to_dict()
    assert stored["active"] is False and len(stored["recovery_hashes"]) == 10

    body = {"username": "rua@example.com", "password": shown[0][0]}
    outcomes = race(real_app, [lambda c: c.post("/login", json=body) for _ in range(RACERS)])
    counts = statuses(outcomes)
    assert counts[200] == 1, counts
    assert {(o.status, o.code) for o in outcomes if o.status != 200} <= {
        (401, "invalid_credentials"),
        (429, "too_many_login_failures"),
    }
    stored = firestore.collection("mfa").document(user.id).get().to_dict()
    assert len(stored["recovery_hashes"]) == 9


REAUTH_MAX_AGE = 600  # the default


def earlier_app(firestore: Any) -> tuple[Flask, datetime]:
    """The same service on the same Firestore, its clock REAUTH_MAX_AGE and a second ago (and
    standing still): a sign-in there is too old now to make codes, its access token (15
    minutes) still valid. The time is taken when the app is made, not when the module is
    collected: a suite's run may take longer than the token's life."""
    settings = make_settings()
    past = datetime.now(UTC) - timedelta(seconds=REAUTH_MAX_AGE + 1)
    adapters = swap(build_adapters(settings, firestore=firestore), clock=FakeClock(past))
    return app_on(settings, adapters), past


def by_mailed_code(client: FlaskClient, email: str, count: int) -> str:
    """A sign-in by a mailed code (the ``count``-th mail to ``email``): its access token."""
    asked = client.post("/auth/email-code", json={"email": email})
    assert asked.status_code == 202, asked.get_json()
    mail = mailbox.wait_for(email, count)[count - 1]
    body = {"flow_id": asked.get_json()["flow_id"], "code": code_in(mail["text"])}
    signed_in = client.post("/auth/email-code/verify", json=body)
    assert signed_in.status_code == 200, signed_in.get_json()
    token: str = signed_in.get_json()["access_token"]
    return token


def second_step(client: FlaskClient, username: str, body: dict[str, str]) -> str:
    first = client.post("/login", json={"username": username, "password": PASSWORD})
    assert first.status_code == 401 and first.get_json()["code"] == "mfa_required"
    done = client.post("/login/mfa", json={"mfa_token": first.get_json()["mfa_token"], **body})
    assert done.status_code == 200, done.get_json()
    token: str = done.get_json()["access_token"]
    return token


def refused(answer: Any) -> None:
    assert answer.status_code == 403, answer.get_json()
    assert answer.get_json()["code"] == "reauthentication_required"


def test_an_old_session_makes_no_codes_by_any_way_and_a_fresh_ones_codes_sign_in(
    real_app: Flask, firestore: Any
) -> None:
    earlier, past = earlier_app(firestore)
    before, client = earlier.test_client(), real_app.test_client()
    services: Services = real_app.extensions["firegate"]
    mfa = firestore.collection("mfa")

    # A passwordless account's first codes (POST /sign-up/recovery-codes calls this).
    old = services.of(SigninServices).authentication.authenticate(
        Authenticate(by_mailed_code(before, "pia@example.com", 1))
    )
    assert not old.recent_sign_in
    with pytest.raises(ReauthenticationRequired):
        services.of(SigninServices).totp.first_recovery_codes(GetTotp(old))
    assert not mfa.document(old.user_id).get().exists
    fresh = services.of(SigninServices).authentication.authenticate(
        Authenticate(by_mailed_code(client, "pia@example.com", 2))
    )
    codes = services.of(SigninServices).totp.first_recovery_codes(GetTotp(fresh))
    signed = client.post("/login", json={"username": "pia@example.com", "password": codes[0]})
    assert signed.status_code == 200, signed.get_json()

    # An authenticator turned on (POST /auth/mfa/totp/confirm): started lately, confirmed late.
    register(before, "olga")
    token = login(before, "olga")
    started = before.post("/auth/mfa/totp", json={"password": PASSWORD}, headers=bearer(token))
    assert started.status_code == 200, started.get_json()
    secret = started.get_json()["secret"]
    confirm = {"code": pyotp.TOTP(secret).at(past)}
    refused(client.post("/auth/mfa/totp/confirm", json=confirm, headers=bearer(token)))
    olga = client.get("/user", headers=bearer(token)).get_json()["id"]
    assert mfa.document(olga).get().to_dict()["active"] is False
    confirm = {"code": pyotp.TOTP(secret).now()}
    confirmed = client.post(
        "/auth/mfa/totp/confirm", json=confirm, headers=bearer(login(client, "olga"))
    )
    assert confirmed.status_code == 200, confirmed.get_json()
    first = confirmed.get_json()["recovery_codes"]

    # A new set (POST /auth/mfa/recovery-codes), behind the password and a code.
    old_token = second_step(before, "olga", {"recovery_code": first[0]})
    stored = mfa.document(olga).get().to_dict()["recovery_hashes"]
    body = {"password": PASSWORD, "code": first[1]}
    refused(client.post("/auth/mfa/recovery-codes", json=body, headers=bearer(old_token)))
    assert mfa.document(olga).get().to_dict()["recovery_hashes"] == stored  # none spent
    fresh_token = second_step(client, "olga", {"recovery_code": first[2]})
    made = client.post("/auth/mfa/recovery-codes", json=body, headers=bearer(fresh_token))
    assert made.status_code == 200, made.get_json()
    assert second_step(client, "olga", {"recovery_code": made.get_json()["recovery_codes"][0]})
