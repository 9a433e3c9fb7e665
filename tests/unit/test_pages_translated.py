"""Templates translated when compiled (interfaces/web/translated.py): the same page as
Flask's ``render_template`` gives, in each language, with the fixed texts compiled in."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from babel.support import NullTranslations, Translations
from flask import render_template
from jinja2 import Environment

from interfaces.web import TRANSLATIONS, bound_gettext, translated
from interfaces.web.rendering import marked
from interfaces.web.translated import remembered, translating
from tests.support.account_pages import alice, enrol, html_of, send
from tests.support.app import World
from tests.support.pages import sign_up

pytestmark = pytest.mark.unit

SOURCE = (
    '{{ _("Username") }}|{{ input(_("Name")) }}|{{ _("Recovery codes left: %(count)s.", count=2) }}'
    '|{{ _(notice) }}|{{ _("Delete “%(name)s”", name="<b>") }}|{{ _("Your browser\'s language") }}'
    '|{% set names = {"a": N_("Signed in")} %}{{ _(names["a"]) }}|{{ N_("Signed out") }}'
)


def spanish() -> NullTranslations:
    return Translations.load(str(TRANSLATIONS), ["es"])


def test_fixed_texts_are_compiled_in_and_the_rest_left_to_gettext() -> None:
    catalogue = spanish()
    plain = Environment(autoescape=True)
    folded = plain.overlay(extensions=[translating(catalogue)])
    context: dict[str, Any] = {
        **bound_gettext(catalogue),
        "input": lambda label: f"[{label}]",
        "notice": "Your profile is saved.",
        "N_": marked,
    }
    expected = plain.from_string(SOURCE).render(context)
    assert folded.from_string(SOURCE).render(context) == expected
    assert "Nombre de usuario|" in expected and "&lt;b&gt;" in expected
    compiled = folded.compile(SOURCE, raw=True)
    assert "Nombre de usuario" in compiled and "'Username'" not in compiled
    assert "'Name'" not in compiled  # inside a call's arguments too
    assert "Recovery codes left" in compiled  # with variables: formatted by _() at render
    assert "N_" not in compiled and "'Signed in'" in compiled  # N_("x") is "x"


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_account_page_is_what_render_template_gives(
    language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = World()
    sign_up(world)
    rendered: list[str] = []
    render = translated.render

    def both(template: str, **context: Any) -> str:
        page = render(template, **context)
        assert page == render_template(template, **context)
        rendered.append(page)
        return page

    monkeypatch.setattr(translated, "render", both)
    send(world, "/account/language", {"locale": language})
    enrol(world)  # the page with the QR code and the key, then with the recovery codes
    html = html_of(world.client.get("/account?done=profile"))
    assert len(rendered) >= 3 and html == rendered[-1]  # and each page the helpers load
    assert alice(world).locale == language
    assert ("Nombre de usuario" in html) == (language == "es")


def test_dates_are_formatted_once_per_time_format_and_timezone() -> None:
    calls: list[tuple[datetime | None, str | None]] = []

    def format_datetime(value: datetime | None, format: str | None) -> str:
        calls.append((value, format))
        return f"{value}:{format}"

    shown = remembered(format_datetime)
    at = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    with World().app.test_request_context("/account"):
        texts = [shown(at, "medium"), shown(at, "medium"), shown(at, "short"), shown(None, "x")]
        shown(None, "x")
    assert texts[:3] == [f"{at}:medium", f"{at}:medium", f"{at}:short"]
    assert calls == [(at, "medium"), (at, "short"), (None, "x"), (None, "x")]  # now: each time
