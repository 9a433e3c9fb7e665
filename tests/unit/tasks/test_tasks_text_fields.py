"""A task's title and description refuse control characters (the text rule,
tests/unit/test_text_fields.py), a description keeping tabs and line breaks."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.support.api import assert_problem, bearer, login, register

pytestmark = pytest.mark.unit


def field_error(response: Any, field: str) -> None:
    problem = assert_problem(response, 422, "control_character")
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [(field, "control_character")]


@pytest.mark.parametrize("bad", ["\x00", "\x1b[31m", "\x7f", "\x85", "a\nb", "\t"])
def test_task_titles_refuse_control_characters(client: FlaskClient, bad: str) -> None:
    register(client)
    headers = bearer(login(client))
    field_error(client.post("/tasks", headers=headers, json={"title": f"buy{bad}"}), "title")
    task = client.post("/tasks", headers=headers, json={"title": "buy"}).get_json()
    patch = client.patch(f"/tasks/{task['id']}", headers=headers, json={"title": f"x{bad}y"})
    field_error(patch, "title")


def test_descriptions_keep_tabs_and_line_breaks_only(client: FlaskClient) -> None:
    register(client)
    headers = bearer(login(client))
    kept = "first line\r\n\tsecond line\n"
    created = client.post("/tasks", headers=headers, json={"title": "t", "description": kept})
    assert created.status_code == 201 and created.get_json()["description"] == kept
    for bad in ("nul\x00", "bell\x07", "vt\x0b"):
        response = client.post("/tasks", headers=headers, json={"title": "t", "description": bad})
        field_error(response, "description")
