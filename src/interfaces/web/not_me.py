"""The "this wasn't me" page a notification mail links to (docs/pages.md, /not-me). Opening
the link spends nothing (mail scanners open links); only the button does. The POST counts
in the API's password reset limit (``PAGE_LIMITS``)."""

from __future__ import annotations

from flask import Response, request

from interfaces.web import calls
from interfaces.web.routes import bp, field, page


@bp.get("/not-me")
def not_me_page() -> Response:
    return page("not_me.html", token=request.args.get("token", ""))


@bp.post("/not-me")
def not_me() -> Response:
    # No form page: a bad token is the error page (400), there is nothing to correct.
    calls.not_me(field("token", required=False))
    return page("not_me_done.html")
