"""/admin/hooks/auth: admins add auth hooks (a list per kind, each with its order and its
clients' and orgs' scope), see each one's last calls,
test one against its receiver and remove one (docs/pages.md, "Auth hooks"). The secret is on
the page that answers the form, and on no other.

Not /admin/auth-hooks: that path is the JSON API's (bearer tokens), and a path answers one
way; a browser's navigation there is sent here, as one to /orgs/{slug} is to the org's page
(docs/decisions/0377-the-org-page-s-address.md)."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Response, request
from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString

from application.accounts.accounts import Caller
from application.hooks.admin import AuthHookRef, AuthHookView, ListAuthHooks, SetAuthHook
from application.hooks.services import HookServices
from domain.errors import InvalidInput
from domain.hooks.auth_hooks import DEFAULT_TIMEOUT_MS, OnFailure
from interfaces.shared.services import services
from interfaces.web.accounts.admin import needs_sign_in
from interfaces.web.errors import prefers_html
from interfaces.web.forms import field, form_errors
from interfaces.web.rendering import bp, page, see_other

PATH = "/admin/hooks/auth"
API_PATH = "/admin/auth-hooks"
TEMPLATE = "hooks/auth_hooks.html"
# A hook's latest calls the page shows open; the others it keeps (up to ``CALLS_KEPT``) are
# folded under them, so that the page stays a few screens tall (docs/pages.md, "Auth hooks")
CALLS_SHOWN = 5
DONE: dict[str, LazyString] = {
    "removed": lazy_gettext("The hook is removed; firegate no longer calls it."),
}
# When firegate calls each of the core's kinds, as the page's intro says it beside the kind's
# name; the intro lists the kinds the units lend (``HookKinds``), so a kind a unit adds is
# named there, with the purpose its pages give (``Pages.hook_purposes``, install_purposes),
# or none (docs/hooks.md).
PURPOSES: dict[str, LazyString] = {
    "before_sign_up": lazy_gettext("before an account is made, whatever the way"),
    "before_sign_in": lazy_gettext("before a session is made, whatever the way in"),
    "before_token": lazy_gettext("before a token is issued, to add claims to it"),
    "credentials_exchange": lazy_gettext(
        "before the OpenID provider issues a token with no person in it, to add claims to it"
    ),
    "password_verification": lazy_gettext(
        "to check the password typed for an account imported without a hash"
    ),
    "send_mail": lazy_gettext("to send a mail instead of SMTP"),
}


def install_purposes(purposes: Mapping[str, LazyString]) -> None:
    """The purposes of the kinds the units lend, as their pages give them: called once, by
    the hooks unit's frame (bootstrap/hooks.py)."""
    PURPOSES.update(purposes)


def _shown(actor: Caller) -> dict[str, object]:
    """What the page shows besides its form: the hooks with their calls, a list per kind in
    the order they are asked, the kinds."""
    admin = services().of(HookServices).hooks
    hooks: list[AuthHookView] = admin.list(ListAuthHooks(actor))
    by_kind: dict[str, list[AuthHookView]] = {}
    for view in hooks:
        by_kind.setdefault(view.hook.kind, []).append(view)
    return {
        "hooks": hooks,
        "by_kind": by_kind,
        "kinds": list(admin.kinds.names),
        "purposes": [(name, PURPOSES.get(name)) for name in admin.kinds.names],
        "failures": [each.value for each in OnFailure],
        "default_timeout": DEFAULT_TIMEOUT_MS,
        "calls_shown": CALLS_SHOWN,
        "done": None,
    }


def api_address() -> Response | None:
    """A browser's navigation to the API's /admin/auth-hooks (it asks for HTML before JSON)
    is sent to this page; a program gets the API's answer."""
    if request.path != API_PATH or request.method not in ("GET", "HEAD") or not prefers_html():
        return None
    return see_other(PATH)


@bp.get(PATH)
@needs_sign_in
def auth_hooks_page(actor: Caller) -> Response:
    shown = _shown(actor) | {"done": DONE.get(request.args.get("done", "")), "form": {}}
    return page(TEMPLATE, 200, **shown)


def _timeout() -> int:
    text = field("timeout_ms").strip()
    if not text.isdigit() or len(text) > 6:
        raise InvalidInput.field(
            "timeout_ms", "A whole number of milliseconds, 1 to 5000.", "invalid_hook_timeout"
        )
    return int(text)


def _order() -> int:
    text = field("order", required=False).strip() or "0"
    digits = text[1:] if text[:1] in "+-" else text
    if not digits.isdigit() or len(digits) > 7:
        raise InvalidInput.field(
            "order", "A whole number, -1000000 to 1000000.", "invalid_hook_order"
        )
    return int(text)


def _ids(name: str) -> tuple[str, ...]:
    """A scope field: ids separated by commas or spaces (none: every call)."""
    return tuple(field(name, required=False).replace(",", " ").split())


@bp.post(PATH)
@needs_sign_in
@form_errors(TEMPLATE, form_id="hook", shown=_shown)
def set_auth_hook(actor: Caller) -> Response:
    cmd = SetAuthHook(
        actor,
        field("kind"),
        field("url"),
        _timeout(),
        field("on_failure"),
        order=_order(),
        clients=_ids("clients"),
        orgs=_ids("orgs"),
    )
    created = services().of(HookServices).hooks.set(cmd)
    return page(
        "hooks/auth_hook_created.html", status=201, hook=created.hook, secret=created.secret
    )


@bp.post(f"{PATH}/<hook_id>/test")
@needs_sign_in
def test_auth_hook(actor: Caller, hook_id: str) -> Response:
    """The CLI's ``hooks test`` against the hook as it is set: the kind's samples, signed
    with its own secret, each answer checked; the page shows how each went (not the
    secret). Nothing is stored."""
    tested = services().of(HookServices).hooks.test_set(AuthHookRef(actor, hook_id))
    return page(TEMPLATE, 200, **_shown(actor), tested=tested, tested_id=hook_id, form={})


@bp.post(f"{PATH}/<hook_id>/remove")
@needs_sign_in
def remove_auth_hook(actor: Caller, hook_id: str) -> Response:
    services().of(HookServices).hooks.remove(AuthHookRef(actor, hook_id))
    return see_other(f"{PATH}?done=removed")
