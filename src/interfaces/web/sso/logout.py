"""SAML single logout's address, ``/sso/{connection}/saml/slo`` (HTTP-Redirect and HTTP-POST
bindings; docs/reference/sso.md, "Single logout"), and signing out at the IdP after signing
out of the pages.

- The IdP's ``LogoutRequest`` (``SAMLRequest``): checked, the person signed out, and the
  browser taken back to the IdP with the signed ``LogoutResponse`` in the same binding.
- The IdP's ``LogoutResponse`` (``SAMLResponse``) to the request firegate sent when the
  person signed out of the pages: checked against this browser's flight, then on.

The pages' CSP holds the redirects a form's answer follows to ``form-action``: so the way to
the IdP after the sign-out form is a page that goes on by itself (``Refresh``) with a link,
and a message by HTTP-POST is a form whose ``form-action`` names the IdP's address.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Response, after_this_request, request

from application.sso.ports import LogoutMessage, SamlOutgoing
from application.sso.services import SsoServices
from application.sso.signin.logout import SignedOutAtIdp
from domain.errors import DomainError
from domain.sso.logout import POST, REDIRECT, logout_refused
from interfaces.shared.services import services
from interfaces.web import browser
from interfaces.web.forms import safe_next
from interfaces.web.rendering import bp, csp, page, see_other

log = logging.getLogger("firegate.sso")
MESSAGE_FIELD_MAX = 128 * 1024  # a signed logout message is a few KB, base64
QUERY_MAX = 16 * 1024


def _message() -> tuple[str, LogoutMessage]:
    """Which message came (``SAMLRequest`` or ``SAMLResponse``) and how, as it came."""
    if request.method == "POST":
        for kind in ("SAMLRequest", "SAMLResponse"):
            posted = request.form.get(kind)
            if posted is not None:
                relay = request.form.get("RelayState", "")[:1024]
                return kind, LogoutMessage(
                    POST, posted=posted[:MESSAGE_FIELD_MAX], relay_state=relay
                )
    else:
        raw = request.query_string[:QUERY_MAX].decode("ascii", errors="replace")
        for kind in ("SAMLRequest", "SAMLResponse"):
            if kind in request.args:
                relay = request.args.get("RelayState", "")[:1024]
                return kind, LogoutMessage(REDIRECT, query=raw, relay_state=relay)
    raise logout_refused("saml_logout_invalid", "No SAMLRequest or SAMLResponse came.")


def _carried(message: SamlOutgoing, *, after_form: bool) -> Response:
    """The browser on to the IdP with ``message``: redirected (HTTP-Redirect), unless it
    came from a form of this site (a page that goes on by itself then); or a form it posts
    there (HTTP-POST), which the page's ``form-action`` lets through."""
    if message.fields:
        response = page("sso/logout_post.html", 200, action=message.url, fields=message.fields)
        parts = urlsplit(message.url)
        response.headers["Content-Security-Policy"] = csp().replace(
            "form-action 'self'", f"form-action 'self' {parts.scheme}://{parts.netloc}"
        )
        return response
    if after_form:
        response = page("sso/logout_continue.html", 200, target=message.url)
        response.headers["Refresh"] = f"0; url={message.url}"
        return response
    return see_other(message.url)


@bp.route("/sso/<connection_id>/saml/slo", methods=["GET", "POST"])
def saml_slo(connection_id: str) -> Response:
    """The IdP's logout request (the person signed out, and back to the IdP with the
    answer), or its answer to firegate's (on to where the sign-out was going)."""
    kind, message = _message()
    sso = services().of(SsoServices).saml_logout
    if kind == "SAMLRequest":
        answer = sso.from_idp(connection_id, message)
        if answer is None:  # the IdP lists no SLO endpoint to answer at
            response = page("sso/logged_out.html", 200)
        else:
            response = _carried(answer, after_form=False)
        return response
    after_this_request(browser.drop_sso_flight)  # one answer per flight, refused or not
    onward = sso.answered(connection_id, message, browser.sso_flight())
    return see_other(safe_next(onward) if onward else "/sign-in")


def signed_out_at_idp(session_id: str, next_page: str) -> Response | None:
    """After the pages' sign-out of ``session_id``, a federated session's (the pages ask
    nothing of the others): on to the IdP's single logout when the session began through a
    SAML connection whose IdP lists one (None otherwise). Whether any org has single sign-on
    is not asked first: what this process last read of it may be stale."""
    sso = services().of(SsoServices)
    try:
        onward: SignedOutAtIdp | None = sso.saml_logout.after_sign_out(session_id, next_page)
    except DomainError as failed:  # signed out here all the same
        log.warning("the IdP's single logout not started (%s)", failed.code)
        return None
    if onward is None:
        return None
    response = _carried(onward.message, after_form=True)
    browser.hold_sso_flight(response, onward.flight)
    return response
