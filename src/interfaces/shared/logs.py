"""Structured logs: one JSON object per line with the fields Cloud Logging understands."""

from __future__ import annotations

import logging
import os
import random
import re
import sys
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, g, request
from pythonjsonlogger.json import JsonFormatter

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_TRACE = re.compile(r"[0-9a-fA-F]{1,64}")
access_log = logging.getLogger("firegate.access")
TraceIds = Callable[[], tuple[str, str, bool] | None]


def configure_logging(level: str = "INFO", *, command_line: bool = False) -> None:
    """The JSON lines on stdout, where Cloud Run reads them; on stderr for the command line,
    whose stdout is the command's answer alone (``users export > users.jsonl``, ``| jq``)."""
    handler = logging.StreamHandler(sys.stderr if command_line else sys.stdout)
    handler.setFormatter(
        JsonFormatter(
            "{levelname}{message}{name}",
            style="{",
            rename_fields={"levelname": "severity", "name": "logger"},
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


# The request ids' own generator (not the ``random`` module's shared one, which tests and
# libraries may seed), reseeded in each forked worker so two workers do not repeat each other.
_REQUEST_IDS = random.Random()  # noqa: S311 - identifiers, not secrets
os.register_at_fork(after_in_child=_REQUEST_IDS.seed)


def new_request_id() -> str:
    """32 hex digits naming one request in the logs. Not a secret, so not from the
    system's CSPRNG: ``secrets`` makes a getrandom(2) call, which lets go of the GIL, on every
    request."""
    return f"{_REQUEST_IDS.getrandbits(128):032x}"


def install_request_context(app: Flask, project: str, trace_ids: TraceIds | None = None) -> None:
    """The request's id and its log line. ``trace_ids``: the current span's, for the line's
    trace fields (when traces are on); else Cloud Run's ``X-Cloud-Trace-Context``'s."""

    @app.before_request
    def _start() -> None:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _REQUEST_ID.match(given) else new_request_id()
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        # This runs on every request: the user agent is read as the raw header (no
        # UserAgent object).
        request_id = g.get("request_id") or new_request_id()
        response.headers["X-Request-ID"] = request_id
        if not access_log.isEnabledFor(logging.INFO):  # LOG_LEVEL above INFO: no line to build
            return response
        started = g.get("started")
        latency = time.perf_counter() - started if started else 0.0
        method, path, status = request.method, request.path, response.status_code
        headers = request.headers
        fields: dict[str, Any] = {
            "httpRequest": {
                "requestMethod": method,
                "requestUrl": path,  # never the query string: it may carry secrets
                "status": status,
                "responseSize": str(response.content_length or 0),
                "userAgent": headers.get("User-Agent", "")[:256],
                "remoteIp": request.remote_addr,
                "latency": f"{latency:.6f}s",
            },
            "request_id": request_id,
        }
        ids = trace_ids() if trace_ids is not None else None
        if ids is not None:
            trace, span, sampled = ids
            fields["logging.googleapis.com/trace"] = f"projects/{project}/traces/{trace}"
            fields["logging.googleapis.com/spanId"] = span
            fields["logging.googleapis.com/trace_sampled"] = sampled
        else:
            trace = headers.get("X-Cloud-Trace-Context", "").split("/", 1)[0]
            if trace and _TRACE.fullmatch(trace):
                fields["logging.googleapis.com/trace"] = f"projects/{project}/traces/{trace}"
        actor = g.get("actor")
        if actor is not None:
            fields["user_id"] = actor.user_id
        access_log.info("%s %s %s", method, path, status, extra=fields)
        return response
