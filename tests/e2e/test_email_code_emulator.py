"""Sign-in by a mailed code on the emulators: the real Firestore adapters, the mail through
real SMTP into maildev; thirty racers spend one code once and make one account
(docs/reference/email-code.md)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.accounts.accounts import RegisterProven
from application.mail.email_code import OpenEmailLink, RequestEmailCode, SignInByLink
from application.services import Services
from infrastructure.firestore.accounts.users import USERS
from tests.support import mailbox
from tests.support.api import bearer
from tests.support.email_codes import code_in, link_in
from tests.support.races import RACERS, race, statuses

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
    link, linked_flow, _ = link_in(mail["text"])
    assert linked_flow == flow and link.startswith("http://127.0.0.1:8000/sign-in/email?flow=")
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


def test_thirty_parallel_sign_ups_of_one_new_address_make_one_account(
    real_app: Flask, firestore: Any
) -> None:
    services: Services = real_app.extensions["firegate"]
    with ThreadPoolExecutor(RACERS) as pool:
        made = list(
            pool.map(
                lambda _: services.accounts.register_proven(RegisterProven("pia@example.com")),
                range(RACERS),
            )
        )
    assert len({user.id for user in made}) == 1
    assert made[0].email_verified and made[0].password_hash is None
    assert len(list(firestore.collection(USERS).stream())) == 1


def test_the_link_page_flow_signs_in_the_asking_browser_only(real_app: Flask) -> None:
    """The use case under the link page, on the real adapters: a GET spends nothing."""
    services: Services = real_app.extensions["firegate"]
    codes = services.email_codes
    started = codes.request(RequestEmailCode("quin@example.com", browser_secret="cookie"))
    [mail] = mailbox.wait_for("quin@example.com")
    code, (_, flow, token) = code_in(mail["text"]), link_in(mail["text"])
    assert flow == started.flow_id
    for _ in range(3):  # a mail scanner's GETs
        shown = codes.open_link(OpenEmailLink(flow, token))
        assert shown.code == code and not shown.same_browser
    assert codes.open_link(OpenEmailLink(flow, token, "cookie")).same_browser
    pair: Any = codes.sign_in_by_link(SignInByLink(flow, token, "cookie"))
    assert pair.access_token
