"""Sign-in by a mailed code on the emulators: the real Firestore adapters, the mail through
real SMTP into maildev; thirty racers spend one code once and make one account
(docs/reference/email-code.md)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.accounts.services import AccountServices
from application.accounts.signups import RegisterProven
from application.services import Services
from application.signin.codes.email import (
    OpenEmailLink,
    RequestEmailCode,
    SignInByLink,
    VerifyEmailCode,
)
from application.signin.services import SigninServices
from bootstrap import build_adapters
from domain.errors import Unauthenticated
from infrastructure.firestore.accounts.users import USERS
from tests.support import mailbox
from tests.support.api import bearer
from tests.support.app import app_on
from tests.support.challenge_verifier import challenge_verifier, token
from tests.support.email_codes import code_in, link_in
from tests.support.races import RACERS, race, statuses
from tests.support.settings import make_settings

pytestmark = pytest.mark.e2e


def ask(client: FlaskClient, email: str) -> str:
    answer = client.post("/auth/email-code", json={"email": email})
    assert answer.status_code == 202, answer.get_json()
    flow: str = answer.get_json()["flow_id"]
    return flow


def test_the_mailed_code_signs_in_once_and_the_link_names_the_flow(
    real_client: FlaskClient,
) -> None:
    flow = ask(real_client, "nina@example.com")
    [mail] = mailbox.wait_for("nina@example.com")
    assert "sign-in code" in mail["subject"]
    code = code_in(mail["text"])
    link, _ = link_in(mail["text"])
    assert link.startswith("http://127.0.0.1:8000/sign-in/email?token=") and flow not in link
    body = {"flow_id": flow, "code": code}
    signed_in = real_client.post("/auth/email-code/verify", json=body)
    assert signed_in.status_code == 200, signed_in.get_json()
    headers = bearer(signed_in.get_json()["access_token"])
    assert real_client.get("/auth/whoami", headers=headers).get_json()["amr"] == ["email"]
    user = real_client.get("/user", headers=headers).get_json()
    assert user["username"] == "nina" and user["email_verified"] is True
    again = real_client.post("/auth/email-code/verify", json=body)
    assert again.status_code == 401 and again.get_json()["code"] == "invalid_email_flow"
    soon = real_client.post("/auth/email-code", json={"email": "nina@example.com"})
    assert soon.status_code == 429 and int(soon.headers["Retry-After"]) <= 30


def test_thirty_racers_with_one_right_code_get_one_token_pair_and_one_account(
    real_app: Flask, real_client: FlaskClient, firestore: Any
) -> None:
    flow = ask(real_client, "olga@example.com")
    [mail] = mailbox.wait_for("olga@example.com")
    body = {"flow_id": flow, "code": code_in(mail["text"])}
    outcomes = race(
        real_app,
        [lambda c: c.post("/auth/email-code/verify", json=body) for _ in range(RACERS)],
    )
    counts = statuses(outcomes)
    assert counts[200] == 1, counts
    # The others lost the flow, or met the throttle's budget while the guesses were pending.
    assert {(o.status, o.code) for o in outcomes if o.status != 200} <= {
        (401, "invalid_email_flow"),
        (429, "too_many_login_failures"),
    }
    # The emulator was wiped before the test: the one account is the address's.
    accounts = [doc.to_dict() for doc in firestore.collection(USERS).stream()]
    assert len(accounts) == 1 and accounts[0]["username"] == "olga"


def test_thirty_racers_with_wrong_codes_have_at_most_five_compared(
    real_app: Flask, real_client: FlaskClient
) -> None:
    """Each guess is counted in the flow before it is compared: of thirty at once, at most
    five are told the code is wrong, the others that the flow is spent (or the throttle's
    429), and the right code then finds the flow void."""
    flow = ask(real_client, "uma@example.com")
    [mail] = mailbox.wait_for("uma@example.com")
    code = code_in(mail["text"])
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    body = {"flow_id": flow, "code": wrong}
    outcomes = race(
        real_app,
        [lambda c: c.post("/auth/email-code/verify", json=body) for _ in range(RACERS)],
    )
    compared = [o for o in outcomes if o.code == "invalid_email_code"]
    assert 1 <= len(compared) <= 5, statuses(outcomes)
    assert {(o.status, o.code) for o in outcomes if o.code != "invalid_email_code"} <= {
        (401, "invalid_email_flow"),
        (429, "too_many_login_failures"),
    }
    right = real_client.post("/auth/email-code/verify", json={"flow_id": flow, "code": code})
    assert right.status_code in (401, 429), right.get_json()


def test_thirty_parallel_sign_ups_of_one_new_address_make_one_account(
    real_app: Flask, firestore: Any
) -> None:
    services: Services = real_app.extensions["firegate"]
    with ThreadPoolExecutor(RACERS) as pool:
        made = list(
            pool.map(
                lambda _: services.of(AccountServices).accounts.register_proven(
                    RegisterProven("pia@example.com")
                ),
                range(RACERS),
            )
        )
    assert len({user.id for user in made}) == 1
    assert made[0].email_verified and made[0].password_hash is None
    assert len(list(firestore.collection(USERS).stream())) == 1


def test_the_link_page_flow_signs_in_the_asking_browser_only(real_app: Flask) -> None:
    """The use case under the link page, on the real adapters: a GET spends nothing."""
    services: Services = real_app.extensions["firegate"]
    codes = services.of(SigninServices).email_codes
    started = codes.request(RequestEmailCode("quin@example.com", browser_secret="cookie"))
    [mail] = mailbox.wait_for("quin@example.com")
    code, (_, token) = code_in(mail["text"]), link_in(mail["text"])
    for _ in range(3):  # a mail scanner's GETs
        shown = codes.open_link(OpenEmailLink(token))
        assert shown.code == code and not shown.same_browser
    assert codes.open_link(OpenEmailLink(token, "cookie")).same_browser
    # The flow a browser asked for is taken by that browser alone, even with its id.
    with pytest.raises(Unauthenticated):
        codes.verify(VerifyEmailCode(started.flow_id, code))
    pair: Any = codes.sign_in_by_link(SignInByLink(token, "cookie"))
    assert pair.access_token


def test_a_strangers_requests_never_lock_the_holder_out(firestore: Any) -> None:
    """Strangers asking codes for someone's address from other clients spend their own
    budgets: the holder asks from theirs, past a challenge once the address's requests of all
    clients are at its budget (docs/security.md, "Per-address request limits")."""
    with challenge_verifier(hostname="127.0.0.1") as verifier:
        settings = make_settings(
            challenge_provider="turnstile",
            challenge_site_key="site-key",
            challenge_secret="test-secret",
            challenge_verify_url=verifier.url + "/turnstile",
        )
        client = app_on(settings, build_adapters(settings, firestore=firestore)).test_client()

        def ask(ip: str, **extra: str) -> Any:
            body = {"email": "vera@example.com", **extra}
            return client.post("/auth/email-code", json=body, environ_base={"REMOTE_ADDR": ip})

        for n in range(5):  # five strangers at once, from five clients
            assert ask(f"203.0.113.{n + 1}").status_code == 202
        holder = "198.51.100.7"
        asked = ask(holder)
        assert asked.status_code == 401, asked.get_json()
        assert asked.get_json()["code"] == "challenge_required"
        assert ask(holder, challenge_token=token("email_code")).status_code == 202
        # A stranger's sixth request in the hour from one client is refused alone.
        again = ask("203.0.113.1", challenge_token=token("email_code", 2))
        assert again.status_code == 429 and int(again.headers["Retry-After"]) <= 30


def test_without_a_challenge_the_address_takes_more_clients_before_it_stops(
    real_client: FlaskClient,
) -> None:
    """No challenge provider: five strangers' requests leave the holder room to ask."""

    def ask(ip: str) -> Any:
        body = {"email": "wes@example.com"}
        return real_client.post("/auth/email-code", json=body, environ_base={"REMOTE_ADDR": ip})

    for n in range(5):
        assert ask(f"203.0.113.{n + 1}").status_code == 202
    assert ask("198.51.100.7").status_code == 202
