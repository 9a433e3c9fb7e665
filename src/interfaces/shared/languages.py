"""The languages of the pages and mails (docs/pages.md)."""

from __future__ import annotations

from flask import request

from domain.languages import LOCALES


def accepted_locale() -> str | None:
    """The supported language the request's ``Accept-Language`` prefers, if any."""
    return request.accept_languages.best_match(LOCALES)
