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

from bootstrap import driving
from bootstrap.units import running
from infrastructure.mail.render import BUILT_IN, JinjaMailRenderer, template_folders
from interfaces.web import TRANSLATIONS, catalogues
from interfaces.web.compiled import catalogue_of
from tests.support.app import World
from tests.support.settings import make_settings

pytestmark = pytest.mark.unit

OWN = "A string of the test unit"
OWN_ES = "Una frase de la unidad de las pruebas"
CORE_STRING, CORE_ES = "Your account", "Tu cuenta"
TEXT = {"code": "123456", "product": "firegate", "expires_minutes": "10", "host": "id.example"}


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
    app = World().app
    with app.test_request_context("/", headers={"Accept-Language": "es"}):
        return gettext(OWN), gettext(CORE_STRING)


def test_a_units_catalogue_is_merged_into_the_pages_after_the_cores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = own_catalogue(tmp_path / "translations")
    assert spoken(monkeypatch, (own,)) == (OWN_ES, CORE_ES)
    assert spoken(monkeypatch, ()) == (OWN, CORE_ES)  # without it, its string is not


def test_the_catalogues_are_the_cores_and_the_running_units_that_have_one() -> None:
    assert catalogues(("phone", "tasks")) == (TRANSLATIONS, catalogue_of("phone"))
    assert catalogue_of("phone").is_dir() and not catalogue_of("tasks").exists()
    everyone = catalogues(running(make_settings()))
    assert catalogue_of("phone") in everyone and catalogue_of("agents") in everyone
    without = catalogues(running(make_settings(units_off=["phone"])))
    assert catalogue_of("phone") not in without and catalogue_of("agents") in without


def test_a_units_text_is_found_by_its_kind_in_its_folder_and_speaks_its_catalogue() -> None:
    phone = JinjaMailRenderer(
        translations=[str(TRANSLATIONS), str(catalogue_of("phone"))], units=["phone"]
    )
    assert (BUILT_IN / "phone" / "phone_code.sms.txt").is_file()
    assert "es tu código para entrar en firegate" in phone.render_text(
        "phone_code", {**TEXT, "locale": "es"}
    )
    assert "is your firegate sign-in code" in phone.render_text("phone_code", TEXT)
    untranslated = JinjaMailRenderer(translations=[str(TRANSLATIONS)], units=["phone"])
    assert "is your firegate sign-in code" in untranslated.render_text(
        "phone_code", {**TEXT, "locale": "es"}
    )
    with pytest.raises(TemplateNotFound):  # a unit not running: its templates are not found
        JinjaMailRenderer(translations=[str(TRANSLATIONS)]).render_text("phone_code", TEXT)


def test_a_deployments_template_still_overrides_a_units_by_the_kinds_name(tmp_path: Path) -> None:
    (tmp_path / "phone_code.sms.txt").write_text('{{ _("' + OWN + '") }} {{ code }}\n')
    own = own_catalogue(tmp_path / "translations")
    renderer = JinjaMailRenderer(
        str(tmp_path), translations=[str(TRANSLATIONS), str(own)], units=["phone"]
    )
    assert renderer.render_text("phone_code", {**TEXT, "locale": "es"}) == f"{OWN_ES} 123456"


def test_no_units_template_has_the_name_of_anothers_or_of_the_cores() -> None:
    """Each kind names one template: a unit's never shadows the core's or another unit's."""
    seen: dict[str, Path] = {}
    for folder in template_folders(sorted(p.name for p in BUILT_IN.iterdir() if p.is_dir())):
        for template in sorted(Path(folder).glob("*")):
            if template.is_file():
                assert template.name not in seen, f"{template} and {seen[template.name]}"
                seen[template.name] = template
    assert "phone_code.sms.txt" in seen and "verify_email.txt" in seen
