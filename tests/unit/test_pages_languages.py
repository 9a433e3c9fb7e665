"""Every page and mail string is in every catalogue; the pages speak the reader's language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.support.app import World
from tests.support.catalogues import TRANSLATIONS, catalogues, folders, named, strings, translated
from tests.support.pages import PASSWORD, csrf, sign_up

pytestmark = pytest.mark.unit


def test_there_is_a_spanish_catalogue() -> None:
    """The core's and each unit's: a unit's strings are in its own (scripts/catalogues.py)."""
    assert {f"{named(folder)}/es" for folder in folders()} <= set(catalogues())
    assert len(folders()) > 1


@pytest.mark.parametrize("catalogue", sorted(catalogues()))
def test_every_page_and_mail_string_is_translated(catalogue: str) -> None:
    po = catalogues()[catalogue]
    held = strings()[po.parents[2]]
    assert len(held) > (40 if po.parents[2] == TRANSLATIONS else 0)  # the extraction found them
    missing = held - translated(po)
    assert not missing, f"missing from {catalogue}: {sorted(missing)}"


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


# -- the signed-out pages' language switch (docs/pages.md#languages)

SIGNED_OUT_PAGES = [
    "/sign-in",
    "/sign-up",
    "/forgot-password",
    "/verify-email?token=t",
    "/reset-password?token=t",
    "/not-me?token=t",
]


def choose(world: World, locale: str, back: str = "/sign-in") -> str:
    """The switch's button for ``locale`` on the page at ``back``: where it leads."""
    html = world.client.get(back).get_data(as_text=True)
    action = re.search(r'<form method="post" action="(/language\?[^"]*)"', html)
    assert action is not None, "no language switch on " + back
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token is not None
    form = {"locale": locale, "csrf_token": token.group(1)}
    answer = world.client.post(action.group(1).replace("&amp;", "&"), data=form)
    assert answer.status_code == 303, answer.get_data(as_text=True)
    location: str = answer.headers["Location"]
    return location


@pytest.mark.parametrize("path", SIGNED_OUT_PAGES)
def test_each_signed_out_page_has_a_labelled_language_switch(path: str) -> None:
    world = World()
    html = world.client.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)
    switch = re.search(r'<nav class="languages" aria-label="Language">(.*?)</nav>', html, re.S)
    assert switch is not None, path
    assert re.search(
        r'<button type="submit" name="locale" value="es" lang="es">Español<', switch[1]
    )
    assert 'lang="en"' in switch[1] and 'aria-current="true"' in switch[1]  # the one in use
    spanish = world.client.get(path, headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert '<nav class="languages" aria-label="Idioma">' in spanish
    assert re.search(r'name="locale" value="en" lang="en">English<', spanish)


def test_the_chosen_language_wins_over_the_browsers_on_signed_out_pages() -> None:
    world = World()
    world.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-US,en;q=0.9"
    back = "/sign-in?next=%2Faccount%3Fx%3D1"
    assert choose(world, "es", back) == back
    for path in SIGNED_OUT_PAGES:
        html = world.client.get(path).get_data(as_text=True)
        assert '<html lang="es">' in html, path
    assert "Iniciar sesión" in world.client.get("/sign-in").get_data(as_text=True)
    assert choose(world, "en") == "/sign-in"
    assert '<html lang="en">' in world.client.get("/sign-in").get_data(as_text=True)


def test_the_chosen_language_is_a_cookie_of_this_browser() -> None:
    world = World()
    html = world.client.get("/sign-up").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token is not None
    answer = world.client.post(
        "/language?next=/sign-up", data={"locale": "es", "csrf_token": token[1]}
    )
    cookie = next(c for c in answer.headers.getlist("Set-Cookie") if c.startswith("firegate_lang="))
    assert cookie.startswith("firegate_lang=es;") and "HttpOnly" in cookie and "Max-Age=" in cookie
    assert "SameSite=Lax" in cookie and "Path=/" in cookie
    other = world.app.test_client()  # another browser keeps its own language
    assert '<html lang="en">' in other.get("/sign-in").get_data(as_text=True)


def test_the_account_language_wins_once_signed_in() -> None:
    world = World()
    world.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    sign_up(world)  # the account's locale: en, from the browser at sign-up
    world.client.post("/sign-out", data={"csrf_token": csrf(world.client, "/account")})
    choose(world, "es")
    assert '<html lang="es">' in world.client.get("/sign-in").get_data(as_text=True)
    form = {"username": "alice", "password": PASSWORD, "csrf_token": csrf(world.client, "/sign-in")}
    assert world.client.post("/sign-in", data=form).headers["Location"] == "/account"
    html = world.client.get("/account").get_data(as_text=True)
    assert '<html lang="en">' in html and "Your account" in html


def test_an_account_made_after_choosing_a_language_speaks_it() -> None:
    world = World()
    world.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    choose(world, "es", "/sign-up")
    sign_up(world)
    html = world.client.get("/account").get_data(as_text=True)
    assert '<html lang="es">' in html and "Tu cuenta" in html
    [user] = [u for u in world.store.users.values() if u.shown_name == "alice"]
    assert user.locale == "es"


@pytest.mark.parametrize(
    ("back", "lands"),
    [
        ("/forgot-password", "/forgot-password"),
        ("https://evil.example/", "/sign-in"),
        ("//evil.example/", "/sign-in"),
        ("/\\evil.example", "/sign-in"),
        ("", "/sign-in"),
    ],
)
def test_the_switch_leads_back_only_to_a_path_of_this_site(back: str, lands: str) -> None:
    world = World()
    token = csrf(world.client, "/sign-in")
    answer = world.client.post(
        "/language", query_string={"next": back}, data={"locale": "es", "csrf_token": token}
    )
    assert answer.status_code == 303 and answer.headers["Location"] == lands


def test_the_switch_takes_only_a_language_of_the_pages_and_needs_the_token() -> None:
    world = World()
    token = csrf(world.client, "/sign-in")
    for locale in ("fr", "", "es-ES"):
        answer = world.client.post("/language", data={"locale": locale, "csrf_token": token})
        assert answer.status_code == 400, locale
        assert not any("firegate_lang=" in c for c in answer.headers.getlist("Set-Cookie"))
    forged = world.client.post("/language", data={"locale": "es"})
    assert forged.status_code == 403
    assert not any("firegate_lang=" in c for c in forged.headers.getlist("Set-Cookie"))


def test_the_switch_leads_back_to_the_same_sign_in() -> None:
    world = World()
    for back, lands in [
        ("/sign-in", "/sign-in"),
        ("/sign-in?next=%2Faccount", "/sign-in"),
        (
            "/sign-in?next=%2Foauth%2Fauthorize%3Fa%3D1",
            "/sign-in?next=%2Foauth%2Fauthorize%3Fa%3D1",
        ),
        ("/sign-in?again=1&next=%2Fx", "/sign-in?next=%2Fx&again=1"),
        ("/reset-password?token=t&invited=1", "/reset-password?token=t&invited=1"),
    ]:
        assert choose(world, "es", back) == lands, back


def test_every_app_of_a_process_speaks_each_language_whichever_came_first() -> None:
    # The compiled templates are kept for the process (interfaces/web/compiled.py), each
    # language's apart: the account page's have that language's texts written into them.
    for language in ["es", "en", "es", "en"]:
        world = World()
        world.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
        sign_up(world)  # the account's locale: the browser's
        html = world.client.get("/account").get_data(as_text=True)
        assert f'<html lang="{language}">' in html
        spanish, english = "Tu cuenta" in html, "Your account" in html
        assert (spanish, english) == (language == "es", language == "en"), language


@pytest.mark.parametrize("folder", folders(), ids=named)
def test_the_template_holds_every_string_the_pages_and_mails_use_and_no_other(
    folder: Path,
) -> None:
    """Each catalogue's messages.pot is what scripts/catalogues.py writes (docs/contributing.md,
    "Adding a language"): a translator starts from it, so it follows the code. The core's
    holds the strings of the core's pages and mails; a unit's, those of its own that the core's
    do not use, so taking a unit out takes its strings with its folders."""
    with (folder / "messages.pot").open("rb") as source:
        template = {
            str(m.id if isinstance(m.id, str) else m.id[0]) for m in read_po(source) if m.id
        }
    extracted = strings().get(folder)
    assert extracted is not None, f"{folder}: no running unit's catalogue"
    assert extracted == template, (
        f"not in {named(folder)}'s messages.pot: {sorted(extracted - template)}; "
        f"no longer used: {sorted(template - extracted)}"
    )
