"""App links against gunicorn on the emulators, the mail read from maildev
(docs/reference/app-links.md): a code asked with an app's challenge mails a link to
/app/sign-in; thirty parallel redemptions of it with the verifier get one token pair, the
others 400 invalid_grant; a wrong verifier spends nothing."""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from google.cloud.firestore import FieldFilter

from tests.support import mailbox
from tests.support.email_codes import code_in
from tests.support.races import RACERS

pytestmark = pytest.mark.e2e


def challenge_of(verifier: str) -> str:
    """RFC 7636's S256, as an app computes it (not firegate's code)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def app_link(text: str) -> str:
    return next(word for word in text.split() if "/app/sign-in?" in word)


def asked(url: str, verifier: str) -> tuple[str, str, dict[str, Any]]:
    """A new address's code asked with the verifier's challenge, its flow, and its mail."""
    address = f"app{uuid.uuid4().hex[:10]}@example.com"  # the mailbox is not wiped between runs
    body = {"email": address, "code_challenge": challenge_of(verifier)}
    answer = requests.post(f"{url}/auth/email-code", json=body, timeout=60)
    assert answer.status_code == 202, answer.text
    [mail] = mailbox.wait_for(address)
    return address, answer.json()["flow_id"], mail


def redeem(url: str, token: str, verifier: str) -> requests.Response:
    body = {"token": token, "code_verifier": verifier}
    return requests.post(f"{url}/auth/email-code/redeem", json=body, timeout=60)


def test_the_mail_links_to_the_app_and_thirty_redemptions_get_one_pair(
    gunicorn_url: str, firestore: Any
) -> None:
    verifier = secrets.token_urlsafe(48)
    address, flow_id, mail = asked(gunicorn_url, verifier)
    link = app_link(mail["text"])
    assert "/sign-in/email?" not in mail["text"]
    assert urlsplit(link).path == "/app/sign-in"
    token = parse_qs(urlsplit(link).query)["token"][0]
    # A wrong verifier spends nothing.
    wrong = redeem(gunicorn_url, token, secrets.token_urlsafe(48))
    assert wrong.status_code == 400 and wrong.json()["code"] == "invalid_grant", wrong.text

    def go(_: int) -> requests.Response:
        return redeem(gunicorn_url, token, verifier)

    with ThreadPoolExecutor(RACERS) as pool:
        answers = list(pool.map(go, range(RACERS)))
    statuses = Counter(a.status_code for a in answers)
    assert statuses == {200: 1, 400: RACERS - 1}, [a.text for a in answers]
    assert {a.json()["code"] for a in answers if a.status_code == 400} == {"invalid_grant"}
    [pair] = [a.json() for a in answers if a.status_code == 200]
    headers = {"Authorization": f"Bearer {pair['access_token']}"}
    user = requests.get(f"{gunicorn_url}/user", headers=headers, timeout=60).json()
    assert user["email"] == address and user["email_verified"] is True
    same = FieldFilter("email", "==", address)
    accounts = [u.id for u in firestore.collection("users").where(filter=same).stream()]
    assert accounts == [user["id"]]  # one account made, by the one winner
    again = redeem(gunicorn_url, token, verifier)
    assert again.status_code == 400 and again.json()["code"] == "invalid_grant"
    # The code in the same mail is spent with its flow.
    typed = requests.post(
        f"{gunicorn_url}/auth/email-code/verify",
        json={"flow_id": flow_id, "code": code_in(mail["text"])},
        timeout=60,
    )
    assert typed.status_code == 401 and typed.json()["code"] == "invalid_email_flow"


def test_a_flow_without_a_challenge_is_redeemed_by_no_app(gunicorn_url: str) -> None:
    address = f"plain{uuid.uuid4().hex[:10]}@example.com"
    answer = requests.post(f"{gunicorn_url}/auth/email-code", json={"email": address}, timeout=60)
    assert answer.status_code == 202
    [mail] = mailbox.wait_for(address)
    assert "/app/sign-in?" not in mail["text"]
    token = mailbox.token_in(mail)
    refused = redeem(gunicorn_url, token, secrets.token_urlsafe(48))
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_grant"
    body = {"flow_id": answer.json()["flow_id"], "code": code_in(mail["text"])}
    verified = requests.post(f"{gunicorn_url}/auth/email-code/verify", json=body, timeout=60)
    assert verified.status_code == 200, verified.text
