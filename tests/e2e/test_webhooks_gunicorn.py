"""Webhooks end to end: the real service under gunicorn on the emulators, delivering to a real
HTTP receiver in the test that checks every signature with the Standard Webhooks library."""

from __future__ import annotations

import base64
import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from google.cloud.firestore import FieldFilter
from standardwebhooks.webhooks import Webhook

from application.jobs import SWEEP, encode_job
from application.ports import Job
from infrastructure.firestore.events.security_events import SECURITY_EVENTS
from infrastructure.firestore.events.webhooks import WEBHOOK_DELIVERIES
from tests.support.served_webhooks import (
    Received,
    Receiver,
    admin_headers,
    create_webhook,
    deliveries,
    login,
    receiver,
    register,
)
from tests.support.servers import served, serving

__all__ = ["receiver"]  # a fixture, used here

pytestmark = pytest.mark.e2e

# Retries in a fraction of a second, a claim of 6 s, sweeps every 0.3 s, the list of
# endpoints reused for 0.5 s: the schedule of production, faster.
FAST = {
    "WEBHOOK_RETRY_FIRST": "0.2",
    "WEBHOOK_TIMEOUT": "1",
    "WEBHOOK_SWEEP_INTERVAL": "0.3",
    "WEBHOOK_CACHE_TTL": "0.5",
    "JOB_WORKERS": "4",
}


def verified(hook: Webhook, received: Received) -> dict[str, Any]:
    data: dict[str, Any] = hook.verify(received.body, received.headers)
    return data


def test_signed_deliveries_retried_with_the_same_id_and_none_for_other_types(
    clean_emulators: Any, receiver: Receiver
) -> None:
    receiver.answer = lambda path, number: 500 if path == "/created" and number == 1 else 204
    with serving("gunicorn-webhooks.log", **FAST) as base:
        admin = admin_headers(base)
        created_id, created_hook = create_webhook(
            base, admin, f"{receiver.url}/created", "user.created"
        )
        _, failed_hook = create_webhook(base, admin, f"{receiver.url}/failed", "signin.failed")
        time.sleep(0.6)  # every worker's copy of the endpoints has expired
        dave = register(base, "dave")
        receiver.wait_for(lambda: len(receiver.on("/created")) == 2)
        first, retry = receiver.on("/created")
        assert (first.answered, retry.answered) == (500, 204)
        assert first.headers["webhook-id"] == retry.headers["webhook-id"]
        for received in (first, retry):
            data = verified(created_hook, received)
            assert data["type"] == "user.created" and data["data"]["user_id"] == dave["id"]
        assert "dave@example.com" not in first.body

        assert login(base, "dave").status_code == 200  # signin.succeeded: nobody wants it
        assert login(base, "dave", "wrong password").status_code == 401
        receiver.wait_for(lambda: len(receiver.on("/failed")) == 1)
        failed = verified(failed_hook, receiver.on("/failed")[0])
        assert failed["type"] == "signin.failed" and failed["data"]["outcome"] == "failure"
        time.sleep(1.0)  # sweeps: nothing else is due
        assert len(receiver.on("/created")) == 2 and len(receiver.on("/failed")) == 1

        [listed] = deliveries(base, admin, created_id)
        assert listed["id"] == first.headers["webhook-id"] and listed["status"] == "succeeded"
        assert [a["status_code"] for a in listed["attempts"]] == [500, 204]
        resent = requests.post(
            f"{base}/admin/webhooks/{created_id}/deliveries/{listed['id']}/resend",
            headers=admin,
            timeout=30,
        )
        assert resent.status_code == 202
        receiver.wait_for(lambda: len(receiver.on("/created")) == 3)
        assert receiver.on("/created")[2].headers["webhook-id"] == listed["id"]


def test_30_parallel_sign_ups_give_30_events_and_30_deliveries_none_twice(
    clean_emulators: Any, firestore: Any, receiver: Receiver
) -> None:
    with serving("gunicorn-webhooks.log", **FAST) as base:
        admin = admin_headers(base)
        webhook_id, hook = create_webhook(base, admin, f"{receiver.url}/in", "user.created")
        time.sleep(0.6)
        with ThreadPoolExecutor(max_workers=30) as pool:
            users = list(pool.map(lambda n: register(base, f"crowd{n}"), range(30)))
        receiver.wait_for(lambda: len(receiver.on("/in")) >= 30)
        time.sleep(1.0)  # a duplicate would arrive meanwhile
        received = receiver.on("/in")
        ids = [r.headers["webhook-id"] for r in received]
        assert len(received) == 30 and len(set(ids)) == 30
        delivered = {verified(hook, r)["data"]["user_id"] for r in received}
        assert delivered == {u["id"] for u in users}
        events = firestore.collection(SECURITY_EVENTS).where(
            filter=FieldFilter("type", "==", "user.created")
        )
        stored = [s for s in events.stream() if (s.to_dict() or {})["user_id"] in delivered]
        assert len(stored) == 30
        listed = deliveries(base, admin, webhook_id)
        assert len(listed) == 30 and {d["status"] for d in listed} == {"succeeded"}


def test_a_delivery_interrupted_by_a_killed_service_goes_out_after_the_restart(
    clean_emulators: Any, firestore: Any, receiver: Receiver
) -> None:
    receiver.hold = True  # the first delivery is received and never answered
    with served("gunicorn-webhooks.log", **FAST) as (base, proc):
        admin = admin_headers(base)
        _, hook = create_webhook(base, admin, f"{receiver.url}/in", "user.created")
        time.sleep(0.6)
        erin = register(base, "erin")
        assert receiver.held.wait(30), "the delivery was not sent"
        os.killpg(proc.pid, signal.SIGKILL)  # no clean shutdown: the worker dies mid-send
        proc.wait(10)
    receiver.release.set()
    [doc] = firestore.collection(WEBHOOK_DELIVERIES).stream()
    pending = doc.to_dict() or {}
    assert pending["status"] == "pending" and pending["attempts"] == []
    with serving("gunicorn-webhooks-restarted.log", **FAST):
        # The claim of the killed worker lapses (6 s), then a sweep queues it again.
        receiver.wait_for(lambda: len(receiver.received) == 1, timeout=40)
    [received] = receiver.received
    assert received.headers["webhook-id"] == doc.id
    assert verified(hook, received)["data"]["user_id"] == erin["id"]
    done = firestore.collection(WEBHOOK_DELIVERIES).document(doc.id).get().to_dict()
    assert done["status"] == "succeeded" and len(done["attempts"]) == 1
    assert json.loads(done["payload"])["data"]["user_id"] == erin["id"]


def test_with_no_sweeper_of_its_own_a_pushed_sweep_job_sends_the_retry(
    clean_emulators: Any, receiver: Receiver
) -> None:
    """As in the two-region recipe: the servers' timers off, Cloud Scheduler pushes the sweep
    as a job to /internal/jobs (docs/reference/jobs.md, "Sweeps")."""
    token = "push-token-" + "w" * 24
    receiver.answer = lambda path, number: 500 if number == 1 else 204
    no_timer = FAST | {"WEBHOOK_SWEEP_INTERVAL": "0", "JOB_PUSH_TOKEN": token}
    with serving("gunicorn-webhooks-swept.log", **no_timer) as base:
        admin = admin_headers(base)
        _, hook = create_webhook(base, admin, f"{receiver.url}/in", "user.created")
        time.sleep(0.6)  # every worker's copy of the endpoints has expired
        frank = register(base, "frank")
        receiver.wait_for(lambda: len(receiver.on("/in")) == 1)
        time.sleep(1.0)  # its retry is due after 0.2 s: nothing in the service sends it
        assert len(receiver.on("/in")) == 1
        job = base64.b64encode(encode_job(Job(kind=SWEEP, subject="webhooks"))).decode()
        pushed = requests.post(
            f"{base}/internal/jobs?token={token}", json={"message": {"data": job}}, timeout=30
        )
        assert pushed.status_code == 204
        receiver.wait_for(lambda: len(receiver.on("/in")) == 2)
        first, retry = receiver.on("/in")
        assert (first.answered, retry.answered) == (500, 204)
        assert first.headers["webhook-id"] == retry.headers["webhook-id"]
        assert verified(hook, retry)["data"]["user_id"] == frank["id"]
