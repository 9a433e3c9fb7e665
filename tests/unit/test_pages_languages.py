"""Every page and mail string is in every catalogue; the pages speak the reader's language."""

from __future__ import annotations

import re

import pytest

from tests.catalogues import catalogues, translated, used_strings
from tests.unit.test_email_flows import World
from tests.unit.test_pages_signed_out import PASSWORD, csrf, sign_up

pytestmark = pytest.mark.unit


def test_there_is_a_spanish_catalogue() -> None:
    assert "es" in catalogues()


@pytest.mark.parametrize("language", sorted(catalogues()))
def test_every_page_and_mail_string_is_translated(language: str) -> None:
    strings = used_strings()
    assert len(strings) > 40  # the extraction found the pages' strings
    missing = strings - translated(catalogues()[language])
    assert not missing, f"missing from {language}: {sorted(missing)}"


def test_a_page_follows_accept_language() -> None:
    world = World()
    answer = world.client.get("/sign-in", headers={"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"})
    html = answer.get_data(as_text=True)
    assert '<html lang="es">' in html and "Iniciar sesión" in html and "Contraseña" in html
    english = world.client.get("/sign-in", headers={"Accept-Language": "fr"})
    assert '<html lang="en">' in english.get_data(as_text=True)
    # Each header is chosen from once and remembered: the same header, the same choice.
    for header, lang in [("es", "es"), ("fr", "en"), ("", "en"), ("en;q=0.1, es", "es")]:
        again = world.client.get("/sign-in", headers={"Accept-Language": header})
        assert f'<html lang="{lang}">' in again.get_data(as_text=True), header
    unsent = world.client.get("/sign-in")
    assert '<html lang="en">' in unsent.get_data(as_text=True)


def test_a_signed_in_page_follows_the_account_locale() -> None:
    world = World()
    world.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    sign_up(world)  # the account's locale: es, from the browser at sign-up
    world.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    html = world.client.get("/account").get_data(as_text=True)
    assert '<html lang="es">' in html and "Tu cuenta" in html


def test_an_error_is_shown_in_the_reader_language() -> None:
    world = World()
    world.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    form = {
        "username": "nobody",
        "password": PASSWORD,
        "csrf_token": csrf(world.client, "/sign-in"),
    }
    html = world.client.post("/sign-in", data=form).get_data(as_text=True)
    assert re.search(r'role="alert">Nombre de usuario, correo o contraseña incorrectos', html)


def test_a_page_asked_the_wrong_way_is_a_page_in_the_reader_language() -> None:
    # GET /sign-out, typed in: routing fails before the pages are known; still a page.
    world = World()
    browser = {"Accept": "text/html", "Accept-Language": "es"}
    answer = world.client.get("/sign-out", headers=browser)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 405 and answer.mimetype == "text/html"
    assert set(answer.headers["Allow"].split(", ")) == {"OPTIONS", "POST"}
    assert 'role="alert">Esta página no se puede abrir así.' in html
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
    assert "style-src 'sha256-" in answer.headers["Content-Security-Policy"]  # its stylesheet
    missing = world.client.get("/account/nowhere", headers=browser)
    assert missing.status_code == 404  # not a page address: the API's problem answers
    api = world.client.get("/register", headers={"Accept-Language": "es"})  # an API route
    assert api.status_code == 405 and api.mimetype == "application/problem+json"


def test_mails_go_out_in_the_account_language() -> None:
    world = World(site_name="Acme")
    world.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    sign_up(world, "ana")
    world.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    sign_up(world, "ben")
    world.deliver()
    (ana,) = world.mailer.to("ana@example.com")
    assert ana.subject == "Confirma tu dirección de correo para Acme"
    # An address not yet proven is greeted without the account's own words.
    assert ana.text.startswith("Hola:\n")
    assert '<html lang="es">' in ana.html
    token = world.token("ana@example.com", "/verify-email")
    assert f"http://127.0.0.1:8000/verify-email?token={token}" in ana.text
    (ben,) = world.mailer.to("ben@example.com")
    assert ben.subject == "Confirm your e-mail address for Acme" and ben.text.startswith("Hello,")


@pytest.mark.parametrize("autoescape", [True, False])
def test_the_bound_gettext_formats_like_jinjas_and_escapes_the_variables(
    autoescape: bool,
) -> None:
    """The pages' gettext (bound once per render) gives what Jinja's i18n extension gives:
    always %-formatted, the text trusted, the variables escaped under autoescape."""
    from babel.support import NullTranslations
    from jinja2 import Environment

    from interfaces.web import bound_gettext

    # Both settings are compared; nothing here is served.
    env = Environment(extensions=["jinja2.ext.i18n"], autoescape=autoescape)  # noqa: S701
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    template = env.from_string(
        '{{ _("Hi <b>%(name)s</b>", name=who) }}|{{ ngettext("%(num)d code", "%(num)d codes", 2) }}'
        "|{% trans %}100% yours{% endtrans %}|{% trans n=who %}for {{ n }}{% endtrans %}"
        '|{{ _("Plain <em>text</em>") }}|{{ _("100%% sure") }}|{{ gettext("Same") }}'
    )
    jinjas = template.render(who="<i>")
    ours = template.render(who="<i>", **bound_gettext(NullTranslations()))
    name = "&lt;i&gt;" if autoescape else "<i>"
    assert ours == jinjas
    assert ours == (
        f"Hi <b>{name}</b>|2 codes|100% yours|for {name}|Plain <em>text</em>|100% sure|Same"
    )
