"""The phone's strings and texts live in its folders: its catalogue in
``interfaces/web/phone/translations/``, read by a service that runs it, and its texts'
templates in mail's ``templates/phone/``, found by their kind's name
(docs/decisions/0870-a-units-strings-and-mails-in-its-folders.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bootstrap.units import running
from infrastructure.mail.render import BUILT_IN, JinjaMailRenderer
from interfaces.web import TRANSLATIONS, catalogues
from interfaces.web.compiled import catalogue_of
from tests.support.settings import make_settings

pytestmark = pytest.mark.unit

TEXT = {"code": "123456", "product": "firegate", "expires_minutes": "10", "host": "id.example"}
OWN, CORE = [str(TRANSLATIONS), str(catalogue_of("phone"))], [str(TRANSLATIONS)]


def test_its_catalogue_is_read_while_it_runs() -> None:
    assert catalogues(("phone", "tasks")) == (TRANSLATIONS, catalogue_of("phone"))
    assert catalogue_of("phone") in catalogues(running(make_settings()))
    assert catalogue_of("phone") not in catalogues(running(make_settings(units_off=["phone"])))


def test_its_texts_are_found_by_their_kind_and_speak_its_catalogue() -> None:
    assert (BUILT_IN / "phone" / "phone_code.sms.txt").is_file()
    phone = JinjaMailRenderer(translations=OWN, units=["phone"])
    spanish = phone.render_text("phone_code", {**TEXT, "locale": "es"})
    assert "123456 es tu código para entrar en firegate" in spanish
    assert "is your firegate sign-in code" in phone.render_text("phone_code", TEXT)
    untranslated = JinjaMailRenderer(translations=CORE, units=["phone"])
    assert "is your firegate" in untranslated.render_text("phone_code", {**TEXT, "locale": "es"})


def test_a_deployments_text_still_overrides_its_template_by_the_kinds_name(tmp_path: Path) -> None:
    (tmp_path / "phone_code.sms.txt").write_text("{{ code }} is the code\n")
    renderer = JinjaMailRenderer(str(tmp_path), translations=OWN, units=["phone"])
    assert renderer.render_text("phone_code", {**TEXT, "locale": "es"}) == "123456 is the code"
