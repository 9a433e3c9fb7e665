"""A failed form is the same page again, with each message beside its field, the form
refilled (never a password), and the status the API gives (docs/pages.md). On a page of
several forms (/account) only the form sent (``failed``) shows them. A request of the
pages' script (it asks for JSON) gets the same status, code and message as JSON."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus

from flask import Blueprint, Response, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from domain.errors import Conflict, DomainError, InvalidInput, RateLimited
from interfaces.shared.problems import status_of
from interfaces.web.messages import message

SECRET_FIELDS = frozenset({"password", "current_password", "new_password", "code", "recovery_code"})


def register_page_errors(bp: Blueprint) -> None:
    @bp.errorhandler(DomainError)
    def _domain(exc: DomainError) -> Response:
        status = status_of(exc)
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else {}
        template: str | None = g.get("form_template")
        renames: Mapping[str, str] = g.get("form_renamed", {})
        fields: dict[str, str] = {}
        errors = exc.errors if isinstance(exc, InvalidInput) else ()
        for error in errors:
            fields.setdefault(
                renames.get(error.field, error.field), message(error.code, error.message)
            )
        if isinstance(exc, Conflict) and exc.field:
            fields[renames.get(exc.field, exc.field)] = message(exc.code, exc.detail)
        placed: str | None = g.get("form_placed", {}).get(exc.code)
        if placed is not None:  # an error without a field of its own, beside the one it is about
            fields.setdefault(placed, message(exc.code, exc.detail))
        if wants_json():
            return json_problem(status, exc.code, message(exc.code, exc.detail), headers, fields)
        if template is None or request.method != "POST":
            return error_page(status, message(exc.code, exc.detail), headers)
        read = g.get("form_read")
        try:  # what else the page shows; a caller who may not see it gets the plain answer
            shown = read() if read is not None else {}
        except DomainError:
            return error_page(status, message(exc.code, exc.detail), headers)
        form = {
            k: v for k, v in request.form.items() if k not in SECRET_FIELDS and k != "csrf_token"
        }
        body = render_template(
            template,
            form=form,
            errors=fields,
            error=None if fields else message(exc.code, exc.detail),
            failed=g.get("form_id"),
            **g.get("form_context", {}),
            **shown,
        )
        return Response(body, status=status, headers=headers)

    bp.register_error_handler(HTTPException, http_error)


def http_error(exc: HTTPException) -> Response:
    """An error of HTTP itself on a page's address, in the reader's language."""
    status = exc.code or 500
    code = "csrf_failed" if status == 403 else HTTPStatus(status).name.lower()
    detail = message(code, HTTPStatus(status).phrase)
    headers = dict(exc.get_headers())  # a 405's Allow, a 429's Retry-After
    headers.pop("Content-Type", None)
    if wants_json():
        return json_problem(status, code, detail, headers, {})
    return error_page(status, detail, headers)


def wants_json() -> bool:
    """The pages' script asks for JSON (``Accept: application/json``); a browser's navigation
    asks for HTML."""
    accepted = request.accept_mimetypes
    return accepted.best_match(("text/html", "application/json")) == "application/json"


def prefers_html() -> bool:
    """A browser's navigation: it asks for HTML before JSON. An API client asks for JSON,
    for anything (``*/*``) or for nothing."""
    accepted = request.accept_mimetypes
    return accepted.best_match(("application/json", "text/html")) == "text/html"


def json_problem(
    status: int, code: str, detail: str, headers: dict[str, str], fields: dict[str, str]
) -> Response:
    """What the pages' script reads: the code, and the message in the reader's language."""
    body = {"status": status, "code": code, "detail": detail, "errors": fields}
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers)
    response.mimetype = "application/problem+json"
    return response


def error_page(status: int, detail: str, headers: dict[str, str]) -> Response:
    body = render_template("error.html", status=status, detail=detail)
    return Response(body, status=status, headers=headers)
