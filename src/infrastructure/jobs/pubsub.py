"""Background jobs through Cloud Pub/Sub: publish here, a push subscription calls us back.

``JOB_QUEUE=pubsub``: ``enqueue`` publishes the job to a topic; Pub/Sub pushes it to
``POST /internal/jobs`` of the service (authenticated by a shared token in the push URL, or by
Google-signed OIDC tokens in production), retries with backoff while the endpoint answers an
error, and after ``max_attempts`` moves it to a dead-letter topic whose own push subscription
calls ``POST /internal/jobs/dead-letter``: the job's last attempt, which records the failure.
The Cloud Run way: no CPU is needed outside requests.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from google.api_core import exceptions
from google.api_core.retry import Retry, if_exception_type
from google.cloud.pubsub_v1 import PublisherClient, SubscriberClient

from application.jobs import encode_job
from application.ports import Job

log = logging.getLogger("firegate.jobs")

PUBLISH_DEADLINE = 8.0
_PUBLISH_RETRY = Retry(
    initial=0.1,
    maximum=1.0,
    multiplier=2.0,
    timeout=PUBLISH_DEADLINE,
    predicate=if_exception_type(
        exceptions.ServiceUnavailable, exceptions.InternalServerError, exceptions.TooManyRequests
    ),
)
DEAD_LETTER_PATH = "/dead-letter"


class PubSubJobQueue:
    def __init__(self, project: str, topic: str) -> None:
        self._topic = f"projects/{project}/topics/{topic}"
        self._lock = threading.Lock()
        self._publisher: Any = None
        self._pid: int | None = None

    def _client(self) -> Any:
        # Created on first use in each process: gRPC channels do not survive gunicorn's fork.
        with self._lock:
            if self._publisher is None or self._pid != os.getpid():
                self._publisher = PublisherClient()
                self._pid = os.getpid()
            return self._publisher

    def enqueue(self, job: Job) -> None:
        future = self._client().publish(
            self._topic,
            encode_job(job),
            retry=_PUBLISH_RETRY,
            timeout=PUBLISH_DEADLINE,
            kind=job.kind,
        )
        future.result(timeout=PUBLISH_DEADLINE + 2)  # published (stored by Pub/Sub) or raises


@dataclass(frozen=True)
class PubSubSetup:
    """The topics and push subscriptions ``JOB_QUEUE=pubsub`` needs (docs/operations.md)."""

    project: str
    topic: str
    subscription: str
    dead_letter_topic: str
    dead_letter_subscription: str
    push_endpoint: str  # e.g. https://firegate-xyz.a.run.app/internal/jobs
    push_token: str = ""  # appended as ?token= when set
    oidc_service_account: str = ""  # Pub/Sub signs OIDC tokens as this account when set
    oidc_audience: str = ""
    max_attempts: int = 5  # Pub/Sub's dead-letter policy accepts 5 to 100
    min_backoff: float = 10.0
    max_backoff: float = 600.0
    ack_deadline: int = 60  # the handler's time budget; longer ones are delivered again

    def push_config(self, path: str = "") -> dict[str, Any]:
        endpoint = self.push_endpoint.rstrip("/") + path
        if self.push_token:
            endpoint += "?token=" + quote(self.push_token, safe="")
        config: dict[str, Any] = {"push_endpoint": endpoint}
        if self.oidc_service_account:
            config["oidc_token"] = {
                "service_account_email": self.oidc_service_account,
                "audience": self.oidc_audience,
            }
        return config


def _duration(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)  # proto-plus turns it into a protobuf Duration


def ensure_pubsub_resources(setup: PubSubSetup) -> None:
    """Create the topics and subscriptions when missing; point existing ones at us again.

    For the local profile (the emulator); production creates them with gcloud once.
    """
    publisher = PublisherClient()
    subscriber = SubscriberClient()
    project = setup.project
    topic = publisher.topic_path(project, setup.topic)
    dead_topic = publisher.topic_path(project, setup.dead_letter_topic)
    for name in (topic, dead_topic):
        with contextlib.suppress(exceptions.AlreadyExists):
            publisher.create_topic(name=name, timeout=PUBLISH_DEADLINE)
    subscriptions = [
        {
            "name": subscriber.subscription_path(project, setup.subscription),
            "topic": topic,
            "push_config": setup.push_config(),
            "ack_deadline_seconds": setup.ack_deadline,
            "retry_policy": {
                "minimum_backoff": _duration(setup.min_backoff),
                "maximum_backoff": _duration(setup.max_backoff),
            },
            "dead_letter_policy": {
                "dead_letter_topic": dead_topic,
                "max_delivery_attempts": setup.max_attempts,
            },
        },
        {
            "name": subscriber.subscription_path(project, setup.dead_letter_subscription),
            "topic": dead_topic,
            "push_config": setup.push_config(DEAD_LETTER_PATH),
            "ack_deadline_seconds": setup.ack_deadline,
            "retry_policy": {
                "minimum_backoff": _duration(setup.min_backoff),
                "maximum_backoff": _duration(setup.max_backoff),
            },
        },
    ]
    with subscriber:
        for subscription in subscriptions:
            try:
                subscriber.create_subscription(request=subscription, timeout=PUBLISH_DEADLINE)
            except exceptions.AlreadyExists:
                # Another worker made it, or an earlier run on another port: point it at us.
                subscriber.modify_push_config(
                    request={
                        "subscription": subscription["name"],
                        "push_config": subscription["push_config"],
                    },
                    timeout=PUBLISH_DEADLINE,
                )
    log.info("Pub/Sub topic %s and its push subscriptions are ready", topic)
