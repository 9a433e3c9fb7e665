"""The pages of sign-in by e-mail code (docs/pages.md; docs/reference/email-code.md): the
address, the code, and the mail's link. The browser that asks holds the flow's secret in an
HttpOnly cookie: only there does the link offer to sign in; anywhere else it shows the code
to type where the person asked, and signs nothing in."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Response, request

from application.signin.codes.email import (
    OpenEmailLink,
    RequestEmailCode,
    SignInByLink,
    VerifyEmailCode,
)
from application.signin.services import SigninServices
from domain.errors import MfaRequired
from interfaces.shared.languages import accepted_locale
from interfaces.shared.limits import client_ip
from interfaces.shared.services import services
from interfaces.web import browser
from interfaces.web.forms import MAX_FIELD_CHARS, field, form_errors
from interfaces.web.rendering import bp, kept_page, page, see_other
from interfaces.web.signin.code_pages import (
    flow_id,
    next_path,
    on_to_second_factor,
    signed_in,
    typed_code,
)


@bp.get("/sign-in/email-code")
def email_code_page() -> Response:
    return kept_page("signin/email_code.html", next=next_path(), form={})


@bp.post("/sign-in/email-code")
@form_errors("signin/email_code.html", shown=lambda: {"next": next_path()})
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
    query = urlencode({"flow": started.flow_id, "next": next_path()})
    response = see_other(f"/sign-in/email-code/verify?{query}")
    browser.hold_email_flow(response, secret)
    return response


def _code_page() -> dict[str, object]:
    return {"next": next_path(), "flow": flow_id()}


@bp.get("/sign-in/email-code/verify")
def email_code_verify_page() -> Response:
    return page("signin/email_code_verify.html", next=next_path(), flow=flow_id(), form={})


@bp.post("/sign-in/email-code/verify")
@form_errors("signin/email_code_verify.html", shown=_code_page)
def email_code_verify() -> Response:
    code = typed_code()
    try:
        pair = (
            services()
            .of(SigninServices)
            .email_codes.verify(
                VerifyEmailCode(
                    flow_id=flow_id(),
                    code=code,
                    user_agent=browser.user_agent(),
                    client_ip=client_ip(),
                    browser_secret=browser.email_flow_secret(),
                )
            )
        )
    except MfaRequired as exc:
        return on_to_second_factor(exc, browser.drop_email_flow)
    return signed_in(pair, browser.drop_email_flow)


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
        next=next_path(),
    )


@bp.post("/sign-in/email")
@form_errors(
    "signin/email_link.html",
    shown=lambda: {"same_browser": False, "code": "", "token": "", "next": next_path()},
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
        return on_to_second_factor(exc, browser.drop_email_flow)
    return signed_in(pair, browser.drop_email_flow)
