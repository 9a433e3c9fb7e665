"""OpenID single sign-on's addresses (docs/reference/sso.md, "Signing in"): the start of a
sign-in through an org's OpenID connection, which sends the browser to the IdP holding a
sealed flight (the upstream providers' cookie), and the callback the IdP returns to, where
the person is signed in (or asked for their second factor) and sent on; or, for a test
sign-in from the setup page, shown what a sign-in would do (docs/reference/sso.md,
"Test sign-in")."""

from __future__ import annotations

from flask import Response, after_this_request, request

from application.sso.arrival import SignInPreview, StartSso
from application.sso.services import SsoServices
from application.sso.signin.oidc import FinishOidc
from interfaces.shared.limits import client_ip
from interfaces.shared.services import services
from interfaces.web import browser
from interfaces.web.federation.upstream import ANSWER_FIELDS, arrived, leave
from interfaces.web.forms import MAX_FIELD_CHARS, safe_next
from interfaces.web.rendering import bp, page


@bp.get("/sso/<connection_id>/oidc")
def oidc_start(connection_id: str) -> Response:
    """To the connection's IdP (code, PKCE, state, nonce); ``next``: where to go once signed
    in."""
    start = StartSso(connection_id, safe_next(request.args.get("next")))
    return leave(services().of(SsoServices).oidc_signin.start(start))


@bp.get("/sso/<connection_id>/oidc/callback")
def oidc_callback(connection_id: str) -> Response:
    """The IdP's answer: signed in and on to ``next``, or to the second step."""
    after_this_request(browser.drop_flight)  # one return per flight, refused or not
    answer = {name: request.args.get(name, "")[: MAX_FIELD_CHARS * 16] for name in ANSWER_FIELDS}
    arrival = (
        services()
        .of(SsoServices)
        .oidc_signin.finish(
            FinishOidc(
                connection_id,
                answer,
                browser.flight(),
                user_agent=browser.user_agent(),
                client_ip=client_ip(),
                device_token=browser.device_token(),
                signed_in_as=browser.signed_in_id(),
            )
        )
    )
    if isinstance(arrival, SignInPreview):  # a test: shown, nothing made
        return page("sso/setup_test.html", 200, trial=arrival, back=arrival.next, oidc=True)
    return arrived(arrival)
