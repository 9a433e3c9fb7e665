"""The language switch of the signed-out pages (docs/pages.md#languages): a browser that
chose a language keeps it in a cookie, which wins over its Accept-Language until an account
with a language of its own is signed in."""

from __future__ import annotations

from flask import Response, abort, request

from domain.languages import LOCALES
from interfaces.web import browser
from interfaces.web.forms import safe_next
from interfaces.web.rendering import bp, see_other

# Each language by its own name, as a reader of it looks for it (``lang`` on each).
NAMES = {"en": "English", "es": "Español"}
LANGUAGE_NAMES = tuple((code, NAMES[code]) for code in LOCALES)


@bp.post("/language")
def choose_language() -> Response:
    """This browser's language, then back to the page it was chosen on (``?next=``, a path
    of this site)."""
    locale = request.form.get("locale", "")
    if locale not in LOCALES:
        abort(400)
    response = see_other(safe_next(request.args.get("next"), fallback="/sign-in"))
    browser.choose_language(response, locale)
    return response
