"""Passkeys end to end: gunicorn on the emulators, soft-webauthn as the user's authenticator
(tests/support/passkey_authenticator.py), real HTTP."""

from __future__ import annotations

import copy
import hashlib
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
import requests

from tests.support.api import PASSWORD, bearer
from tests.support.passkey_authenticator import Passkey, unb64url
from tests.support.servers import free_port, serving

pytestmark = pytest.mark.e2e
PARALLEL = 30


@pytest.fixture(scope="module")
def service(emulators: Any) -> Iterator[tuple[str, str]]:
    """The base URL, and the origin the passkeys are made on (WEBAUTHN_ORIGINS)."""
    origin = f"http://localhost:{free_port()}"  # a front end elsewhere than the API
    with serving("gunicorn-passkeys.log", WEBAUTHN_ORIGINS=origin) as url:
        yield url, origin


def post(url: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.post(url + path, timeout=30, **kwargs)


def sign_up(url: str, name: str) -> str:
    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    assert post(url, "/register", json=body).status_code == 201
    answer = post(url, "/login", json={"username": name, "password": PASSWORD})
    assert answer.status_code == 200
    token: str = answer.json()["access_token"]
    return token


def creation_options(url: str, token: str) -> dict[str, Any]:
    answer = post(url, "/auth/passkeys/registration/options", headers=bearer(token))
    assert answer.status_code == 200, answer.text
    options: dict[str, Any] = answer.json()
    return options


def request_options(url: str) -> dict[str, Any]:
    answer = post(url, "/auth/passkeys/authentication/options")
    assert answer.status_code == 200, answer.text
    options: dict[str, Any] = answer.json()
    assert options["allowCredentials"] == []  # usernameless
    return options


def test_register_then_sign_in_without_a_password(service: tuple[str, str], firestore: Any) -> None:
    url, origin = service
    token = sign_up(url, "alice")
    key = Passkey()
    body = {**key.register(creation_options(url, token), origin), "name": "phone"}
    made = post(url, "/auth/passkeys/registration", headers=bearer(token), json=body)
    assert made.status_code == 201, made.text
    assert made.json()["name"] == "phone"
    listed = requests.get(url + "/auth/passkeys", headers=bearer(token), timeout=30).json()
    assert [item["id"] for item in listed["items"]] == [made.json()["id"]]

    # Passwordless and usernameless: a token pair that works, with amr set.
    signed_in = post(
        url, "/auth/passkeys/authentication", json=key.sign_in(request_options(url), origin)
    )
    assert signed_in.status_code == 200, signed_in.text
    pair = signed_in.json()
    me = requests.get(url + "/user", headers=bearer(pair["access_token"]), timeout=30)
    assert me.status_code == 200 and me.json()["username"] == "alice"
    whoami = requests.get(url + "/auth/whoami", headers=bearer(pair["access_token"]), timeout=30)
    assert whoami.json()["amr"] == ["hwk"]
    refreshed = post(url, "/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refreshed.status_code == 200

    # A cloned authenticator: the copy's counter falls behind the original's.
    clone = copy.copy(key)
    again = post(
        url, "/auth/passkeys/authentication", json=key.sign_in(request_options(url), origin)
    )
    assert again.status_code == 200
    cloned = post(
        url, "/auth/passkeys/authentication", json=clone.sign_in(request_options(url), origin)
    )
    assert cloned.status_code == 401 and cloned.json()["code"] == "invalid_passkey"
    assert cloned.headers["Content-Type"] == "application/problem+json"

    # A page on another origin.
    phished = post(
        url,
        "/auth/passkeys/authentication",
        json=key.sign_in(request_options(url), "https://evil.example"),
    )
    assert phished.status_code == 401 and phished.json()["code"] == "invalid_passkey"

    # A reused challenge, and an expired one.
    answer = key.sign_in(request_options(url), origin)
    assert post(url, "/auth/passkeys/authentication", json=answer).status_code == 200
    reused = post(url, "/auth/passkeys/authentication", json=answer)
    assert reused.status_code == 401 and reused.json()["code"] == "invalid_passkey_challenge"
    options = request_options(url)
    stored = firestore.collection("webauthn_challenges").document(
        hashlib.sha256(unb64url(options["challenge"])).hexdigest()
    )
    stored.update({"expires_at": datetime.now(UTC) - timedelta(seconds=1)})
    expired = post(url, "/auth/passkeys/authentication", json=key.sign_in(options, origin))
    assert expired.status_code == 401 and expired.json()["code"] == "invalid_passkey_challenge"

    # Deleting the passkey, and then the account, leaves nothing behind.
    gone = requests.delete(
        f"{url}/auth/passkeys/{made.json()['id']}", headers=bearer(token), timeout=30
    )
    assert gone.status_code == 204
    after = post(
        url, "/auth/passkeys/authentication", json=key.sign_in(request_options(url), origin)
    )
    assert after.status_code == 401
    second = Passkey()
    body = second.register(creation_options(url, token), origin)
    assert post(url, "/auth/passkeys/registration", headers=bearer(token), json=body).ok
    assert requests.delete(url + "/user", headers=bearer(token), timeout=30).status_code == 204
    assert list(firestore.collection("passkeys").stream()) == []
    deleted = post(
        url, "/auth/passkeys/authentication", json=second.sign_in(request_options(url), origin)
    )
    assert deleted.status_code == 401


def test_thirty_parallel_answers_to_one_challenge_register_once(
    service: tuple[str, str], firestore: Any
) -> None:
    url, origin = service
    token = sign_up(url, "bob")
    body = Passkey().register(creation_options(url, token), origin)
    barrier = threading.Barrier(PARALLEL)

    def send(_: int) -> requests.Response:
        barrier.wait()
        return post(url, "/auth/passkeys/registration", headers=bearer(token), json=body)

    with ThreadPoolExecutor(PARALLEL) as pool:
        answers = list(pool.map(send, range(PARALLEL)))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] + [401] * (PARALLEL - 1), statuses
    assert {a.json()["code"] for a in answers if a.status_code == 401} == {
        "invalid_passkey_challenge"
    }
    assert len(list(firestore.collection("passkeys").stream())) == 1


def test_a_passkey_sign_in_satisfies_mfa(service: tuple[str, str]) -> None:
    url, origin = service
    token = sign_up(url, "carol")
    key = Passkey()
    body = key.register(creation_options(url, token), origin)
    assert post(url, "/auth/passkeys/registration", headers=bearer(token), json=body).ok
    started = post(url, "/auth/mfa/totp", json={"password": PASSWORD}, headers=bearer(token))
    code = pyotp.TOTP(started.json()["secret"]).now()
    on = post(url, "/auth/mfa/totp/confirm", json={"code": code}, headers=bearer(token))
    assert on.status_code == 200, on.text
    by_password = post(url, "/login", json={"username": "carol", "password": PASSWORD})
    assert by_password.status_code == 401 and by_password.json()["code"] == "mfa_required"

    signed_in = post(
        url, "/auth/passkeys/authentication", json=key.sign_in(request_options(url), origin)
    )
    assert signed_in.status_code == 200, signed_in.text
    access = signed_in.json()["access_token"]
    whoami = requests.get(url + "/auth/whoami", headers=bearer(access), timeout=30)
    assert whoami.status_code == 200 and whoami.json()["amr"] == ["hwk"]
