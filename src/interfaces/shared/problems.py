"""The status of each kind of domain error, the same on the API and on the pages, and the
RFC 9457 problem every adapter answers with where its blueprint has no handler of its own:
one place that turns every error into a problem response without internals. What a
capability's own errors add to their problem (a signup refusal's reason, a guest upgrade's
merge token, the step-up challenge) is its ``ProblemPart``, in the ``PROBLEM_PARTS`` slot
the shell is handed."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, current_app, g, json, request
from werkzeug.exceptions import HTTPException

from domain.errors import (
    ChallengeRequired,
    Conflict,
    DomainError,
    FieldError,
    InvalidInput,
    MfaRequired,
    NotFound,
    PermissionDenied,
    RateLimited,
    SsoRequired,
    TooLarge,
    Unauthenticated,
    Unavailable,
    Unreadable,
)
from domain.slots import Slot


@dataclass(frozen=True)
class ProblemPart[E: DomainError]:
    """What a capability adds to the problem of its kind of error, from the error: its RFC
    9457 extension members, and headers (docs/contributing.md, "Units")."""

    error: type[E]
    members: Callable[[E], Mapping[str, object]] | None = None
    headers: Callable[[E], Mapping[str, str]] | None = None


# Filled by the units, handed to the shell (``ShellConfig.problem_parts``), kept on the app.
PROBLEM_PARTS = Slot[ProblemPart[Any]]("the problems' parts")
PARTS = "firegate.problem_parts"

_STATUS: list[tuple[type[DomainError], int]] = [
    (Unreadable, 400),
    (InvalidInput, 422),
    (Unauthenticated, 401),
    (PermissionDenied, 403),
    (NotFound, 404),
    (Conflict, 409),
    (TooLarge, 413),
    (RateLimited, 429),
    (Unavailable, 503),
]


def status_of(exc: DomainError) -> int:
    return next((status for cls, status in _STATUS if isinstance(exc, cls)), 400)


log = logging.getLogger("firegate.errors")

PROBLEM_JSON = "application/problem+json"

# Stable codes for errors raised by Flask/Werkzeug themselves.
_HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


class BadRequest(DomainError):
    """A request that cannot be parsed at all (400), as opposed to invalid fields (422)."""

    code = "bad_request"
    title = "Bad request"


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    title: str | None = None,
    errors: tuple[FieldError, ...] = (),
    headers: dict[str, str] | None = None,
    extensions: dict[str, object] | None = None,
) -> Response:
    body: dict[str, object] = {
        "type": f"urn:firegate:problem:{code}",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = [{"field": e.field, "message": e.message, "code": e.code} for e in errors]
    body.update(extensions or {})
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def domain_problem(exc: DomainError) -> Response:
    """``exc``'s problem, with what the app's units add to it (``install_error_handlers``)."""
    if isinstance(exc, BadRequest):
        return problem(400, exc.code, exc.detail)
    status = status_of(exc)
    headers: dict[str, str] = {}
    if isinstance(exc, Unauthenticated):
        headers["WWW-Authenticate"] = (
            f'Bearer realm="firegate", error="invalid_token", error_description="{exc.code}"'
            if request.headers.get("Authorization")
            else 'Bearer realm="firegate"'
        )
    if isinstance(exc, RateLimited | Unavailable):
        headers["Retry-After"] = str(exc.retry_after)
    errors = exc.errors if isinstance(exc, InvalidInput) else ()
    if isinstance(exc, Conflict) and exc.field:
        errors = (FieldError(exc.field, exc.detail, exc.code),)
    extensions: dict[str, object] = {}
    if isinstance(exc, MfaRequired):  # RFC 9457 extension members
        extensions = {"mfa_token": exc.mfa_token, "methods": list(exc.methods)}
    if isinstance(exc, SsoRequired):
        extensions = {"connection": exc.connection_id, "url": exc.url}
    if isinstance(exc, ChallengeRequired):
        extensions = {"provider": exc.provider, "site_key": exc.site_key}
    parts: Sequence[ProblemPart[Any]] = current_app.extensions.get(PARTS, ())
    for part in parts:
        if isinstance(exc, part.error):
            if part.members is not None:
                extensions = dict(part.members(exc))
            if part.headers is not None:
                headers.update(part.headers(exc))
    return problem(
        status,
        exc.code,
        exc.detail,
        title=exc.title,
        errors=errors,
        headers=headers,
        extensions=extensions,
    )


def install_error_handlers(app: Flask, parts: Sequence[ProblemPart[Any]] = ()) -> None:
    """What every route of every adapter answers unless its blueprint says otherwise: a
    problem (RFC 9457) for a domain error, with what the units' ``parts`` add to it, or an
    error of HTTP (a 404 anywhere), a bare 500 for anything else."""
    app.extensions[PARTS] = tuple(parts)

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError) -> Response:
        return domain_problem(exc)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        status = exc.code or 500
        response = problem(
            status,
            _HTTP_CODES.get(status, f"http_{status}"),
            exc.description or HTTPStatus(status).phrase,
        )
        for name, value in exc.get_headers():
            if name.lower() in ("allow", "retry-after"):
                response.headers[name] = value
        if status == 429 and "Retry-After" not in response.headers:
            response.headers["Retry-After"] = "60"  # every 429 says when to come back
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        # Adapters raise Unavailable for an outage (infrastructure/firestore/errors.py), so
        # whatever gets here is a bug.
        log.exception("unhandled error", extra={"request_id": g.get("request_id")})
        return problem(500, "internal_error", "An unexpected error occurred.")
