"""Free text refuses control characters (422 per field); the document says so too."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.text import check_text
from interfaces.http.schemas.common import MULTI_LINE, SINGLE_LINE
from tests.support.api import assert_problem, bearer, login, register

pytestmark = pytest.mark.unit


def refused(text: str, multiline: bool) -> bool:
    try:
        check_text("f", text, multiline=multiline)
    except InvalidInput as exc:
        return exc.code == "control_character"
    return False


@given(st.text(alphabet=st.characters(max_codepoint=0x2FF), max_size=20), st.booleans())
def test_the_document_states_the_rule_the_domain_applies(text: str, multiline: bool) -> None:
    pattern = MULTI_LINE if multiline else SINGLE_LINE
    assert refused(text, multiline) == (re.fullmatch(pattern, text) is None)


def field_error(response: Any, field: str) -> None:
    problem = assert_problem(response, 422, "control_character")
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [(field, "control_character")]


def test_names_refuse_control_characters(client: FlaskClient) -> None:
    response = client.post(
        "/register",
        json={
            "username": "alice",
            "email": "alice@example.com",
            "password": "correct horse battery",
            "name": "Al\x00ice",
        },
    )
    field_error(response, "name")
    register(client)
    headers = bearer(login(client))
    field_error(client.patch("/user", headers=headers, json={"last_name": "L\x9bx"}), "last_name")
