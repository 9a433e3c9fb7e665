"""The dogs unit's routes as /openapi.json documents them (regressions from fuzzing,
tests/e2e/test_fuzz_openapi.py): fields that refuse null, the PUT body's needed field, a
new dog's optional body, a repeated query parameter, the name pattern."""

from __future__ import annotations

import unicodedata
from typing import Any

import jsonschema_rs
import pytest
from flask.testing import FlaskClient
from hypothesis import assume, given
from hypothesis import strategies as st

from domain.dogs import NAME_MAX, DogName
from domain.errors import InvalidInput
from interfaces.http.routes.dogs.schemas import DOG_NAME_PATTERN
from tests.support.api import bearer, login, register

pytestmark = pytest.mark.unit


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    result: dict[str, Any] = client.get("/openapi.json").get_json()
    return result


def test_the_update_refuses_null_and_needs_a_field(document: dict[str, Any]) -> None:
    update = document["components"]["schemas"]["DogUpdate"]
    for name in ("is_adopted", "name"):
        field = update["properties"][name]
        assert field.get("type") != "null", name
        assert not any(c.get("type") == "null" for c in field.get("anyOf", [])), name
        assert "default" not in field or field["default"] is not None
    # PUT /dogs/{name} without is_adopted and name: 422.
    assert update["anyOf"] == [{"required": ["is_adopted"]}, {"required": ["name"]}]


def test_the_body_of_a_new_dog_may_be_left_out(
    document: dict[str, Any], client: FlaskClient
) -> None:
    assert document["paths"]["/dogs/{name}"]["post"]["requestBody"]["required"] is False
    register(client)
    created = client.post("/dogs/Rex", headers=bearer(login(client)))
    assert created.status_code == 202


def test_a_repeated_query_parameter_is_a_documented_400(
    document: dict[str, Any], client: FlaskClient
) -> None:
    response = client.get("/dogs?limit=1&limit=1")
    assert response.status_code == 400
    assert response.get_json()["code"] == "repeated_field"
    assert {"400", "422"} <= set(document["paths"]["/dogs"]["get"]["responses"])


NAME_CHARS = st.sampled_from("aZ09 _-.'/%\x00\té\u0391\u0436\u4e2d\u0663\u00b2\u2028")


@given(st.text(NAME_CHARS, max_size=70) | st.sampled_from(["is_adopted", "IS_Adopted", "a" * 65]))
def test_the_dog_name_pattern_is_the_domain_rule(name: str) -> None:
    assume(unicodedata.normalize("NFKC", name) == name)  # the pattern sees what was sent
    try:
        DogName(name)
        valid = True
    except InvalidInput:
        valid = False
    schema = {"type": "string", "maxLength": NAME_MAX, "pattern": DOG_NAME_PATTERN}
    assert jsonschema_rs.is_valid(schema, name) == valid
