"""Support access in the pages (docs/support-access.md): the banner every page of such a
session shows, and its end."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response, g

from application.signin.support.impersonation import EndImpersonation
from interfaces.shared.services import services
from interfaces.web import browser
from interfaces.web.rendering import bp, see_other


@dataclass(frozen=True)
class Acting:
    """What the banner says: whom the session acts as, and the admin acting."""

    person: str
    admin_id: str


def acting() -> Acting | None:
    """The banner of this page, when its signed-in session is one of support access (as the
    request's authentication read it: no read of its own)."""
    actor = g.get("browser_actor")
    if actor is None or actor.acting_admin_id is None:
        return None
    return Acting(actor.username, actor.acting_admin_id)


@bp.post("/account/impersonation/end")
def end_impersonation() -> Response:
    """The banner's "End": the session of support access ends, and the browser is signed
    out of it."""
    actor = browser.signed_in()
    if actor is not None and actor.acting_admin_id is not None:
        services().signin.impersonation.end(EndImpersonation(actor))
    response = see_other("/sign-in")
    browser.end(response)
    return response
