"""Templates compiled once per language, with each fixed text already translated
(docs/decisions/0208-templates-translated-when-compiled.md).

``{{ _("Save profile") }}`` calls ``gettext`` on every render: about 50 calls on the account
page, a third of its template's CPU. Here each language has its own overlay of the pages'
Jinja environment (its own cache of compiled templates), whose token filter turns each
``_("a literal")`` into that language's text, marked safe as ``_()`` marks it, before the
template is compiled, and each ``N_("a literal")`` (which marks a text for the catalogues and
returns it) into the literal. Jinja folds the constants into the page's text and its
literal dicts. The output is the same: a text with a ``%`` (formatted by ``_()``), a call
with variables or of a non-literal (``_(notice)``) is left to ``_()`` at render time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from functools import lru_cache

from babel.support import NullTranslations
from flask import Flask, current_app
from flask_babel import get_locale, get_timezone, get_translations
from jinja2 import Environment
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream

from interfaces.web.compiled import translated_code

CALL = (("name", None), ("lparen", None), ("string", None), ("rparen", None))
GETTEXT, MARKED = "_", "N_"  # N_("..."): a text for the catalogues, itself (rendering.marked)


def translating(translations: NullTranslations) -> type[Extension]:
    """A Jinja extension that writes ``_("literal")`` as its text in ``translations``, and
    ``N_("literal")`` as the literal."""

    class Translating(Extension):
        def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
            window: list[Token] = []
            for token in stream:
                window.append(token)
                if len(window) > len(CALL):
                    yield window.pop(0)
                if len(window) < len(CALL) or not all(
                    token.type == kind and (value is None or token.value == value)
                    for token, (kind, value) in zip(window, CALL, strict=True)
                ):
                    continue
                name, line, literal = window[0].value, window[0].lineno, window[2].value
                if name == MARKED:
                    yield Token(line, "string", literal)
                    window = []
                elif name == GETTEXT and "%" not in (text := translations.ugettext(literal)):
                    yield from (  # ("the text"|safe), a constant Jinja folds into the page
                        Token(line, "lparen", "("),
                        Token(line, "string", text),
                        Token(line, "pipe", "|"),
                        Token(line, "name", "safe"),
                        Token(line, "rparen", ")"),
                    )
                    window = []
            yield from window

    return Translating


EXTENSION = "firegate.translated"  # the app's overlays, by language


def _environment(app: Flask) -> Environment:
    overlays: dict[str, Environment] = app.extensions.setdefault(EXTENSION, {})
    language = str(get_locale())
    found = overlays.get(language)
    if found is None:  # two threads may both build one: either is right
        base, translations = app.jinja_env, get_translations()
        found = base.overlay(
            extensions=[translating(translations)],
            # never the base's cache: an overlay's code has its language's texts in it
            bytecode_cache=translated_code(language),
        )
        found.filters = {**base.filters, DATES: remembered(base.filters[DATES])}
        overlays[language] = found
    return found


DATES = "datetimeformat"  # Flask-Babel's filter: format_datetime(value, format)


def remembered(format_datetime: Callable[..., str]) -> Callable[..., str]:
    """``format_datetime`` remembering its last texts (in one language: an overlay's), by the
    time, the format and the timezone: Babel spends about 0.05 ms on each, and the same
    events and sessions are shown on every load."""

    @lru_cache(maxsize=1024)
    def formatted(value: datetime, format: str | None, timezone: str) -> str:
        return format_datetime(value, format)

    def datetimeformat(value: datetime | None = None, format: str | None = None) -> str:
        if value is None:  # now: never remembered
            return format_datetime(value, format)
        return formatted(value, format, str(get_timezone()))

    return datetimeformat


def render(template: str, **context: object) -> str:
    """``render_template`` through the compiled templates of the page's language."""
    current_app.update_template_context(context)
    return _environment(current_app).get_template(template).render(context)
