"""The mail flows end to end: Firestore emulator, real SMTP into maildev, read back over
maildev's REST API (docs/reference/email.md)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.accounts.admin import SetRole
from application.accounts.services import AccountServices
from tests.support import mailbox
from tests.support.api import PASSWORD, bearer, login, register
from tests.support.passkey_authenticator import add_passkey, passkey_sign_in

pytestmark = pytest.mark.e2e
NEW_PASSWORD = "a brand new passphrase 42"
VICTIM = "victim@example.com"


def test_register_sends_a_verification_mail_whose_link_verifies(real_client: FlaskClient) -> None:
    user = register(real_client, "alice")
    assert user["email_verified"] is False
    [mail] = mailbox.wait_for("alice@example.com")
    assert mail["subject"] == "Confirm your e-mail address for firegate"
    link = mailbox.link_in(mail)
    assert link.startswith("http://127.0.0.1:8000/verify-email?token=")
    assert link in mail["html"]
    token = mailbox.token_in(mail)
    verified = real_client.post("/auth/email/verify", json={"token": token})
    assert verified.status_code == 200, verified.get_json()
    assert verified.get_json()["email_verified"] is True
    again = real_client.post("/auth/email/verify", json={"token": token})
    assert again.status_code == 400 and again.get_json()["code"] == "invalid_token"
    me = real_client.get("/user", headers=bearer(login(real_client, "alice")))
    assert me.get_json()["email_verified"] is True


def test_forgot_then_reset_ends_sessions_and_spends_the_token(real_client: FlaskClient) -> None:
    register(real_client, "bob")
    pair = real_client.post("/login", json={"username": "bob", "password": PASSWORD}).get_json()
    forgot = real_client.post("/auth/password/forgot", json={"email": "bob@example.com"})
    assert (forgot.status_code, forgot.get_json()) == (202, {})
    unknown = real_client.post("/auth/password/forgot", json={"email": "nobody@example.com"})
    assert (unknown.status_code, unknown.get_json()) == (202, {})
    mails = mailbox.wait_for("bob@example.com", 2)  # the verification mail, then the reset
    [reset_mail] = [m for m in mails if "/reset-password?token=" in m["text"]]
    token = mailbox.token_in(reset_mail)
    body = {"token": token, "new_password": NEW_PASSWORD}
    done = real_client.post("/auth/password/reset", json=body)
    assert done.status_code == 204, done.get_json()
    # Old access and refresh tokens are dead; the old password too; the new one works.
    assert real_client.get("/user", headers=bearer(pair["access_token"])).status_code == 401
    refresh = real_client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refresh.status_code == 401
    old = real_client.post("/login", json={"username": "bob", "password": PASSWORD})
    assert old.status_code == 401
    login(real_client, "bob", NEW_PASSWORD)
    twice = real_client.post("/auth/password/reset", json=body)
    assert twice.status_code == 400 and twice.get_json()["code"] == "invalid_token"
    assert mailbox.to("nobody@example.com") == []


def test_ten_parallel_uses_of_one_token_exactly_one_succeeds(real_app: Flask) -> None:
    client = real_app.test_client()
    register(client, "carol")
    client.post("/auth/password/forgot", json={"email": "carol@example.com"})
    mails = mailbox.wait_for("carol@example.com", 2)
    [reset_mail] = [m for m in mails if "/reset-password?token=" in m["text"]]
    token = mailbox.token_in(reset_mail)

    def use(i: int) -> int:
        body = {"token": token, "new_password": f"{NEW_PASSWORD} {i}"}
        return real_app.test_client().post("/auth/password/reset", json=body).status_code

    with ThreadPoolExecutor(10) as pool:
        statuses = list(pool.map(use, range(10)))
    assert sorted(statuses) == [204] + [400] * 9, statuses


def test_an_address_change_mails_the_new_address_and_notifies_the_old(
    real_client: FlaskClient,
) -> None:
    register(real_client, "dave")
    headers = bearer(login(real_client, "dave"))
    [first] = mailbox.wait_for("dave@example.com")
    changed = real_client.patch("/user", headers=headers, json={"email": "dave@example.org"})
    assert changed.status_code == 200 and changed.get_json()["email_verified"] is False
    [verification] = mailbox.wait_for("dave@example.org")
    notices = mailbox.wait_for("dave@example.com", 2)
    notice = next(m for m in notices if m["id"] != first["id"])
    # Never verified: the notice names neither the new address nor the account.
    assert "token=" not in notice["text"] and "dave@example.org" not in notice["text"]
    # The token mailed to the old address is void now; the new one verifies.
    stale = real_client.post("/auth/email/verify", json={"token": mailbox.token_in(first)})
    assert stale.status_code == 400
    ok = real_client.post("/auth/email/verify", json={"token": mailbox.token_in(verification)})
    assert ok.status_code == 200 and ok.get_json()["email"] == "dave@example.org"


def test_an_invitation_sets_a_password(real_app: Flask) -> None:
    client = real_app.test_client()
    register(client, "root")
    real_app.extensions["firegate"].of(AccountServices).admin.set_role(SetRole("root", "admin"))
    headers = bearer(login(client, "root"))
    invited = client.post(
        "/users/invitations",
        headers=headers,
        json={"username": "erin", "email": "erin@example.com", "name": "Erin", "role": "uploader"},
    )
    assert invited.status_code == 201, invited.get_json()
    body: dict[str, Any] = invited.get_json()
    assert (body["username"], body["role"], body["email_verified"]) == ("erin", "uploader", False)
    [mail] = mailbox.wait_for("erin@example.com")
    assert mailbox.link_in(mail).startswith("http://127.0.0.1:8000/reset-password?token=")
    token = mailbox.token_in(mail)
    done = client.post("/auth/password/reset", json={"token": token, "new_password": NEW_PASSWORD})
    assert done.status_code == 204, done.get_json()
    me = client.get("/user", headers=bearer(login(client, "erin", NEW_PASSWORD))).get_json()
    assert me["email_verified"] is True


# -- the first proof of an address wins the account (docs/decisions/0104) ------------------


def squat(client: FlaskClient, username: str = "mallory") -> tuple[str, str]:
    """An account with the victim's address, never verified: its id and an access token."""
    body = {"username": username, "email": VICTIM, "password": PASSWORD}
    made = client.post("/register", json=body)
    assert made.status_code == 201, made.get_json()
    return made.get_json()["id"], login(client, username)


def enrol_totp(client: FlaskClient, token: str) -> list[str]:
    started = client.post("/auth/mfa/totp", json={"password": PASSWORD}, headers=bearer(token))
    assert started.status_code == 200, started.get_json()
    code = pyotp.TOTP(started.get_json()["secret"]).now()
    confirmed = client.post("/auth/mfa/totp/confirm", json={"code": code}, headers=bearer(token))
    assert confirmed.status_code == 200, confirmed.get_json()
    codes: list[str] = confirmed.get_json()["recovery_codes"]
    return codes


def reset_by_mail(client: FlaskClient, address: str = VICTIM, sent: int = 1) -> dict[str, Any]:
    """Forgot, then the reset through the mailed link (after the ``sent`` mails before it)."""
    client.post("/auth/password/forgot", json={"email": address})
    mails = mailbox.wait_for(address, sent + 1)
    [reset_mail] = [m for m in mails if "/reset-password?token=" in m["text"]]
    body = {"token": mailbox.token_in(reset_mail), "new_password": NEW_PASSWORD}
    done = client.post("/auth/password/reset", json=body)
    assert done.status_code == 204, done.get_json()
    return reset_mail


def count(firestore: Any, collection: str) -> int:
    return sum(1 for _ in firestore.collection(collection).stream())


def test_the_squatters_passkey_no_longer_signs_in_after_the_victims_reset(
    real_client: FlaskClient, firestore: Any
) -> None:
    _, token = squat(real_client)
    key = add_passkey(real_client, token)
    assert passkey_sign_in(real_client, key).status_code == 200

    reset_mail = reset_by_mail(real_client)

    refused = passkey_sign_in(real_client, key)
    assert refused.status_code == 401 and refused.get_json()["code"] == "unknown_passkey"
    assert count(firestore, "passkeys") == 0
    # The mail says so, in both parts.
    assert "passkeys" in reset_mail["text"] and "passkeys" in reset_mail["html"]


def test_the_squatters_totp_is_gone_after_the_victim_resets_an_unverified_account(
    real_client: FlaskClient, firestore: Any
) -> None:
    account, token = squat(real_client)
    enrol_totp(real_client, token)

    reset_by_mail(real_client)

    # The victim signs in with the new password alone.
    answer = real_client.post("/login", json={"username": VICTIM, "password": NEW_PASSWORD})
    assert answer.status_code == 200, answer.get_json()
    me = real_client.get("/user", headers=bearer(answer.get_json()["access_token"])).get_json()
    assert me["id"] == account and me["email_verified"] is True
    assert firestore.collection("mfa").document(account).get().exists is False


def test_a_reset_of_a_verified_account_keeps_totp_and_removes_passkeys(
    real_client: FlaskClient, firestore: Any
) -> None:
    account = register(real_client, "olivia")["id"]
    [verification] = mailbox.wait_for("olivia@example.com")
    verified = real_client.post(
        "/auth/email/verify", json={"token": mailbox.token_in(verification)}
    )
    assert verified.status_code == 200
    token = login(real_client, "olivia")
    key = add_passkey(real_client, token)
    recovery_codes = enrol_totp(real_client, token)
    # The passkey and TOTP notices do not count in the limit of the reset mail
    # (docs/decisions/0172-notice-mail-limit.md).
    notices = mailbox.wait_for("olivia@example.com", 3)[1:]
    assert len([m for m in notices if "/not-me?token=" in m["text"]]) == 2

    reset_by_mail(real_client, "olivia@example.com", sent=3)

    # The owner's second factor stays; the passkeys go.
    first = real_client.post("/login", json={"username": "olivia", "password": NEW_PASSWORD})
    assert first.status_code == 401 and first.get_json()["code"] == "mfa_required"
    second = real_client.post(
        "/login/mfa",
        json={"mfa_token": first.get_json()["mfa_token"], "recovery_code": recovery_codes[0]},
    )
    assert second.status_code == 200, second.get_json()
    assert firestore.collection("mfa").document(account).get().exists
    assert passkey_sign_in(real_client, key).status_code == 401
    assert count(firestore, "passkeys") == 0


def test_address_changes_send_at_most_three_mails_and_no_chosen_text(
    real_client: FlaskClient,
) -> None:
    """Five changes through never-verified addresses: the per-account limit of three mails
    in 15 minutes covers the notices too, and none carries the name the account chose."""
    import time

    register(real_client, "mallory", name="Win a prize at evil.example")
    headers = bearer(login(real_client, "mallory"))
    for i in range(5):
        answer = real_client.patch("/user", headers=headers, json={"email": f"t{i}@example.net"})
        assert answer.status_code == 200
    deadline = time.monotonic() + 30
    while len(mailbox.messages()) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(2)  # time for any further mail to arrive, were it sent
    sent = mailbox.messages()
    assert len(sent) == 3, [m["to"] for m in sent]
    for message in sent:
        words = message["text"] + message["html"] + message["subject"]
        assert "evil.example" not in words
        # Only the recipient's own address may be named, never the account's name.
        assert "mallory" not in words.replace(message["to"][0]["address"], "")
