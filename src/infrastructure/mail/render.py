"""Mail from Jinja2 templates: ``<name>.subject.txt``, ``<name>.txt`` and ``<name>.html``.

Templates live in ``infrastructure/mail/templates/`` (or ``MAIL_TEMPLATES_DIR``, which is
searched first, so a deployment can override one file); see docs/reference/email.md.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from application.ports import Mail

BUILT_IN = Path(__file__).resolve().parent / "templates"


class JinjaMailRenderer:
    def __init__(self, override_dir: str = "") -> None:
        search = [override_dir, str(BUILT_IN)] if override_dir else [str(BUILT_IN)]
        self._env = Environment(
            loader=FileSystemLoader(search),
            autoescape=select_autoescape(enabled_extensions=("html",), default=False),
            undefined=StrictUndefined,  # a misspelt variable fails loudly, in the tests
            keep_trailing_newline=True,
        )

    def render(self, template: str, to: str, context: dict[str, str]) -> Mail:
        subject = self._env.get_template(f"{template}.subject.txt").render(context)
        return Mail(
            to=to,
            subject=" ".join(subject.split()),  # one header line
            text=self._env.get_template(f"{template}.txt").render(context),
            html=self._env.get_template(f"{template}.html").render(context),
        )
