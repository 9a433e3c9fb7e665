"""A verification mail that Pub/Sub delivers after an org invitation proved the address sends
nothing: gunicorn with ``JOB_QUEUE=pubsub`` on the emulator, whose subscription this test
turns into a pull one, so that it delivers each job to ``/internal/jobs`` itself, in the order
a late delivery makes; the mails through maildev (docs/reference/email.md)."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from google.cloud.pubsub_v1 import SubscriberClient

from application.jobs import decode_job
from application.mail.sending import SEND_MAIL, MailJob, MailKind
from domain.orgs.orgs import Membership, Org, Slug
from infrastructure.firestore.orgs.orgs import FirestoreOrgRepository
from tests.support import mailbox
from tests.support.api import PASSWORD, bearer
from tests.support.servers import serving

pytestmark = pytest.mark.e2e


@dataclass
class Held:
    """The service, and its jobs' subscription, from which this test pulls."""

    url: str
    token: str
    subscription: str


@pytest.fixture(scope="module")
def held(emulators: Any) -> Iterator[Held]:
    token, suffix = secrets.token_urlsafe(24), secrets.token_hex(4)  # fresh names each run
    env = {
        "LOG_LEVEL": "WARNING",
        "JOB_QUEUE": "pubsub",
        "JOB_PUSH_TOKEN": token,
        "PUBSUB_TOPIC": f"jobs-{suffix}",
        "PUBSUB_SUBSCRIPTION": f"jobs-held-{suffix}",
        "PUBSUB_DEAD_LETTER_TOPIC": f"jobs-dead-{suffix}",
        "PUBSUB_DEAD_LETTER_SUBSCRIPTION": f"jobs-dead-held-{suffix}",
    }
    with serving("gunicorn-held-mail.log", **env) as url:
        name = SubscriberClient.subscription_path(emulators.project, env["PUBSUB_SUBSCRIPTION"])
        with SubscriberClient() as subscriber:  # no pushes: the test delivers
            subscriber.modify_push_config(request={"subscription": name, "push_config": {}})
        yield Held(url, token, name)


def pulled(held: Held, count: int) -> list[tuple[bytes, MailJob | None]]:
    """``count`` jobs from the subscription, acknowledged: each one's message data and, for a
    mail job, what it asks."""
    found: list[tuple[bytes, MailJob | None]] = []
    with SubscriberClient() as subscriber:
        while len(found) < count:
            answer = subscriber.pull(
                request={"subscription": held.subscription, "max_messages": 10}, timeout=10
            )
            ids = [received.ack_id for received in answer.received_messages]
            for received in answer.received_messages:
                data = received.message.data
                job = decode_job(data)
                mail = MailJob.parse(job.subject) if job and job.kind == SEND_MAIL else None
                found.append((data, mail))
            if ids:
                subscriber.acknowledge(request={"subscription": held.subscription, "ack_ids": ids})
    return found


def deliver(held: Held, data: bytes) -> None:
    """What the push subscription would do with the message."""
    envelope = {"message": {"data": base64.b64encode(data).decode(), "messageId": "1"}}
    answer = requests.post(
        f"{held.url}/internal/jobs?token={held.token}", json=envelope, timeout=30
    )
    assert answer.status_code == 204, answer.text


def signed_up(url: str, name: str) -> tuple[str, str]:
    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    assert requests.post(url + "/register", json=body, timeout=10).status_code == 201
    body = {"username": name, "password": PASSWORD}
    token: str = requests.post(url + "/login", json=body, timeout=10).json()["access_token"]
    user = requests.get(url + "/user", headers=bearer(token), timeout=10).json()
    return token, user["id"]


def test_a_verification_mail_delivered_after_the_invitation_proved_the_address_is_not_sent(
    held: Held, firestore: Any
) -> None:
    url = held.url
    olga, olga_id = signed_up(url, "olga")
    now = datetime.now(UTC)
    org = Org.create(Slug("acme"), "Acme Corp", now)
    FirestoreOrgRepository(firestore).add(org, Membership(org.id, olga_id, ("owner",), 0, now, now))
    ivy, _ = signed_up(url, "ivy")  # her "Confirm your e-mail" mail is queued
    body = {"email": "ivy@example.com", "roles": ["member"]}
    invited = requests.post(
        f"{url}/orgs/acme/invitations", json=body, headers=bearer(olga), timeout=10
    )
    assert invited.status_code == 201, invited.text
    jobs = pulled(held, 3)  # olga's and ivy's verification mails, then the invitation
    confirm = [data for data, mail in jobs if mail and mail.kind is MailKind.VERIFY_EMAIL]
    others = [data for data, mail in jobs if mail is None]
    assert len(confirm) == 2 and len(others) == 1
    deliver(held, others[0])
    (invitation,) = mailbox.wait_for("ivy@example.com")
    accepted = requests.post(
        f"{url}/orgs/invitations/accept",
        json={"token": mailbox.token_in(invitation)},
        headers=bearer(ivy),
        timeout=10,
    )
    assert accepted.status_code == 200, accepted.text
    assert requests.get(url + "/user", headers=bearer(ivy), timeout=10).json()["email_verified"]
    for data in confirm:  # delivered late, after the proof
        deliver(held, data)
    mailbox.wait_for("olga@example.com")  # hers is sent: her address is not proven
    subjects = [mail["subject"] for mail in mailbox.to("ivy@example.com")]
    assert subjects == [invitation["subject"]]
