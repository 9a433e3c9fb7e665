"""Templates compiled once per language, with each fixed text already translated
(docs/decisions/0208-templates-translated-when-compiled.md).

``{{ _("Save profile") }}`` calls ``gettext`` on every render: about 50 calls on the account
page, a third of its template's CPU. Here each language has its own overlay of the pages'
Jinja environment (its own cache of compiled templates), whose token filter turns each
``_("a literal")`` into that language's text, marked safe as ``_()`` marks it, before the
template is compiled. Jinja folds the constant into the page's text. The output is the
same: a text with a ``%`` (formatted by ``_()``), a call with variables or of a non-literal
(``_(notice)``) is left to ``_()`` at render time.
"""

from __future__ import annotations

from collections.abc import Iterator

from babel.support import NullTranslations
from flask import Flask, current_app
from flask_babel import get_locale, get_translations
from jinja2 import Environment
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream

PATTERN = (("name", "_"), ("lparen", None), ("string", None), ("rparen", None))


def translating(translations: NullTranslations) -> type[Extension]:
    """A Jinja extension that writes ``_("literal")`` as its text in ``translations``."""

    class Translating(Extension):
        def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
            window: list[Token] = []
            for token in stream:
                window.append(token)
                if len(window) > len(PATTERN):
                    yield window.pop(0)
                if len(window) == len(PATTERN) and all(
                    token.type == kind and (value is None or token.value == value)
                    for token, (kind, value) in zip(window, PATTERN, strict=True)
                ):
                    text = translations.ugettext(window[2].value)
                    if "%" in text:  # _() %-formats it: left to _()
                        continue
                    line = window[0].lineno
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
        extension = translating(get_translations())
        found = overlays[language] = app.jinja_env.overlay(extensions=[extension])
    return found


def render(template: str, **context: object) -> str:
    """``render_template`` through the compiled templates of the page's language."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    app.update_template_context(context)
    return _environment(app).get_template(template).render(context)
