"""``trees_naming`` (tests/support/source_trees.py): the syntax-tree scans of src/ parse only
the modules that may name what they look for, and miss none that does."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.source_trees import trees_naming

pytestmark = pytest.mark.unit


def test_only_the_modules_that_may_name_one_are_parsed(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "calls.py").write_text("def f(door):\n    return door.ALLOWED\n")
    (tmp_path / "other.py").write_text("x = 1  # allowed, in words only\n")
    (tmp_path / "wide.py").write_text("\uff21\uff2c\uff2c\uff2f\uff37\uff25\uff24 = 1\n")
    (tmp_path / "dash.py").write_text("y = '\u2014'\n")
    found = {
        path.relative_to(tmp_path).as_posix(): tree
        for path, tree in trees_naming(tmp_path, "ALLOWED")
    }
    # the fullwidth spelling is the identifier ALLOWED to Python
    assert sorted(found) == ["pkg/calls.py", "wide.py"]
    assign = found["wide.py"].body[0]
    assert isinstance(assign, ast.Assign) and ast.unparse(assign.targets[0]) == "ALLOWED"


def test_the_files_looked_at_may_be_named(tmp_path: Path) -> None:
    (tmp_path / "gunicorn.conf.py").write_text("import gc\ngc.freeze()\n")
    (tmp_path / "other.py").write_text("import gc\ngc.freeze()\n")
    found = [path.name for path, _ in trees_naming(tmp_path, "freeze", files="gunicorn.conf.py")]
    assert found == ["gunicorn.conf.py"]
