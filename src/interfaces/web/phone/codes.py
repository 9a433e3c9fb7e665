"""The pages of sign-in by a texted code (docs/pages.md; docs/sign-in-with-a-phone-number.md):
the number, then the code. Each calls the use case ``POST /auth/phone-code[/verify]`` calls;
a second factor and an org's single sign-on go on as the e-mail code's pages do. The flow is
the asking browser's: its HttpOnly cookie holds the flow's secret. Off (no
PHONE_SIGN_IN or no send_sms hook), both are the error page of 404 ``phone_disabled``."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Response
from flask_babel import gettext, lazy_gettext

from application.phone.codes import PHONE_DISABLED, PhoneCodes, RequestPhoneCode
from application.signin.codes.flow import VerifyCode
from domain.errors import MfaRequired, NotFound
from interfaces.shared.languages import accepted_locale
from interfaces.shared.limits import client_ip
from interfaces.shared.services import services
from interfaces.web import browser
from interfaces.web.forms import field, form_errors
from interfaces.web.rendering import bp, kept_page, page, see_other
from interfaces.web.signin.code_pages import (
    flow_id,
    next_path,
    on_to_second_factor,
    signed_in,
    typed_code,
)

FLOW_COOKIE = "phone-code"  # the flow's secret in this browser (browser.hold_code_flow)


def _end_flow(response: Response) -> Response:
    """The flow's cookie spent."""
    return browser.drop_code_flow(response, FLOW_COOKIE)


def _offered() -> None:
    """The pages exist only while codes can be texted: else the error page of 404."""
    if not services().of(PhoneCodes).available():
        raise NotFound("Sign-in by phone is off here.", code=PHONE_DISABLED)


def _number_page() -> dict[str, object]:
    return {"next": next_path()}


def _code_page() -> dict[str, object]:
    return {"next": next_path(), "flow": flow_id()}


@bp.get("/sign-in/phone-code")
def phone_code_page() -> Response:
    _offered()
    return kept_page("phone/phone_code.html", next=next_path(), form={})


@bp.post("/sign-in/phone-code")
@form_errors("phone/phone_code.html", shown=_number_page)
def phone_code() -> Response:
    # The browser's own secret while it holds one: its new request voids its flow before,
    # and none another browser asked for
    # (docs/decisions/0651-a-request-voids-only-its-own-askers-code.md)
    secret = browser.code_flow_secret(FLOW_COOKIE) or browser.new_secret()
    started = (
        services()
        .of(PhoneCodes)
        .request(
            RequestPhoneCode(
                phone_number=field("phone_number").strip(),
                client_ip=client_ip(),
                locale=browser.chosen_language() or accepted_locale(),
                challenge_token=field("challenge_token", required=False),
                browser_secret=secret,
            )
        )
    )
    query = urlencode({"flow": started.flow_id, "next": next_path()})
    response = see_other(f"/sign-in/phone-code/verify?{query}")
    browser.hold_code_flow(response, FLOW_COOKIE, secret)
    return response


@bp.get("/sign-in/phone-code/verify")
def phone_code_verify_page() -> Response:
    _offered()
    return page("phone/phone_code_verify.html", next=next_path(), flow=flow_id(), form={})


@bp.post("/sign-in/phone-code/verify")
@form_errors("phone/phone_code_verify.html", shown=_code_page)
def phone_code_verify() -> Response:
    code = typed_code()
    try:
        pair = (
            services()
            .of(PhoneCodes)
            .verify(
                VerifyCode(
                    flow_id=flow_id(),
                    code=code,
                    user_agent=browser.user_agent(),
                    client_ip=client_ip(),
                    browser_secret=browser.code_flow_secret(FLOW_COOKIE),
                )
            )
        )
    except MfaRequired as exc:
        return on_to_second_factor(exc, _end_flow)
    return signed_in(pair, _end_flow)


# When firegate calls the send_sms hooks, as /admin/hooks/auth says (``Pages.hook_purposes``)
SEND_SMS_PURPOSE = lazy_gettext("to send a text message, such as a sign-in code")


def sign_in_link() -> tuple[str, str] | None:
    """The sign-in page's "Text me a code": while PHONE_SIGN_IN and a send_sms hook are set
    (a hook is set and removed while the service runs). The pages' parts are folded once per
    process: an app of that process that runs without the unit has no ``PhoneCodes``."""
    try:
        codes = services().of(PhoneCodes)
    except LookupError:
        return None
    return ("/sign-in/phone-code", gettext("Text me a code")) if codes.available() else None
