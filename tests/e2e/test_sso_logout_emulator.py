"""SAML single logout on the Firestore emulator, with pysaml2's own IdP (docs/reference/sso.md,
"Single logout"): the IdP's signed LogoutRequest ends the person's sessions (stored ones
gone, the account's token version moved on, the refresh token dead) and is answered; one
request raced 30 ways ends them once (the others 409); raced with 30 refreshes of the
session's refresh token, no refresh that starts after the answer succeeds; and signing out of
the pages goes on to the IdP and comes back."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from google.cloud.firestore import FieldFilter

from tests.support.api import bearer, login, register
from tests.support.pages import csrf
from tests.support.races import RACERS, race, statuses
from tests.support.saml_idp import ENTITY_ID, SLO_URL, SSO_URL, SamlIdpForTests, key_pair, posted

# An active connection left behind would turn other modules' sign-in pages address-first.
pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("emptied_after")]
BASE = "http://127.0.0.1:8000"  # the test settings' PUBLIC_URL
ADA = "ada@corp.example"


@dataclass
class Corp:
    app: Flask
    cid: str
    idp: SamlIdpForTests

    @property
    def slo(self) -> str:
        return f"{BASE}/sso/{self.cid}/saml/slo"

    def sign_in(self, client: FlaskClient) -> str:
        """Ada signed in through the connection in ``client``: her refresh token."""
        started = client.get(f"/sso/{self.cid}/saml?next=/account")
        assert started.status_code == 303, started.text
        xml = self.idp.response(
            in_response_to=self.idp.request_of(started.headers["Location"]).message.id,
            destination=f"{BASE}/sso/{self.cid}/saml/acs",
            audience=f"{BASE}/sso/{self.cid}/saml/metadata",
            email=ADA,
        )
        done = client.post(f"/sso/{self.cid}/saml/acs", data={"SAMLResponse": posted(xml)})
        assert done.status_code == 303, done.text
        cookie = next(c for c in done.headers.getlist("Set-Cookie") if "~" in c)
        return cookie.split(";")[0].partition("=")[2].partition("~")[2]

    def logout_query(self) -> str:
        _, query = self.idp.logout_request(self.slo, ADA)
        assert isinstance(query, str)
        return query


def corp(app: Flask) -> Corp:
    admin = app.test_client()
    register(admin, "olga")
    owner = bearer(login(admin, "olga"))
    assert admin.post("/orgs", json={"slug": "corp", "name": "Corp"}, headers=owner).status_code
    keys = key_pair()
    made = admin.post(
        "/orgs/corp/connections",
        json={
            "kind": "saml",
            "name": "Corp IdP",
            "saml": {
                "entity_id": ENTITY_ID,
                "sso_url": SSO_URL,
                "certificates": [keys.der],
                "slo_url": SLO_URL,
            },
            "mapping": {"email": "mail"},
            "status": "active",
        },
        headers=owner,
    )
    assert made.status_code == 201, made.get_json()
    cid = made.get_json()["id"]
    metadata = admin.get(f"/sso/{cid}/saml/metadata").text
    return Corp(app, cid, SamlIdpForTests(metadata, keys=keys))


def _refreshed(client: FlaskClient, refresh_token: str) -> int:
    return client.post("/auth/refresh", json={"refresh_token": refresh_token}).status_code


def _sessions_of(firestore: Any, user_id: str) -> list[Any]:
    query = firestore.collection("sessions").where(filter=FieldFilter("user_id", "==", user_id))
    return list(query.stream())


def _origins(firestore: Any) -> list[tuple[str, dict[str, Any]]]:
    """The sessions' records of how they began (``sso_saml_sessions``): id, fields."""
    return [(d.id, d.to_dict()) for d in firestore.collection("sso_saml_sessions").stream()]


def _token_version(firestore: Any, user_id: str) -> int:
    return int(firestore.collection("users").document(user_id).get().to_dict()["token_version"])


def test_an_idp_logout_and_a_sign_out_both_ways(real_app: Flask, firestore: Any) -> None:
    corp_ = corp(real_app)
    browser = real_app.test_client()
    refresh_token = corp_.sign_in(browser)
    ((session_id, origin),) = _origins(firestore)
    assert origin["connection_id"] == corp_.cid and origin["name_id"] == ADA
    assert origin["session_index"]
    user_id = origin["user_id"]
    (session,) = _sessions_of(firestore, user_id)
    assert session.id == session_id
    version = _token_version(firestore, user_id)

    answer = browser.get(f"/sso/{corp_.cid}/saml/slo?{corp_.logout_query()}")
    assert answer.status_code == 303, answer.text
    assert answer.headers["Location"].startswith(SLO_URL + "?SAMLResponse=")
    assert _sessions_of(firestore, user_id) == []
    assert _token_version(firestore, user_id) == version + 1
    assert _origins(firestore) == []
    assert _refreshed(real_app.test_client(), refresh_token) == 401

    # Signing out of the pages: on to the IdP with a signed request, and back.
    browser = real_app.test_client()
    corp_.sign_in(browser)
    out = browser.post("/sign-out", data={"csrf_token": csrf(browser, "/account")})
    assert out.status_code == 200, out.text
    target = out.headers["Refresh"].partition("; url=")[2]
    request = corp_.idp.logout_of(target)
    assert request.message.name_id.text == ADA
    back = browser.get(f"/sso/{corp_.cid}/saml/slo?{corp_.idp.logout_response(request)}")
    assert back.status_code == 303, back.text
    assert urlsplit(back.headers["Location"]).path == "/sign-in"
    assert browser.get("/account").status_code != 200


def test_one_logout_request_raced_30_ways_ends_once(real_app: Flask, firestore: Any) -> None:
    corp_ = corp(real_app)
    corp_.sign_in(real_app.test_client())
    query = corp_.logout_query()
    path = f"/sso/{corp_.cid}/saml/slo?{query}"
    outcomes = race(real_app, [lambda c: c.get(path)] * RACERS)
    assert statuses(outcomes) == {303: 1, 409: RACERS - 1}, statuses(outcomes)
    ended = [
        e.to_dict()
        for e in firestore.collection("security_events").stream()
        if e.to_dict().get("reason") == "saml_logout"
    ]
    assert len(ended) == 1


def test_a_logout_raced_with_30_refreshes(real_app: Flask, firestore: Any) -> None:
    """Thirty clients keep refreshing the session's one refresh token while the IdP's logout
    request comes: the session ends, and every refresh that starts after the logout's answer
    is refused (those before may have succeeded: parallel refreshes of one token share its
    successor within the grace window)."""
    corp_ = corp(real_app)
    refresh_token = corp_.sign_in(real_app.test_client())
    ((_, origin),) = _origins(firestore)
    query = corp_.logout_query()
    barrier = threading.Barrier(RACERS + 1)
    answered = threading.Event()
    answered_at: list[float] = []
    logout_status: list[int] = []

    def refresher(_: int) -> list[tuple[float, int]]:
        """Refreshes until one is refused (at most 20: the session's refresh budget), then
        one more once the logout was answered."""
        client = real_app.test_client()
        seen: list[tuple[float, int]] = []
        barrier.wait()
        for _ in range(20):
            started = time.monotonic()
            seen.append((started, _refreshed(client, refresh_token)))
            if seen[-1][1] != 200:
                break
        assert answered.wait(timeout=60)
        seen.append((time.monotonic(), _refreshed(client, refresh_token)))
        return seen

    def logout() -> None:
        client = real_app.test_client()
        barrier.wait()
        time.sleep(0.1)  # while the refreshes run
        done = client.get(f"/sso/{corp_.cid}/saml/slo?{query}")
        answered_at.append(time.monotonic())
        logout_status.append(done.status_code)
        answered.set()

    with ThreadPoolExecutor(RACERS + 1) as pool:
        ending = pool.submit(logout)
        runs = list(pool.map(refresher, range(RACERS)))
        ending.result()
    assert logout_status == [303]
    refreshes = [r for run in runs for r in run]
    assert {status for _, status in refreshes} <= {200, 401}, Counter(refreshes)
    after = [status for started, status in refreshes if started > answered_at[0]]
    assert len(after) >= RACERS and set(after) == {401}, Counter(after)
    assert 200 in {status for started, status in refreshes if started < answered_at[0]}
    assert _sessions_of(firestore, origin["user_id"]) == []
    assert _refreshed(real_app.test_client(), refresh_token) == 401
