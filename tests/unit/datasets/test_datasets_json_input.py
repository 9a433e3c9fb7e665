"""The JSON a dataset's upload carries (its schema, a form field or a file part): nesting
bounded before parsing, repeated keys refused (moved here from tests/unit/test_json_input.py)."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.api import assert_problem, user_token

pytestmark = pytest.mark.unit

DEEP = "[" * 1000 + "]" * 1000  # 2 KB, past the recursion limit of json.loads


def test_a_deep_dataset_schema_is_400(fake_app: Flask, client: FlaskClient) -> None:
    headers = user_token(fake_app, client, "ulla", "uploader")
    for schema in (DEEP, (io.BytesIO(DEEP.encode()), "schema.json")):
        response = client.post(
            "/datasets",
            headers=headers,
            data={"name": "d", "schema": schema, "file": (io.BytesIO(b"a\n1\n"), "a.csv")},
        )
        assert_problem(response, 400, "json_too_deep")


def test_a_schema_with_repeated_keys_is_400(fake_app: Flask, client: FlaskClient) -> None:
    headers = user_token(fake_app, client, "ulla", "uploader")
    schema = '{"a": {"type": "integer"}, "a": {"type": "string"}}'
    response = client.post(
        "/datasets",
        headers=headers,
        data={"name": "d", "schema": schema, "file": (io.BytesIO(b"a\n1\n"), "a.csv")},
    )
    assert_problem(response, 400, "duplicate_key")
