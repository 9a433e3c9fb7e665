"""Every place a newcomer reads the list of hook kinds names each kind of the code's one list
(the kinds every unit lends, ``HOOK_KINDS``; a unit's taken out by
scripts/remove_unit.py may still be named, tests/support/taken_out.py): the README's and the
docs' front page's summaries, the hooks guide's table, the auth-hooks reference's intro and
its ``kind`` field, and the intro of ``/admin/hooks/auth``, which is made from that list in
both languages. A kind added to the code and left out of one of them fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from interfaces.web.hooks.auth_hooks import PURPOSES
from tests.support.admin_pages import root
from tests.support.app import World
from tests.support.hook_kinds import EVERY_KIND
from tests.support.taken_out import taken_out

pytestmark = pytest.mark.unit
__all__ = ["root"]  # the fixture: an admin's browser
ROOT = Path(__file__).resolve().parents[3]
KINDS = [kind.name for kind in EVERY_KIND]
LEFT_ASIDE = taken_out().hook_kinds  # a unit's taken out of this copy: its docs stay


@pytest.fixture
def world() -> World:
    return World()


def paragraph(path: str, starts: str) -> str:
    """The paragraph (or list item, or table row) of ``path`` whose first line starts with
    ``starts``: its lines up to a blank line, a new item or a new row."""
    lines = (ROOT / path).read_text(encoding="utf-8").splitlines()
    first = next((n for n, line in enumerate(lines) if line.startswith(starts)), None)
    assert first is not None, f"{path}: no line starts with {starts!r}"
    found = [lines[first]]
    for line in lines[first + 1 :]:
        if not line.strip() or line.startswith(("- ", "| ", "#")):
            break
        found.append(line)
    return "\n".join(found)


def named(text: str) -> set[str]:
    """The kinds ``text`` names as code (`before_sign_in`)."""
    return {kind for kind in KINDS if re.search(rf"`{kind}`", text)}


# Each place, by the start of its first line
PLACES = [
    ("README.md", "- **Your code, your data**"),
    ("docs/index.md", "- **Your code, your data**"),
    ("docs/index.md", "| [Hooks](hooks.md)"),
    ("docs/reference/auth-hooks.md", "An auth hook is"),
    ("docs/reference/auth-hooks.md", "| `kind` |"),
]


@pytest.mark.parametrize(("path", "starts"), PLACES)
def test_each_place_in_the_docs_names_every_kind(path: str, starts: str) -> None:
    missing = set(KINDS) - named(paragraph(path, starts))
    assert not missing, f"{path}, {starts!r} leaves out {sorted(missing)}"


def test_the_hooks_guide_has_a_row_and_a_section_per_kind() -> None:
    guide = (ROOT / "docs/hooks.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| \[`(\w+)`\]\(#\1\) \|", guide, re.MULTILINE))
    sections = set(re.findall(r"^## (\w+)$", guide, re.MULTILINE))
    assert rows - LEFT_ASIDE == set(KINDS)
    assert set(KINDS) <= sections


def intro(html: str) -> str:
    found = re.search(r'<ul class="kinds">.*?</ul>', html, re.DOTALL)
    assert found is not None, html
    return found.group(0)


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "before a session is made"), ("es", "antes de crear una sesión")],
)
def test_the_pages_intro_names_every_kind_in_both_languages(
    root: FlaskClient, language: str, words: str
) -> None:
    html = root.get("/admin/hooks/auth", headers={"Accept-Language": language})
    shown = intro(html.get_data(as_text=True))
    assert {kind for kind in KINDS if f"<code>{kind}</code>" in shown} == set(KINDS)
    assert set(PURPOSES) == set(EVERY_KIND.names)  # each said with what it is for
    assert words in shown
