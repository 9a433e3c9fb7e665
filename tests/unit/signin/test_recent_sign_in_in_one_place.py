"""A change that asks for a recent sign-in asks it in one place (``require_recent_sign_in``):
no other module of the service raises ``ReauthenticationRequired`` itself
(docs/security.md, "A new way in")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.source_trees import trees_naming

pytestmark = pytest.mark.unit

SRC = Path(__file__).resolve().parents[3] / "src"
ONE_PLACE = "application/signin/authentication.py"


def test_reauthentication_is_required_in_one_place() -> None:
    raised = []
    for path, tree in trees_naming(SRC, "ReauthenticationRequired"):
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Raise)
                and isinstance(node.exc, ast.Call)
                and isinstance(node.exc.func, ast.Name)
                and node.exc.func.id == "ReauthenticationRequired"
            ):
                raised.append(str(path.relative_to(SRC)))
    assert raised == [ONE_PLACE]
