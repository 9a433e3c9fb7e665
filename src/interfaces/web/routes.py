"""The pages for people (docs/pages.md): each route parses the form, calls the use case
through ``calls`` and renders; a domain error re-renders the form (``errors.py``)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Response, abort, current_app, g, redirect, render_template, request
from flask.blueprints import BlueprintSetupState
from flask_babel import get_locale
from markupsafe import Markup
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from application.identity.tokens import TokenPair
from application.remembered import Remembered
from domain.errors import DomainError, FieldError, InvalidInput, MfaRequired, checked
from interfaces.web import browser, calls
from interfaces.web.errors import http_error, register_page_errors

bp = Blueprint(
    "pages",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/pages",
)

# The stylesheet, inlined in every page's head: no request for it before the first paint
# (docs/decisions/0196-inlined-stylesheet.md). The CSP allows exactly this text by its hash:
# no other style element, and no style attribute.
STYLE = (Path(__file__).parent / "static" / "pages.css").read_text(encoding="utf-8")
if "</" in STYLE:
    raise RuntimeError("pages.css must not contain '</': it is inlined in a <style> element")
STYLE_HASH = "sha256-" + base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
# Scripts only from files of this site (no inline script).
CSP = (
    f"default-src 'none'; script-src 'self'; style-src '{STYLE_HASH}'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def marked(message: str) -> str:
    """``N_("...")`` in a template: a string for the catalogues (pybabel extracts ``N_`` as it
    does ``_``) that is translated later, by ``_(...)``, only where it is shown."""
    return message


@bp.record_once
def _template_globals(state: BlueprintSetupState) -> None:
    globals_ = state.app.jinja_env.globals
    globals_["page_style"] = Markup(STYLE)  # noqa: S704 - our own file
    globals_["N_"] = marked


MAX_FIELD_CHARS = 1024  # longer than any field a person types; the use cases check the rest


def safe_next(value: str | None, fallback: str = "/account") -> str:
    """``?next=``: a path of this site, never another site (``//host``, ``/\\host``, a
    scheme); anything else leads to ``fallback``."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return fallback
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or any(ch in value for ch in "\\\r\n\t"):
        return fallback
    return value


def field(name: str, *, required: bool = True) -> str:
    value = request.form.get(name, "")
    if len(value) > MAX_FIELD_CHARS:
        raise InvalidInput.field(name, "Too long.", "string_too_long")
    if required and not value.strip():
        raise InvalidInput.field(name, "Required.", "missing")
    return value


def fields(*names: str) -> list[str]:
    """``field`` of each required name, every missing or too long one said at once."""
    problems: list[FieldError] = []
    values = [checked(partial(field, name), problems) for name in names]
    if problems:
        raise InvalidInput.of(problems)
    return [value or "" for value in values]


def form_page(
    template: str,
    *,
    form_id: str | None = None,
    renamed: Mapping[str, str] | None = None,
    placed: Mapping[str, str] | None = None,
    read: Callable[[], Mapping[str, object]] | None = None,
    **context: object,
) -> None:
    """The page a domain error re-renders (``errors.py``). ``form_id``: on a page of several
    forms, the one sent; ``renamed``: the page's input for an API field named otherwise
    (``password`` → ``new_password``); ``placed``: the input an error code without a field
    is about (``invalid_current_password`` → ``current_password``); ``read``: what else the
    page shows, read only when it is rendered (a form that succeeds reads none of it)."""
    g.form_template = template
    g.form_id = form_id
    g.form_renamed = renamed or {}
    g.form_placed = placed or {}
    g.form_context = context
    g.form_read = read


def page(template: str, status: int = 200, **context: object) -> Response:
    return Response(render_template(template, **context), status=status)


# Where a kept page's CSRF token goes: unguessable, so no typed text can ask for it.
CSRF_SLOT = "csrf-slot-" + secrets.token_urlsafe(16)
KEPT_PAGES = "firegate.kept_pages"
KEPT_PAGES_MAX = 256  # a ``next`` or a hint is typed by anyone: the oldest make way


class KeptPages:
    """Signed-out form pages as rendered, per template, language and context."""

    def __init__(self) -> None:
        self.pages: Remembered[str, str] = Remembered(KEPT_PAGES_MAX)


def kept_page(template: str, **context: object) -> Response:
    """A form page that is the same for every browser but for its CSRF token (/sign-in,
    /sign-up, /forgot-password): rendered once per language and context, then served with
    this browser's token put in (docs/benchmarks.md, "The pages for people"). Nothing it
    shows depends on who asks: the context is the whole key."""
    kept: KeptPages = current_app.extensions[KEPT_PAGES]
    language = [str(get_locale()), g.get(browser.ACCOUNT_LANGUAGE, False)]  # the switch, too
    key = json.dumps([template, language, request.script_root, context], sort_keys=True)
    html = kept.pages.get(key)
    if html is None:
        g.csrf_token = CSRF_SLOT  # what csrf_token() gives while it renders
        try:
            html = render_template(template, **context)
        finally:
            g.pop("csrf_token", None)
        kept.pages.put(key, html)
    return Response(html.replace(CSRF_SLOT, browser.csrf_token()))


def see_other(location: str) -> Response:
    return redirect(location, 303)  # type: ignore[return-value]


@bp.get("/sign-in")
def sign_in_page() -> Response:
    # ``again``: an app asked for a new sign-in (``prompt=login``, ``max_age``); the session
    # holds until that one succeeds (docs/decisions/0227-sign-in-again-keeps-the-session.md)
    again = request.args.get("again") == "1"
    if not again and browser.signed_in() is not None:
        return see_other(safe_next(request.args.get("next")))
    # ``username``: an OpenID Connect client's login_hint, typed in for the person
    hint = request.args.get("username", "")[:MAX_FIELD_CHARS]
    return kept_page(
        "sign_in.html",
        next=safe_next(request.args.get("next")),
        passkeys_here=browser.passkeys_here(),
        form={"username": hint} if hint else {},
        notice="reset"
        if request.args.get("reset")
        else "deleted"
        if request.args.get("deleted")
        else "again"
        if again
        else "",
    )


@bp.post("/sign-in")
def sign_in() -> Response:
    next_path = safe_next(request.args.get("next"))
    form_page("sign_in.html", next=next_path, passkeys_here=browser.passkeys_here())
    try:
        username, password = fields("username", "password")
        pair = calls.sign_in(username, password, browser.device_token())
    except MfaRequired as exc:
        response = see_other("/sign-in/mfa?" + urlencode({"next": next_path}))
        browser.hold_mfa_token(response, exc.mfa_token, exc.locale)
        return response
    response = see_other(next_path)
    _replace_session(response, pair)
    return response


def _replace_session(response: Response, pair: TokenPair) -> None:
    """Sign this browser in with ``pair``, ending the session it held before (signed in
    again at an app's request), now that the new one exists."""
    previous = browser.signed_in()
    browser.start(response, pair)
    if previous is not None:
        calls.sign_out(previous)


@bp.get("/sign-in/mfa")
def mfa_page() -> Response:
    if not browser.mfa_token():
        return see_other("/sign-in")
    return page("sign_in_mfa.html", next=safe_next(request.args.get("next")), form={})


@bp.post("/sign-in/mfa")
def sign_in_mfa() -> Response:
    next_path = safe_next(request.args.get("next"))
    form_page("sign_in_mfa.html", next=next_path)
    code = field("code", required=False).strip() or None
    recovery_code = field("recovery_code", required=False).strip() or None
    if (code is None) == (recovery_code is None):
        raise InvalidInput.field(
            "code", "Enter a code or a recovery code.", "code_or_recovery_code"
        )
    pair = calls.finish_sign_in(browser.mfa_token(), code, recovery_code)
    response = see_other(next_path)
    _replace_session(response, pair)
    return response


@bp.get("/sign-up")
def sign_up_page() -> Response:
    return kept_page("sign_up.html", form={})


@bp.post("/sign-up")
def sign_up() -> Response:
    form_page("sign_up.html")
    username, email, password = fields("username", "email", "password")
    user = calls.sign_up(username, email, password, browser.chosen_language())
    try:  # signed in at once, where the service lets an unverified address sign in
        pair = calls.sign_in(user.username.value, password, browser.device_token())
    except DomainError:
        return page("signed_up.html", email=user.email.value if user.email else "", status=201)
    response = see_other("/account")
    browser.start(response, pair)
    return response


@bp.get("/verify-email")
def verify_email_page() -> Response:
    # A GET never spends the token: mail scanners open links.
    return page("verify_email.html", token=request.args.get("token", ""), form={})


@bp.post("/verify-email")
def verify_email() -> Response:
    token = request.form.get("token", "")
    form_page("verify_email.html", token=token)
    user = calls.verify_email(field("token"))
    return page("verified.html", email=user.email.value if user.email else "")


@bp.get("/forgot-password")
def forgot_password_page() -> Response:
    return kept_page("forgot_password.html", form={})


@bp.post("/forgot-password")
def forgot_password() -> Response:
    form_page("forgot_password.html")
    calls.forgot_password(field("email"))
    return page("forgot_password_sent.html")


@bp.get("/reset-password")
def reset_password_page() -> Response:
    token, invited = request.args.get("token", ""), request.args.get("invited") == "1"
    return page("reset_password.html", token=token, invited=invited, form={})


@bp.post("/reset-password")
def reset_password() -> Response:
    token, invited = request.form.get("token", ""), request.form.get("invited") == "1"
    form_page(
        "reset_password.html", renamed={"password": "new_password"}, token=token, invited=invited
    )
    token, new_password = fields("token", "new_password")
    calls.reset_password(token, new_password)
    return see_other("/sign-in?reset=1")


@bp.post("/sign-out")
def sign_out() -> Response:
    actor = browser.signed_in()
    if actor is not None:
        calls.sign_out(actor)
    # ``?next=``: the consent page's "not you?" signs in someone else, then comes back.
    back = request.args.get("next")
    response = see_other("/sign-in?" + urlencode({"next": safe_next(back)}) if back else "/sign-in")
    browser.end(response)
    return response


# POSTs that change nothing and so carry no CSRF token: RP-initiated logout, posted by an
# app's page, is answered with a redirect to itself as a GET, which asks or checks the hint.
CSRF_FREE = frozenset({"pages.oauth_logout"})


@bp.before_request
def _csrf() -> None:
    if request.method == "POST" and request.endpoint not in CSRF_FREE and not browser.csrf_ok():
        abort(403)


# The pages an app's popup passes through to sign a person in or out (the authorization
# endpoint, the sign-in and its second step, the consent, RP-initiated logout): the app's
# callback page hands the answer to ``window.opener``, which a Cross-Origin-Opener-Policy of
# same-origin on any of them would cut. Every other page keeps same-origin
# (docs/decisions/0198-opener-policy-on-the-sign-in-path.md).
OPENER_KEPT = frozenset(
    {
        "pages.sign_in_page",
        "pages.sign_in",
        "pages.mfa_page",
        "pages.sign_in_mfa",
        "pages.oauth_authorize",
        "pages.oauth_consent",
        "pages.oauth_logout",
    }
)


def page_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    return response


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
    if not str(endpoint).startswith(bp.name + "."):
        return None
    response = page_headers(http_error(exc))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.after_request
def _cookies_and_headers(response: Response) -> Response:
    headers = page_headers(response).headers
    if request.endpoint in OPENER_KEPT:
        headers["Cross-Origin-Opener-Policy"] = "unsafe-none"
    if request.endpoint == "pages.static":
        return response  # the stylesheet and script: no cookie, and kept by the browser
    # Pages show personal data or carry a form's token: never stored.
    headers["Cache-Control"] = "no-store"
    return browser.keep_session(response)


register_page_errors(bp)
