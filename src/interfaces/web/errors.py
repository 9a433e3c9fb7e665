"""A failed form is the same page again, with each message beside its field, the form
refilled (never a password), and the status the API gives (docs/pages.md). On a page of
several forms (/account) only the form sent (``failed``) shows them. A request of the
pages' script (it asks for JSON) gets the same status, code and message as JSON.

A route says which page its form's errors go to with ``forms.form_errors``; an error of any
other page's route is the error page."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from http import HTTPStatus
from urllib.parse import urlencode

from flask import Response, current_app, g, jsonify, redirect, request
from flask_babel import format_timedelta, gettext
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from domain.errors import (
    ChallengeRequired,
    Conflict,
    DomainError,
    InvalidInput,
    RateLimited,
    ReauthenticationRequired,
    SsoRequired,
    Unavailable,
)
from interfaces.shared.problems import status_of
from interfaces.web import browser
from interfaces.web.messages import message
from interfaces.web.rendering import on_to_sso, page_headers, page_of

PASSWORD_FIELDS = frozenset({"password", "current_password", "new_password"})
SECRET_FIELDS = PASSWORD_FIELDS | {"code", "recovery_code"}


# Where a person who signed in again to add a way in comes back to, unless the form sent is
# on another section of the account (``FormPage.back``): the section with the forms and links
# that add one (a POST cannot be replayed, and a "Connect" link's proof is bound to the CSRF
# secret that signing in replaces).
REAUTH_BACK = "/account/security"


@dataclass(frozen=True)
class FormPage:
    """The page a refused form is shown again on. ``form_id``: on a page of several forms,
    the one sent; ``renamed``: the page's input for an API field named otherwise
    (``password`` → ``new_password``); ``placed``: the input an error code without a field
    is about (``invalid_current_password`` → ``current_password``); ``back``: where a
    browser asked to sign in again comes back to (the section the form is on)."""

    template: str
    form_id: str | None = None
    renamed: Mapping[str, str] = field(default_factory=dict)
    placed: Mapping[str, str] = field(default_factory=dict)
    back: str = REAUTH_BACK


Shown = Callable[..., Mapping[str, object]]
# Each route's form page, as ``forms.form_errors`` declares it, by the function it wraps: a
# refusal raised before the route runs shows that form too (``refused_before_route``).
_FORM_OF: dict[Callable[..., object], tuple[FormPage, Shown | None]] = {}


def declare_form(view: Callable[..., object], form: FormPage, shown: Shown | None) -> None:
    _FORM_OF[view] = (form, shown)


def refused_before_route(exc: DomainError) -> Response:
    """A domain error no route turned into its page: the per-address request limits, which
    the app shell counts before the route runs (docs/security.md), show the route's form
    with the message and ``Retry-After``, as the route's own refusals do (docs/pages.md);
    anything else is the error page."""
    view = current_app.view_functions.get(request.endpoint or "")
    declared = None
    if isinstance(exc, RateLimited) and view is not None:
        declared = _FORM_OF.get(inspect.unwrap(view, stop=lambda each: each in _FORM_OF))
    if declared is None:
        return refused(exc)
    form, shown = declared
    return refused(exc, form, partial(shown, **(request.view_args or {})) if shown else None)


def said(exc: DomainError) -> str:
    """The refusal in the reader's language; a limit says when to come back."""
    text = message(exc.code, exc.detail)
    if isinstance(exc, RateLimited):
        wait = format_timedelta(timedelta(seconds=exc.retry_after), threshold=1)
        return f"{text} {gettext('You can try again in %(wait)s.', wait=wait)}"
    return text


def refused(
    exc: DomainError,
    form: FormPage | None = None,
    shown: Callable[[], Mapping[str, object]] | None = None,
) -> Response:
    """The answer to ``exc``: ``form``'s page again, with ``shown`` (what else that page
    shows, read only now), or the error page; JSON for the pages' script. A browser asked
    to sign in again (a new way in on an old session) goes to do so, and back."""
    elsewhere = _first_elsewhere(exc, form.back if form is not None else REAUTH_BACK)
    if elsewhere is not None:
        return elsewhere
    status = status_of(exc)
    headers: dict[str, str] = {}
    if isinstance(exc, RateLimited | Unavailable):  # when to come back, as the API says
        headers["Retry-After"] = str(exc.retry_after)
    renames = form.renamed if form is not None else {}
    fields: dict[str, str] = {}
    errors = exc.errors if isinstance(exc, InvalidInput) else ()
    for error in errors:
        fields.setdefault(renames.get(error.field, error.field), message(error.code, error.message))
    if isinstance(exc, Conflict) and exc.field:
        fields[renames.get(exc.field, exc.field)] = message(exc.code, exc.detail)
    placed = form.placed.get(exc.code) if form is not None else None
    if placed is not None:  # an error without a field of its own, beside the one it is about
        fields.setdefault(placed, said(exc))
    if wants_json():
        return json_problem(status, exc.code, said(exc), headers, fields)
    if form is None or request.method != "POST":
        return error_page(status, said(exc), headers)
    try:  # what else the page shows; a caller who may not see it gets the plain answer
        context = shown() if shown is not None else {}
    except DomainError:
        return error_page(status, said(exc), headers)
    typed = {k: v for k, v in request.form.items() if k not in SECRET_FIELDS and k != "csrf_token"}
    # A password typed is never sent back: the field says to type it again (_fields.html),
    # unless it was right and the refusal is of something else (a hook's verdict, the
    # account's state)
    retype = [] if exc.credentials_proven else [k for k in PASSWORD_FIELDS if request.form.get(k)]
    # A signal fired: the page shows the challenge's widget (docs/security.md)
    challenge = exc if isinstance(exc, ChallengeRequired) else None
    shown_again = {
        "form": typed,
        "retype": retype,
        "errors": fields,
        "error": None if fields else said(exc),
        "failed": form.form_id,
        "challenge": challenge,
        **context,
    }
    answer = page_of(form.template, status, shown_again)
    answer.headers.update(headers)
    return answer


def sign_in_again(back: str = REAUTH_BACK) -> Response:
    """To the sign-in page, which asks to sign in again (the session holds until that
    succeeds, then is replaced) and then comes back to ``back``, the username typed in."""
    actor = g.get("browser_actor")
    query = {"again": "1", "next": back}
    if actor is not None:
        query["username"] = actor.username
    response: Response = redirect("/sign-in?" + urlencode(query), 303)  # type: ignore[assignment]
    return response


def _first_elsewhere(exc: DomainError, back: str) -> Response | None:
    """Where a refused person goes first, if anywhere: to sign in again (a new way in on an
    old session), or to their org's single sign-on; None for any other refusal."""
    if isinstance(exc, ReauthenticationRequired):
        again = sign_in_again(back)
        if not wants_json():
            return again
        # The pages' script goes there itself (static/webauthn.js).
        answer = json_problem(403, exc.code, message(exc.code, exc.detail), {}, {})
        answer.headers["Location"] = again.headers["Location"]
        return answer
    if isinstance(exc, SsoRequired):
        return to_the_orgs_sso(exc)
    return None


def to_the_orgs_sso(exc: SsoRequired) -> Response:
    """A person whose org requires its single sign-on, signing in another way (a password,
    a second factor, a passkey, another provider), goes there, then on to ``next`` (which
    the start checks as the sign-in page does); the pages' script goes to the ``Location``
    of its JSON answer itself (static/webauthn.js)."""
    onward = on_to_sso(exc.path, request.args.get("next") or "/account", status_of(exc))
    if not wants_json():
        return onward
    answer = json_problem(403, exc.code, message(exc.code, exc.detail), {}, {})
    answer.headers["Location"] = onward.headers["Refresh"].partition("url=")[2]
    return answer


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
    # A signed-in person is offered their account and signing out, not "Sign in".
    context = {"status": status, "detail": detail, "signed_in": browser.seems_signed_in()}
    answer = page_of("error.html", status, context)
    answer.headers.update(headers)
    return answer


# The blueprints served as pages: this adapter's, and the provider's (``serve_as_pages``).
PAGE_BLUEPRINTS: set[str] = set()  # filled by serve_as_pages


def method_not_allowed_page() -> Response | None:
    """A page's address asked with a method it does not take (GET /sign-out): routing fails
    before the pages' blueprint is known, so the API's JSON problem would answer. The person
    gets the pages' error page instead, in their language."""
    exc = request.routing_exception
    if not isinstance(exc, MethodNotAllowed) or not exc.valid_methods:
        return None
    try:
        endpoint, _ = current_app.url_map.bind_to_environ(request.environ).match(
            method=sorted(exc.valid_methods)[0]
        )
    except HTTPException:
        return None
    if str(endpoint).rpartition(".")[0] not in PAGE_BLUEPRINTS:
        return None
    response = page_headers(http_error(exc))
    response.headers["Cache-Control"] = "no-store"
    return response
