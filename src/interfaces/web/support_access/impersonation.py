"""Support access in the pages (docs/support-access.md): an admin's "Act as" on an account's
admin page, the banner every page of such a session shows above its layout, with its end,
and the forms such a session may not send, shown disabled with why: by the routes its guard
refuses (application/support_access/guard.py), which every running unit names of its own."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape, unescape
from itertools import count

from flask import Response, current_app, g, request
from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString
from werkzeug.exceptions import HTTPException

from application.signin.authentication import Actor, Route
from application.signin.services import SigninServices
from application.signin.tokens import TokenPair
from application.support_access.guard import OwnSessionOnly
from application.support_access.impersonation import EndImpersonation, Impersonate, Impersonation
from domain.accounts.outlasting import Outlasting
from domain.errors import InvalidInput
from domain.support_access.impersonation import Grant
from interfaces.shared.services import services
from interfaces.web import browser
from interfaces.web.accounts.admin import needs_sign_in, user_page_shown
from interfaces.web.forms import field, form_errors
from interfaces.web.rendering import bp, see_other
from interfaces.web.signin.signed_in import signed_in_actor

# Why a session of support access may not send a form, by what the form would change.
WHY: dict[Outlasting, LazyString] = {
    Outlasting.PASSWORD: lazy_gettext("Support access cannot change the password."),
    Outlasting.FACTORS: lazy_gettext(
        "Support access cannot change two-step sign-in, recovery codes or passkeys."
    ),
    Outlasting.ADDRESSES: lazy_gettext(
        "Support access cannot change the e-mail address or the phone number."
    ),
    Outlasting.USERNAME: lazy_gettext("Support access cannot change the username."),
    Outlasting.IDENTITIES: lazy_gettext(
        "Support access cannot connect or disconnect another account."
    ),
    Outlasting.DELETION: lazy_gettext(
        "Support access cannot delete the account or an organization."
    ),
    Outlasting.PERSONAL_TOKENS: lazy_gettext("Support access cannot make a personal access token."),
    Outlasting.SCIM_TOKENS: lazy_gettext("Support access cannot make a SCIM token."),
    Outlasting.CLIENTS: lazy_gettext("Support access cannot register or change an app."),
    Outlasting.GRANTS: lazy_gettext("Support access cannot allow an app or a device."),
    Outlasting.INVITATIONS: lazy_gettext("Support access cannot invite anyone."),
    Outlasting.ROLES: lazy_gettext(
        "Support access cannot change who holds which role, or what a role allows."
    ),
    Outlasting.ORG_SETTINGS: lazy_gettext(
        "Support access cannot change the organization's settings."
    ),
    Outlasting.SUPPORT_ACCESS: lazy_gettext("Support access cannot start another."),
}


def refused_routes() -> Mapping[Route, Outlasting]:
    """The routes this service's guard of support access refuses, with what each would
    change: the guard's own, made of the running units' ``OUTLASTING_ROUTES`` when the
    service was built."""
    guards = services().of(SigninServices).authentication.guards
    return next((guard.refused for guard in guards if isinstance(guard, OwnSessionOnly)), {})


def outlasting_at(path: str, method: str = "POST") -> Outlasting | None:
    """What a form that sends ``method`` to ``path`` (a path of this site) would change
    that outlasts a session, by the route it reaches."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    try:
        rule, _ = adapter.match(path.partition("?")[0], method=method, return_rule=True)
    except HTTPException:  # no such route, or a redirect: nothing a form would change
        return None
    return refused_routes().get((method, rule.rule))


@dataclass(frozen=True)
class Acting:
    """What the banner says: whom the session acts as, and the admin acting (by username)."""

    person: str
    admin: str


def _acting_actor() -> Actor | None:
    """The request's signed-in session when it is one of support access (as the request's
    authentication read it: no read of its own)."""
    actor: Actor | None = g.get("browser_actor")
    return actor if actor is not None and actor.acting_admin_id is not None else None


def acting() -> Acting | None:
    """The banner of this page, when its signed-in session is one of support access."""
    actor = _acting_actor()
    if actor is None or actor.session is None:
        return None
    return Acting(actor.username, actor.session.acting_admin_name or actor.acting_admin_id or "")


def refused_as(kind: str) -> str | None:
    """Why this page's session may not change ``kind`` (an ``Outlasting``'s value: a field
    of a form the rest of which it may send), or None."""
    return str(WHY[Outlasting(kind)]) if _acting_actor() is not None else None


def page_context() -> dict[str, object]:
    """What each page's templates read of support access: its banner, and why a field of a
    form may not be changed by this session."""
    return {"acting": acting(), "refused_as": refused_as}


# A form of the pages: its start tag (each says method="post" then its action) to its end.
_FORM = re.compile(r'(<form method="post" action="([^"]*)"[^>]*>)(.*?)(</form>)', re.S)


def refused_forms(response: Response) -> Response:
    """After each page of a session of support access: the forms it may not send, shown
    disabled, each with why (``serve_as_pages`` puts it after each page)."""
    if (
        _acting_actor() is None
        or response.mimetype != "text/html"
        or response.is_streamed
        or response.direct_passthrough
    ):
        return response
    numbers = count(1)

    def disabled(form: re.Match[str]) -> str:
        start, action, inside, end = form.groups()
        kind = outlasting_at(unescape(action) or request.path)
        if kind is None:
            return form.group(0)
        why = f"refused-{next(numbers)}"
        return (
            f'{start}<p class="refused" id="{why}">{escape(str(WHY[kind]))}</p>'
            f'<fieldset class="refused" disabled aria-describedby="{why}">{inside}</fieldset>{end}'
        )

    response.set_data(_FORM.sub(disabled, response.get_data(as_text=True)))
    return response


# -- starting it (an admin's; an org's admin's is the org page's: interfaces/web/orgs/)


def granted() -> Grant:
    """The reason and minutes an "Act as" form asks for (422 beside the field else)."""
    minutes = field("minutes").strip()
    if not minutes.isdigit():
        raise InvalidInput.field("minutes", "A whole number of minutes.", "invalid_minutes")
    return Grant(field("reason"), int(minutes))


def now_acting(pair: TokenPair) -> Response:
    """This browser holds the new session of support access from now on: the person's
    account, with the banner."""
    response = see_other("/account")
    browser.start(response, pair)
    return response


@bp.post("/admin/users/<user_id>/act-as")
@needs_sign_in
@form_errors("accounts/admin_user.html", form_id="act-as", shown=user_page_shown)
def act_as(actor: Actor, user_id: str) -> Response:
    """An admin's "Act as" (POST /admin/users/{id}/impersonate's): this browser then holds
    the session of the person."""
    cmd = Impersonate(actor, user_id, granted(), browser.user_agent())
    return now_acting(services().of(Impersonation).by_admin(cmd))


@bp.post("/account/impersonation/end")
def end_impersonation() -> Response:
    """The banner's "End": the session of support access ends, and the browser is signed
    out of it."""
    actor = signed_in_actor()
    if actor is not None and actor.acting_admin_id is not None:
        services().of(Impersonation).end(EndImpersonation(actor))
    response = see_other("/sign-in")
    browser.end(response)
    return response
