"""The sign-in page on an org's active host (docs/reference/org-sign-in-domain.md): where
the org has single sign-on, the page starts it at once, with no address asked; else the
usual page (with the org's brand). The start is the connection's under PUBLIC_URL, where
its IdP returns (docs/decisions/0897-an-org-hosts-sign-in-starts-its-sso.md)."""

from __future__ import annotations

from flask import Response, request

from application.sso.services import SsoServices
from interfaces.shared.org_brand.request_org import host_org
from interfaces.shared.services import services
from interfaces.web.forms import safe_next
from interfaces.web.rendering import on_to_sso
from interfaces.web.signin.signed_in import signed_in_actor

SIGN_IN = "/sign-in"


def sso_first() -> Response | None:
    """A ``Pages.before_request`` hook: GET /sign-in on an org host whose org has an active
    connection goes on to its start; anything else is left to the page."""
    if request.method != "GET" or request.path != SIGN_IN:
        return None
    org_id = host_org()
    if org_id is None:
        return None
    if request.args.get("again") != "1" and signed_in_actor() is not None:
        return None  # the page sends a signed-in browser on
    start = services().of(SsoServices).discovery.of_org(org_id)
    if start is None:
        return None
    return on_to_sso(start.url, safe_next(request.args.get("next")))
