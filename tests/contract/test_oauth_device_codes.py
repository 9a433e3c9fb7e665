"""The DeviceAuthorizations port, run against the fake and against Firestore: a request kept
under its user code's key, answered once, spent once with its grant (docs/reference/oauth.md,
"Device authorization")."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from application.ports import StagedWrites
from application.provider.authorization.device import DeviceAuthorizations
from application.provider.ports import OAuthGrants
from domain.clients.oauth import digest
from domain.provider.device_flow import DeviceAuthorization, Poll, user_code_key
from domain.provider.grants import Grant
from tests.fakes.provider import FakeDeviceAuthorizations, FakeOAuthGrants

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
KEY = user_code_key("BCDFGHJK")
DEVICE_CODE = f"{KEY}.secret"


@pytest.fixture(params=["fake", "firestore"])
def ports(request: pytest.FixtureRequest) -> tuple[DeviceAuthorizations, OAuthGrants]:
    if request.param == "fake":
        grants = FakeOAuthGrants()
        return FakeDeviceAuthorizations(grants), grants
    from infrastructure.firestore.provider.oauth import FirestoreOAuthGrants
    from infrastructure.firestore.provider.oauth_device import FirestoreDeviceAuthorizations

    client: Any = request.getfixturevalue("firestore")
    return FirestoreDeviceAuthorizations(client), FirestoreOAuthGrants(client)


def a_request() -> DeviceAuthorization:
    return DeviceAuthorization(
        key=KEY,
        device_hash=digest(DEVICE_CODE),
        client_id="c1",
        scope="openid offline_access",
        created_at=NOW,
        expires_at=NOW + timedelta(minutes=10),
    )


def approve(devices: DeviceAuthorizations) -> None:
    decision = devices.decide(
        KEY,
        lambda found: found.decide(
            allow=True, user_id="u1", grant_id="g1", auth_time=NOW, amr=("pwd",), now=NOW
        ),
    )
    assert decision is not None and decision.outcome == "decided"


def grant_of(request: DeviceAuthorization) -> Grant:
    return Grant(
        id=request.grant_id or "",
        user_id="u1",
        client_id=request.client_id,
        scope=request.scope,
        created_at=NOW,
        token_version=0,
        refresh_hash=digest("r1"),
        issued=True,
    )


def spend(devices: DeviceAuthorizations, read: DeviceAuthorization | None = None) -> str:
    polled: Poll | None = devices.spend(
        KEY,
        lambda found: found.poll("c1", digest(DEVICE_CODE), NOW),
        grant_of,
        StagedWrites(),
        read=read,
    )
    return polled.outcome if polled is not None else "none"


def test_a_request_is_kept_under_its_key_and_a_key_in_use_is_refused(
    ports: tuple[DeviceAuthorizations, OAuthGrants],
) -> None:
    devices, _ = ports
    assert devices.get(KEY) is None
    assert devices.add(a_request()) is True
    assert devices.get(KEY) == a_request()
    assert devices.add(replace(a_request(), client_id="c2")) is False
    assert devices.get(KEY) == a_request()
    assert devices.get("not-a-key") is None and devices.get("a/b") is None


def test_a_request_is_answered_once_and_slowed_down(
    ports: tuple[DeviceAuthorizations, OAuthGrants],
) -> None:
    devices, _ = ports
    devices.add(a_request())
    devices.slow_down(KEY, 10)
    approve(devices)
    found = devices.get(KEY)
    assert found is not None and found.status == "approved" and found.interval == 10
    assert found.user_id == "u1" and found.grant_id == "g1" and found.amr == ("pwd",)
    assert found.auth_time == NOW
    again = devices.decide(
        KEY,
        lambda request: request.decide(
            allow=False, user_id="u2", grant_id="g2", auth_time=None, amr=(), now=NOW
        ),
    )
    assert again is not None and again.outcome == "invalid"
    assert (
        devices.decide(
            user_code_key("ZZZZZZZZ"),
            lambda r: r.decide(
                allow=True, user_id="u", grant_id="g", auth_time=None, amr=(), now=NOW
            ),
        )
        is None
    )


def test_thirty_parallel_polls_of_an_approved_request_give_its_tokens_once(
    ports: tuple[DeviceAuthorizations, OAuthGrants],
) -> None:
    devices, grants = ports
    devices.add(a_request())
    assert spend(devices) == "pending"
    approve(devices)
    read = devices.get(KEY)  # each poll found it approved
    with ThreadPoolExecutor(max_workers=30) as pool:
        outcomes = list(pool.map(lambda _: spend(devices, read), range(30)))
    assert outcomes.count("issue") == 1
    assert set(outcomes) <= {"issue", "invalid"}
    spent = devices.get(KEY)
    assert spent is not None and spent.status == "spent"
    grant = grants.get("g1")
    assert grant is not None and grant.issued and grant.user_id == "u1"
    assert spend(devices) == "invalid"
