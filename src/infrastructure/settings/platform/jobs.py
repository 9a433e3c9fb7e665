"""Background jobs (docs/reference/jobs.md): a pool of threads in each process, or Pub/Sub
pushing to /internal/jobs; the mail's and the webhook deliveries' queues, apart."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator

from infrastructure.settings.group import SettingsGroup, invalid_configuration


class JobSettings(SettingsGroup):
    job_queue: Literal["inprocess", "pubsub"] = "inprocess"
    # Attempts (Pub/Sub: 5-100) and backoff between them, in seconds.
    job_max_attempts: int = Field(5, ge=1, le=100)
    job_backoff: float = Field(10.0, ge=0.01, le=600)
    job_backoff_max: float = Field(600.0, ge=0.01, le=600)
    job_workers: int = Field(2, ge=1, le=32)  # inprocess: threads per process
    job_queue_size: int = Field(1000, ge=1, le=100_000)  # inprocess: jobs waiting, at most
    # inprocess: the threads per process that send webhooks, apart from the other jobs' (mail)
    webhook_workers: int = Field(2, ge=1, le=32)
    # pubsub: where pushes go (default http://127.0.0.1:$PORT/internal/jobs) and how they
    # authenticate: a shared token in the push URL, and/or Google-signed OIDC tokens.
    job_push_endpoint: str = ""
    job_push_token: SecretStr | None = None
    job_push_audience: str = ""
    job_push_service_account: str = ""
    pubsub_topic: str = "firegate-jobs"
    pubsub_subscription: str = "firegate-jobs-push"
    pubsub_dead_letter_topic: str = "firegate-jobs-dead"
    pubsub_dead_letter_subscription: str = "firegate-jobs-dead-push"
    # pubsub: webhook deliveries' own topic and push subscription, apart from the mail's
    pubsub_webhook_topic: str = "firegate-webhooks"
    pubsub_webhook_subscription: str = "firegate-webhooks-push"
    pubsub_setup: bool | None = None  # create them at start-up; default: in the local profile

    @model_validator(mode="after")
    def _check_queue(self) -> JobSettings:
        problems: list[str] = []
        if self.job_backoff_max < self.job_backoff:
            problems.append("JOB_BACKOFF_MAX must not be shorter than JOB_BACKOFF")
        if self.job_queue == "pubsub":
            if not 5 <= self.job_max_attempts <= 100:
                problems.append("JOB_MAX_ATTEMPTS must be 5 to 100 with JOB_QUEUE=pubsub")
            token = self.push_token
            if token and len(token) < 16:
                problems.append("JOB_PUSH_TOKEN must be at least 16 characters")
            if not token and not self.push_oidc:
                problems.append(
                    "JOB_QUEUE=pubsub needs JOB_PUSH_TOKEN, or JOB_PUSH_AUDIENCE and "
                    "JOB_PUSH_SERVICE_ACCOUNT (OIDC), to authenticate the pushes"
                )
        if problems:
            raise invalid_configuration(problems)
        return self

    @property
    def push_token(self) -> str:
        """The pushes' shared token; empty: none."""
        return self.job_push_token.get_secret_value() if self.job_push_token else ""

    @property
    def push_oidc(self) -> bool:
        """Whether pushes carry Google-signed OIDC tokens."""
        return bool(self.job_push_audience and self.job_push_service_account)
