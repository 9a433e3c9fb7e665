"""One suite for the NewDeviceMails port, run against the fake and against Firestore: one
claim per device key a day, atomic under parallel claims
(docs/decisions/0173-new-device-mail.md)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from application.mail.sending import NEW_DEVICE_MAIL_EVERY, NewDeviceMails
from tests.fakes.mail import FakeNewDeviceMails

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
KEY = "a" * 64


@pytest.fixture(params=["fake", "firestore"])
def mails(request: pytest.FixtureRequest) -> NewDeviceMails:
    if request.param == "fake":
        return FakeNewDeviceMails()
    from infrastructure.firestore.mail.new_device_mails import FirestoreNewDeviceMails

    client: Any = request.getfixturevalue("firestore")
    return FirestoreNewDeviceMails(client)


def test_a_device_is_claimed_once_a_day(mails: NewDeviceMails) -> None:
    assert mails.claim(KEY, "u1", "job-1", NOW)
    assert mails.claim(KEY, "u1", "job-1", NOW + timedelta(minutes=5))  # its retry
    almost = NOW + NEW_DEVICE_MAIL_EVERY - timedelta(seconds=1)
    assert not mails.claim(KEY, "u1", "job-2", almost)
    assert mails.claim("b" * 64, "u1", "job-3", NOW)  # another device
    assert mails.claim(KEY, "u1", "job-4", NOW + NEW_DEVICE_MAIL_EVERY)  # the next day
    assert not mails.claim(KEY, "u1", "job-5", NOW + NEW_DEVICE_MAIL_EVERY)
    assert mails.claim(KEY, "u1", "job-4", NOW + NEW_DEVICE_MAIL_EVERY)


@pytest.mark.parametrize("first", [True, False], ids=["new", "past_its_day"])
def test_of_thirty_parallel_claims_one_wins(mails: NewDeviceMails, first: bool) -> None:
    now = NOW
    if not first:  # a claim of yesterday is there: the parallel ones race to take it over
        assert mails.claim(KEY, "u1", "yesterday", NOW)
        now = NOW + NEW_DEVICE_MAIL_EVERY
    with ThreadPoolExecutor(max_workers=30) as pool:
        won = list(pool.map(lambda n: mails.claim(KEY, "u1", f"job-{n}", now), range(30)))
    assert won.count(True) == 1
