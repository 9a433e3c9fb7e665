"""Where ``start_session`` is called in the application layer: by ``SignIn`` alone among the
core's ways in (tests/unit/hooks/test_before_sign_in.py), and by a unit that starts a session
of a person without their sign-in (support access: tests/unit/support_access/)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.source_trees import trees_naming

APPLICATION = Path(__file__).resolve().parents[2] / "src" / "application"


def session_starters(folder: Path = APPLICATION) -> set[tuple[Path, str]]:
    """Each (module path relative to ``application/``, function) that calls
    ``start_session``, in the modules under ``folder``."""
    callers: set[tuple[Path, str]] = set()
    for path, tree in trees_naming(folder, "start_session"):
        for function in ast.walk(tree):
            if isinstance(function, ast.FunctionDef):
                for node in ast.walk(function):
                    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == (
                        "start_session"
                    ):
                        callers.add((path.relative_to(APPLICATION), function.name))
    return callers
