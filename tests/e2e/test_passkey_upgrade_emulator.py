"""The automatic passkey upgrade's server half end to end (docs/passkeys-upgraded.md):
gunicorn on the emulators, soft-webauthn as the browser's password manager making a passkey
without user presence (tests/support/passkey_authenticator.py), real HTTP. Debian's
Chromium does not make a passkey by itself for its virtual authenticator
(docs/decisions/0915-the-upgrade-tested-in-halves.md): this is the half a browser would
call."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from tests.support.api import PASSWORD, bearer
from tests.support.passkey_authenticator import Passkey
from tests.support.servers import free_port, serving

pytestmark = pytest.mark.e2e
PARALLEL = 30
OPTIONS = "/auth/passkeys/registration/options"
REGISTER = "/auth/passkeys/registration"
CONDITIONAL = {"mediation": "conditional"}


@pytest.fixture(scope="module")
def service(emulators: Any) -> Iterator[tuple[str, str]]:
    """The base URL, and the origin the passkeys are made on (WEBAUTHN_ORIGINS)."""
    origin = f"http://localhost:{free_port()}"
    with serving("gunicorn-passkey-upgrade.log", WEBAUTHN_ORIGINS=origin) as url:
        yield url, origin


def post(url: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.post(url + path, timeout=30, **kwargs)


def signed_in(url: str, name: str) -> str:
    """A new account signed in by password: its access token."""
    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    assert post(url, "/register", json=body).status_code == 201
    answer = post(url, "/login", json={"username": name, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def options(url: str, token: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    answer = post(url, OPTIONS, headers=bearer(token), json=body)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def session_id(token: str) -> str:
    """The session an access token names (its ``sid``), read without checking it."""
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    sid: str = claims["sid"]
    return sid


def test_an_upgrade_within_the_window_registers_without_user_presence(
    service: tuple[str, str], firestore: Any
) -> None:
    url, origin = service
    token = signed_in(url, "alice")
    conditional = options(url, token, CONDITIONAL)
    assert conditional["mediation"] == "conditional"
    assert conditional["authenticatorSelection"]["userVerification"] == "preferred"
    made = post(
        url,
        REGISTER,
        headers=bearer(token),
        json=Passkey(present=False, verified=False).register(conditional, origin),
    )
    assert made.status_code == 201, made.text
    [stored] = [doc.to_dict() for doc in firestore.collection("passkeys").stream()]
    assert stored["name"] == "Passkey"

    # The same kind of answer to ordinary options is refused, and stores nothing.
    plain = options(url, token)
    assert "mediation" not in plain
    refused = post(
        url, REGISTER, headers=bearer(token), json=Passkey(present=False).register(plain, origin)
    )
    assert refused.status_code == 422 and refused.json()["code"] == "user_presence_required"
    assert len(list(firestore.collection("passkeys").stream())) == 1


def test_after_the_window_conditional_options_are_refused(
    service: tuple[str, str], firestore: Any
) -> None:
    url, _ = service
    token = signed_in(url, "bob")
    options(url, token, CONDITIONAL)
    # The session signed in 301 seconds ago: past PASSKEY_UPGRADE_WINDOW (300), within
    # REAUTH_MAX_AGE (600).
    signed_in_at = datetime.now(UTC) - timedelta(seconds=301)
    firestore.collection("sessions").document(session_id(token)).update(
        {"created_at": signed_in_at}
    )
    closed = post(url, OPTIONS, headers=bearer(token), json=CONDITIONAL)
    assert closed.status_code == 409, closed.text
    assert closed.json()["code"] == "upgrade_window_closed"
    assert closed.headers["Content-Type"] == "application/problem+json"
    options(url, token)  # a passkey is still added the ordinary way


def test_another_mediation_is_a_field_error(service: tuple[str, str], firestore: Any) -> None:
    url, _ = service
    token = signed_in(url, "carol")
    refused = post(url, OPTIONS, headers=bearer(token), json={"mediation": "required"})
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["mediation"]


def test_thirty_parallel_answers_to_one_conditional_challenge_register_once(
    service: tuple[str, str], firestore: Any
) -> None:
    url, origin = service
    token = signed_in(url, "dave")
    body = Passkey(present=False, verified=False).register(options(url, token, CONDITIONAL), origin)
    barrier = threading.Barrier(PARALLEL)

    def send(_: int) -> requests.Response:
        barrier.wait()
        return post(url, REGISTER, headers=bearer(token), json=body)

    with ThreadPoolExecutor(PARALLEL) as pool:
        answers = list(pool.map(send, range(PARALLEL)))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] + [401] * (PARALLEL - 1), statuses
    assert {a.json()["code"] for a in answers if a.status_code == 401} == {
        "invalid_passkey_challenge"
    }
    assert len(list(firestore.collection("passkeys").stream())) == 1
