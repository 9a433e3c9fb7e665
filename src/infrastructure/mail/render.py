"""Mail from Jinja2 templates: ``<name>.subject.txt``, ``<name>.txt`` and ``<name>.html``,
in the account's language (``context["locale"]``) from the pages' gettext catalogues; and
text messages from ``<name>.sms.txt`` in the same way (docs/sign-in-with-a-phone-number.md).

Templates live in ``infrastructure/mail/templates/``, an optional unit's in the folder named by
it there (``templates/phone/phone_code.sms.txt``), searched after the core's for the units
this service runs: a mail's kind names its template, wherever it lives (or
``MAIL_TEMPLATES_DIR``, which is searched first, so a deployment can override one file); see
docs/reference/email.md. Their strings come from the catalogues given, merged in order: the
core's, then the units' (docs/decisions/0870-a-units-strings-and-mails-in-its-folders.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from babel.support import NullTranslations, Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from application.ports import Mail

BUILT_IN = Path(__file__).resolve().parent / "templates"
DEFAULT_LOCALE = "en"


def template_folders(units: Sequence[str]) -> list[str]:
    """The built-in templates' folders: the core's, then each of ``units``' that has one."""
    own = (BUILT_IN / unit for unit in units)
    return [str(BUILT_IN), *(str(folder) for folder in own if folder.is_dir())]


class JinjaMailRenderer:
    def __init__(
        self,
        override_dir: str = "",
        translations: Sequence[str] = (),
        units: Sequence[str] = (),
    ) -> None:
        """``translations``: the catalogues' folders, merged in order; ``units``: the names
        of the units this service runs, whose templates' folders are searched too."""
        built_in = template_folders(units)
        self._search = [override_dir, *built_in] if override_dir else built_in
        self._translations = tuple(translations)
        self._envs: dict[str, Environment] = {}

    def _env(self, locale: str) -> Environment:
        """One environment per language: the translations installed once, never per mail."""
        found = self._envs.get(locale)
        if found is None:
            found = Environment(
                loader=FileSystemLoader(self._search),
                autoescape=select_autoescape(enabled_extensions=("html",), default=False),
                undefined=StrictUndefined,  # a misspelt variable fails loudly, in the tests
                keep_trailing_newline=True,
                extensions=["jinja2.ext.i18n"],
            )
            found.install_gettext_translations(self._catalogue(locale), newstyle=True)  # type: ignore[attr-defined]
            self._envs[locale] = found
        return found

    def _catalogue(self, locale: str) -> NullTranslations:
        """The catalogues' strings in ``locale``, merged as Flask-Babel merges the pages'."""
        if not self._translations or locale == DEFAULT_LOCALE:
            return NullTranslations()
        merged = Translations()
        for folder in self._translations:
            catalogue = Translations.load(folder, [locale])
            if isinstance(catalogue, Translations):  # not a NullTranslations: none in locale
                merged.merge(catalogue)
                merged.plural = catalogue.plural  # which merge() leaves out
        return merged

    def render(self, template: str, to: str, context: dict[str, str]) -> Mail:
        locale = context.get("locale") or DEFAULT_LOCALE
        env = self._env(locale)
        context = {**context, "lang": locale}
        subject = env.get_template(f"{template}.subject.txt").render(context)
        return Mail(
            to=to,
            subject=" ".join(subject.split()),  # one header line
            text=env.get_template(f"{template}.txt").render(context),
            html=env.get_template(f"{template}.html").render(context),
            kind=template,
            locale=locale,
        )

    def render_text(self, template: str, context: dict[str, str]) -> str:
        """A text message: ``<template>.sms.txt``, its blank lines and ends kept as written
        but for the trailing newline."""
        locale = context.get("locale") or DEFAULT_LOCALE
        text = self._env(locale).get_template(f"{template}.sms.txt").render(context)
        return text.rstrip("\n")
