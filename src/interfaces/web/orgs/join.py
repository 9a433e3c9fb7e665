"""The page an org invitation's mail links to, /orgs/join?token= (docs/reference/orgs.md,
"Invitations"): signed in with the invited address, a Join button; with another, the page
says so; signed out, sign in or sign up first and come back here. Opening the link spends
nothing (mail scanners open links); only the button does, and its POST counts in the API's
accept limit (the orgs unit's ``Pages.limited_as``)."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Response, request

from application.orgs.joining.invitations import AcceptOrgInvitation, LookUpOrgInvitation
from application.orgs.services import OrgServices
from interfaces.shared.services import services
from interfaces.web.forms import field, form_errors
from interfaces.web.rendering import bp, page, see_other
from interfaces.web.signin.signed_in import signed_in_actor

TEMPLATE = "orgs/join.html"


def _shown(token: str) -> dict[str, object]:
    """What the page shows of the link: the org, and why the signed-in person may not join."""
    actor = signed_in_actor()
    seen = services().of(OrgServices).invitations.look_up(LookUpOrgInvitation(actor, token))
    back = "/orgs/join?" + urlencode({"token": token})
    return {
        "token": token,
        "org": seen.org,
        "invited": seen.email,
        "signed_in": actor is not None,
        "refusal": seen.refusal,
        "here": urlencode({"next": back}),
        "back": back,
    }


@bp.get("/orgs/join")
def join_page() -> Response:
    # A link that can never be used is the error page (400): there is nothing to correct.
    return page(TEMPLATE, 200, **_shown(request.args.get("token", "")))


@bp.post("/orgs/join")
@form_errors(TEMPLATE, shown=lambda: _shown(field("token", required=False)))
def join() -> Response:
    token = field("token", required=False)
    actor = signed_in_actor()
    if actor is None:  # signed out since the page was shown
        return see_other(
            "/sign-in?" + urlencode({"next": "/orgs/join?" + urlencode({"token": token})})
        )
    joined = services().of(OrgServices).invitations.accept(AcceptOrgInvitation(actor, token))
    return page("orgs/joined.html", org=joined.org)
