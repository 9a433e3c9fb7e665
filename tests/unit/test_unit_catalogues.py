"""A unit's strings and mails live in its folders: its catalogue in its pages' folder
(``interfaces/web/<unit>/translations/``), merged after the core's into the pages and the
mails of a service that runs it, and its mail and text templates in mail's
``templates/<unit>/``, found by their kind's name as the core's are
(docs/decisions/0870-a-units-strings-and-mails-in-its-folders.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from flask_babel import gettext
from jinja2 import TemplateNotFound

from bootstrap import build_app, driving
from infrastructure.mail import render
from infrastructure.mail.render import BUILT_IN, JinjaMailRenderer, template_folders
from interfaces.web import TRANSLATIONS, catalogues, compiled
from interfaces.web.compiled import catalogue_of
from tests.support.app import fake_adapters
from tests.support.settings import make_settings

pytestmark = pytest.mark.unit

OWN = "A string of the test unit"
OWN_ES = "Una frase de la unidad de las pruebas"
CORE_STRING, CORE_ES = "Your account", "Tu cuenta"


def own_catalogue(folder: Path) -> Path:
    """A unit's catalogue, compiled: one Spanish string of its own."""
    catalog = Catalog(locale="es")
    catalog.add(OWN, OWN_ES)
    (folder / "es" / "LC_MESSAGES").mkdir(parents=True)
    with (folder / "es" / "LC_MESSAGES" / "messages.mo").open("wb") as target:
        write_mo(target, catalog)
    return folder


def spoken(monkeypatch: pytest.MonkeyPatch, running_units: tuple[Path, ...]) -> tuple[str, str]:
    """A Spanish page's words, on an app whose units' catalogues are ``running_units``."""
    monkeypatch.setattr(driving, "catalogues", lambda _names: (TRANSLATIONS, *running_units))
    settings = make_settings()
    app = build_app(settings, fake_adapters(settings))  # never the tests' shared app
    with app.test_request_context("/", headers={"Accept-Language": "es"}):
        return gettext(OWN), gettext(CORE_STRING)


def test_a_units_catalogue_is_merged_into_the_pages_after_the_cores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = own_catalogue(tmp_path / "translations")
    assert spoken(monkeypatch, (own,)) == (OWN_ES, CORE_ES)
    assert spoken(monkeypatch, ()) == (OWN, CORE_ES)  # without it, its string is not


def test_the_catalogues_are_the_cores_then_the_named_units_that_have_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = own_catalogue(tmp_path / "test_unit" / "translations")
    monkeypatch.setattr(compiled, "WEB", tmp_path)
    assert catalogue_of("test_unit") == own
    assert catalogues(("test_unit", "another")) == (TRANSLATIONS, own)
    assert catalogues(("another",)) == (TRANSLATIONS,)


def test_a_units_templates_are_found_by_their_kind_in_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "test_unit").mkdir()
    (tmp_path / "test_unit" / "greeting.sms.txt").write_text('{{ _("' + OWN + '") }} {{ code }}\n')
    own = own_catalogue(tmp_path / "translations")
    monkeypatch.setattr(render, "BUILT_IN", tmp_path)
    renderer = JinjaMailRenderer(translations=[str(TRANSLATIONS), str(own)], units=["test_unit"])
    assert renderer.render_text("greeting", {"code": "1", "locale": "es"}) == f"{OWN_ES} 1"
    assert renderer.render_text("greeting", {"code": "1"}) == f"{OWN} 1"
    core_only = JinjaMailRenderer(translations=[str(TRANSLATIONS)], units=["test_unit"])
    assert core_only.render_text("greeting", {"code": "1", "locale": "es"}) == f"{OWN} 1"
    with pytest.raises(TemplateNotFound):  # a unit not running: its templates are not found
        JinjaMailRenderer(translations=[str(TRANSLATIONS)]).render_text("greeting", {})


def test_no_units_template_has_the_name_of_anothers_or_of_the_cores() -> None:
    """Each kind names one template: a unit's never shadows the core's or another unit's."""
    seen: dict[str, Path] = {}
    for folder in template_folders(sorted(p.name for p in BUILT_IN.iterdir() if p.is_dir())):
        for template in sorted(Path(folder).glob("*")):
            if template.is_file():
                assert template.name not in seen, f"{template} and {seen[template.name]}"
                seen[template.name] = template
    assert "verify_email.txt" in seen
