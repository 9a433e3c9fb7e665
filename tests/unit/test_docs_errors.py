"""Every stable code the orgs' and single sign-on's API answer is listed in
docs/reference/errors.md, the page that says "the `code` of each `errors[]` item is one of
the codes above": read from the source of those capabilities in every layer but the pages
(a literal ``code=``, the code of a field error, of ``InvalidInput.field`` and of a
metadata URL's refusal), so that a new one cannot slip past the list."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]
ERRORS = ROOT / "docs" / "reference" / "errors.md"
CAPABILITIES = ("orgs", "sso")
# The third argument of these calls is a field error's code, the second of the last one.
FIELD_CODE = {"field": 2, "FieldError": 2, "_url_refused": 1}


def sources() -> Iterator[Path]:
    for path in sorted((ROOT / "src").rglob("*.py")):
        parts = path.relative_to(ROOT / "src").parts
        if any(c in parts[:-1] for c in CAPABILITIES) and parts[:2] != ("interfaces", "web"):
            yield path


def codes_in(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        given = [kw.value for kw in node.keywords if kw.arg == "code"]
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        at = FIELD_CODE.get(name)
        if at is not None and len(node.args) > at:
            given.append(node.args[at])
        found |= {
            g.value for g in given if isinstance(g, ast.Constant) and isinstance(g.value, str)
        }
    return found


def test_the_scan_reads_the_capabilities_codes() -> None:
    every = set().union(*(codes_in(path) for path in sources()))
    assert {"connection_not_found", "https_required", "metadata_too_large", "last_owner"} <= every


def test_every_code_of_the_orgs_and_sso_apis_is_listed() -> None:
    listed = set(re.findall(r"`([a-z0-9_]+)`", ERRORS.read_text(encoding="utf-8")))
    missing = {
        code: path.relative_to(ROOT).as_posix()
        for path in sources()
        for code in codes_in(path)
        if code not in listed
    }
    assert missing == {}
