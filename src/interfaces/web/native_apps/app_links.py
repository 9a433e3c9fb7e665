"""The page of an app's link opened in a browser (no app installed to take it;
docs/reference/app-links.md): the code, to type where the person asked, as the mail's link
shows it in another browser. It signs nothing in and spends nothing."""

from __future__ import annotations

from flask import Response, request
from flask_babel import lazy_gettext

from application.signin.codes.flow import INVALID_GRANT
from application.signin.codes.links import AppLinks
from domain.native_apps.paths import APP_SIGN_IN_PATH
from interfaces.shared.services import services
from interfaces.web.forms import MAX_FIELD_CHARS
from interfaces.web.rendering import bp, page

# A link no flow has live: what the mail's link says of it
MESSAGES = {
    INVALID_GRANT: lazy_gettext("This code has expired or was replaced; ask for a new one.")
}


@bp.get(APP_SIGN_IN_PATH)
def app_link_page() -> Response:
    # A GET spends nothing: mail scanners open links.
    code = services().of(AppLinks).shown(request.args.get("token", "")[:MAX_FIELD_CHARS])
    return page("signin/email_link.html", same_browser=False, code=code, token="", next="")
