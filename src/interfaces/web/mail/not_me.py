"""The "this wasn't me" page a notification mail links to (docs/pages.md, /not-me). Opening
the link spends nothing (mail scanners open links); only the button does. The POST counts
in the API's password reset limit (the mail unit's ``Pages.limited_as``). The same button
beside a sign-in of the account area's Activity (/account/not-me)."""

from __future__ import annotations

from flask import Response, request

from application.mail.not_me import NotMe
from application.mail.services import MailServices
from application.signin.authentication import Actor
from interfaces.shared.limits import client_ip
from interfaces.shared.services import services
from interfaces.web import browser
from interfaces.web.accounts.account import signed_in
from interfaces.web.forms import field
from interfaces.web.rendering import bp, page


@bp.get("/not-me")
def not_me_page() -> Response:
    return page("mail/not_me.html", token=request.args.get("token", ""))


@bp.post("/not-me")
def not_me() -> Response:
    # No form page: a bad token is the error page (400), there is nothing to correct.
    services().of(MailServices).not_me.not_me(
        NotMe(token=field("token", required=False), client_ip=client_ip())
    )
    return page("mail/not_me_done.html")


@bp.post("/account/not-me")
@signed_in
def account_not_me(actor: Actor) -> Response:
    """The "This wasn't me" button beside a sign-in: what the notice's link does, for the signed-in
    person; this browser is signed out with the rest."""
    mailed = services().of(MailServices).not_me.not_me(NotMe(actor=actor, client_ip=client_ip()))
    response = page("mail/not_me_done.html", mailed=mailed)
    browser.end(response)
    return response
