"""The push endpoint of the Pub/Sub job queue: only our push subscription may call it.

Answers 204 to acknowledge a job (done, or dropped for good) and an error to have it
delivered again later (503 ``job_retry`` when an attempt failed).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, Response, request

from application.jobs import JobPush, PushCredentials
from interfaces.http.openapi import doc
from interfaces.http.parsing import parse_json
from interfaces.http.responses import no_content
from interfaces.http.schemas.common import Problem
from interfaces.http.schemas.jobs import PushEnvelope
from interfaces.shared.services import services

bp = Blueprint("jobs", __name__, url_prefix="/internal/jobs")
TAGS = ("internal",)
F = TypeVar("F", bound=Callable[..., Any])


def push_authorized[F: Callable[..., Any]](view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        scheme, _, bearer = request.headers.get("Authorization", "").partition(" ")
        services().platform.jobs.authorize_push(
            PushCredentials(
                token=request.args.get("token", ""),
                bearer=bearer.strip() if scheme.lower() == "bearer" else "",
            )
        )
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _receive(dead_letter: bool) -> Response:
    body = parse_json(PushEnvelope)
    services().platform.jobs.receive_push(
        JobPush(
            data=body.message.data,
            delivery_attempt=body.deliveryAttempt,
            dead_letter=dead_letter,
        )
    )
    return no_content()


@bp.post("")
@doc(json=PushEnvelope, responses={204: None, 401: Problem}, tags=TAGS)
@push_authorized
def receive_job() -> Response:
    """Pub/Sub push: run one job."""
    return _receive(dead_letter=False)


@bp.post("/dead-letter")
@doc(json=PushEnvelope, responses={204: None, 401: Problem}, tags=TAGS)
@push_authorized
def receive_dead_letter() -> Response:
    """Pub/Sub push from the dead-letter topic: the job's last attempt."""
    return _receive(dead_letter=True)
