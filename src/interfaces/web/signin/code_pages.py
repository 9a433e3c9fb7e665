"""What the pages of a sign-in by a code share, the e-mail code's (signin/email_code.py) and a
unit's own channel's (the phone unit's texted code): the page's ``next`` and ``flow``, the
typed code, and the two ways a verified code goes on, into the session or to the second
factor, each spending the flow's cookie (``end_flow``: the flow's own). The password form
replaces the session as they do (``replace_session``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlencode

from flask import Response, request

from application.signin.services import SigninServices
from application.signin.sessions import Logout
from application.signin.tokens import TokenPair
from domain.errors import MfaRequired
from interfaces.shared.services import services
from interfaces.web import browser
from interfaces.web.forms import MAX_FIELD_CHARS, field, safe_next
from interfaces.web.rendering import see_other
from interfaces.web.signin.signed_in import signed_in_actor

_NOT_DIGITS = re.compile(r"\D")

type EndFlow = Callable[[Response], Response]  # drops the flow's cookie from the response


def next_path() -> str:
    """Where the page goes on to: its ``next``, kept to this site."""
    return safe_next(request.args.get("next"))


def flow_id() -> str:
    """The flow the code page is about: its ``flow``."""
    return request.args.get("flow", "")[:MAX_FIELD_CHARS]


def typed_code() -> str:
    """The form's code; a pasted code keeps only its digits ("123 456", "123-456")."""
    return _NOT_DIGITS.sub("", field("code"))


def replace_session(response: Response, pair: TokenPair) -> None:
    """Sign this browser in with ``pair``, ending the session it held before, now that the
    new one exists."""
    previous = signed_in_actor()
    browser.start(response, pair)
    if previous is not None:
        services().of(SigninServices).sessions.logout(Logout(previous, False))


def signed_in(pair: TokenPair, end_flow: EndFlow) -> Response:
    """Sign this browser in with ``pair`` (ending the session it held before), on to
    ``next``; the flow's cookie is spent with it."""
    response = see_other(next_path())
    replace_session(response, pair)
    return end_flow(response)


def on_to_second_factor(exc: MfaRequired, end_flow: EndFlow) -> Response:
    """An account with a second factor: on to its step, as the password form goes; the flow's
    cookie is spent."""
    response = see_other("/sign-in/mfa?" + urlencode({"next": next_path()}))
    browser.hold_mfa_token(response, exc.mfa_token, exc.locale)
    return end_flow(response)
