"""Mail from Jinja2 templates: ``<name>.subject.txt``, ``<name>.txt`` and ``<name>.html``,
in the account's language (``context["locale"]``) from the pages' gettext catalogues; and
text messages from ``<name>.sms.txt`` in the same way (docs/sign-in-with-a-phone-number.md).

Templates live in ``infrastructure/mail/templates/`` (or ``MAIL_TEMPLATES_DIR``, which is
searched first, so a deployment can override one file); see docs/reference/email.md.
"""

from __future__ import annotations

from pathlib import Path

from babel.support import NullTranslations, Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from application.ports import Mail

BUILT_IN = Path(__file__).resolve().parent / "templates"
DEFAULT_LOCALE = "en"


class JinjaMailRenderer:
    def __init__(self, override_dir: str = "", translations_dir: str = "") -> None:
        self._search = [override_dir, str(BUILT_IN)] if override_dir else [str(BUILT_IN)]
        self._translations_dir = translations_dir
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
            translations: NullTranslations = NullTranslations()
            if self._translations_dir and locale != DEFAULT_LOCALE:
                translations = Translations.load(self._translations_dir, [locale])
            found.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
            self._envs[locale] = found
        return found

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
