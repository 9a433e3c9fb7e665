"""The pages of sign-in by e-mail code (docs/pages.md; docs/reference/email-code.md): the
address, the code, and the mail's link. The browser that asks holds the flow's secret in an
HttpOnly cookie: only there does the link offer to sign in; anywhere else it shows the code
to type where the person asked, and signs nothing in."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from flask import Response, request

from application.signin.codes.email import (
    OpenEmailLink,
    RequestEmailCode,
    SignInByLink,
    VerifyEmailCode,
)
from application.signin.services import SigninServices
from application.signin.sessions import Logout
from application.signin.tokens import TokenPair
from domain.errors import MfaRequired
from interfaces.shared.languages import accepted_locale
from interfaces.shared.limits import client_ip
from interfaces.shared.services import services
from interfaces.web import browser
from interfaces.web.forms import MAX_FIELD_CHARS, field, form_errors, safe_next
from interfaces.web.rendering import bp, kept_page, page, see_other

_NOT_DIGITS = re.compile(r"\D")


def _next() -> str:
    return safe_next(request.args.get("next"))


def _flow() -> str:
    return request.args.get("flow", "")[:MAX_FIELD_CHARS]


def _signed_in(pair: TokenPair) -> Response:
    """Sign this browser in with ``pair`` (ending the session it held before), on to
    ``next``; the flow's cookie is spent with it."""
    response = see_other(_next())
    previous = browser.signed_in()
    browser.start(response, pair)
    if previous is not None:
        services().of(SigninServices).sessions.logout(Logout(previous, False))
    return browser.drop_email_flow(response)


def _onward(exc: MfaRequired) -> Response:
    """An account with a second factor: on to its step, as the password form goes."""
    response = see_other("/sign-in/mfa?" + urlencode({"next": _next()}))
    browser.hold_mfa_token(response, exc.mfa_token, exc.locale)
    return browser.drop_email_flow(response)


@bp.get("/sign-in/email-code")
def email_code_page() -> Response:
    return kept_page("signin/email_code.html", next=_next(), form={})


@bp.post("/sign-in/email-code")
@form_errors("signin/email_code.html", shown=lambda: {"next": _next()})
def email_code() -> Response:
    # The browser's own secret while it holds one: its new request voids its flow before,
    # and none another browser asked for
    # (docs/decisions/0651-a-request-voids-only-its-own-askers-code.md)
    secret = browser.email_flow_secret() or browser.new_secret()
    started = (
        services()
        .of(SigninServices)
        .email_codes.request(
            RequestEmailCode(
                email=field("email").strip(),
                client_ip=client_ip(),
                locale=browser.chosen_language() or accepted_locale(),
                browser_secret=secret,
                challenge_token=field("challenge_token", required=False),
            )
        )
    )
    query = urlencode({"flow": started.flow_id, "next": _next()})
    response = see_other(f"/sign-in/email-code/verify?{query}")
    browser.hold_email_flow(response, secret)
    return response


def _code_page() -> dict[str, object]:
    return {"next": _next(), "flow": _flow()}


@bp.get("/sign-in/email-code/verify")
def email_code_verify_page() -> Response:
    return page("signin/email_code_verify.html", next=_next(), flow=_flow(), form={})


@bp.post("/sign-in/email-code/verify")
@form_errors("signin/email_code_verify.html", shown=_code_page)
def email_code_verify() -> Response:
    # A pasted code keeps only its digits ("123 456", "123-456").
    code = _NOT_DIGITS.sub("", field("code"))
    try:
        pair = (
            services()
            .of(SigninServices)
            .email_codes.verify(
                VerifyEmailCode(
                    flow_id=_flow(),
                    code=code,
                    user_agent=browser.user_agent(),
                    client_ip=client_ip(),
                    browser_secret=browser.email_flow_secret(),
                )
            )
        )
    except MfaRequired as exc:
        return _onward(exc)
    return _signed_in(pair)


def _token() -> str:
    return request.args.get("token", "")[:MAX_FIELD_CHARS]


@bp.get("/sign-in/email")
def email_link_page() -> Response:
    # A GET spends nothing: mail scanners open links.
    token = _token()
    shown = (
        services()
        .of(SigninServices)
        .email_codes.open_link(OpenEmailLink(token, browser.email_flow_secret()))
    )
    return page(
        "signin/email_link.html",
        same_browser=shown.same_browser,
        code=shown.code,
        token=token,
        next=_next(),
    )


@bp.post("/sign-in/email")
@form_errors(
    "signin/email_link.html",
    shown=lambda: {"same_browser": False, "code": "", "token": "", "next": _next()},
)
def email_link() -> Response:
    try:
        pair = (
            services()
            .of(SigninServices)
            .email_codes.sign_in_by_link(
                SignInByLink(
                    _token(),
                    browser.email_flow_secret(),
                    user_agent=browser.user_agent(),
                    client_ip=client_ip(),
                )
            )
        )
    except MfaRequired as exc:
        return _onward(exc)
    return _signed_in(pair)
