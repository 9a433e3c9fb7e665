"""Profile attributes over HTTP on the Firestore emulator: the schema admins store at
/admin/profile-schema, or the PROFILE_SCHEMA file's, which wins (docs/reference/accounts.md,
"Profile attributes")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bootstrap import build_adapters, build_app
from tests.support.api import admin_token, assert_field_error, assert_problem, user_token
from tests.support.settings import make_settings

pytestmark = pytest.mark.e2e

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "department": {
            "type": "string",
            "maxLength": 64,
            "x-read": ["user", "admin", "scim"],
            "x-write": ["admin", "scim"],
            "x-scope": "profile",
        },
        "floor": {"type": "integer", "minimum": 0, "x-write": ["user", "admin"]},
    },
}


def test_admins_store_the_schema_and_it_is_checked(
    real_app: Flask, real_client: FlaskClient, firestore: Any
) -> None:
    root = admin_token(real_app, real_client)
    bob = user_token(real_app, real_client, "bob")
    assert real_client.get("/admin/profile-schema", headers=root).get_json() == {
        "source": "none",
        "document": {},
    }
    assert_problem(real_client.get("/admin/profile-schema", headers=bob), 403, "admin_required")
    refused = real_client.put("/admin/profile-schema", json=SCHEMA, headers=bob)
    assert_problem(refused, 403, "admin_required")

    stored = real_client.put("/admin/profile-schema", json=SCHEMA, headers=root)
    assert stored.status_code == 200
    assert stored.get_json() == {"source": "admin", "document": SCHEMA}
    assert real_client.get("/admin/profile-schema", headers=root).get_json()["document"] == SCHEMA
    assert firestore.collection("profile_schemas").document("current").get().exists

    wrong = dict(SCHEMA, properties={"floor": {"type": "integer", "maxLength": 3}})
    answer = real_client.put("/admin/profile-schema", json=wrong, headers=root)
    assert_field_error(answer, "properties.floor.maxLength", "invalid_profile_schema")
    assert real_client.get("/admin/profile-schema", headers=root).get_json()["document"] == SCHEMA
    not_an_object = real_client.put("/admin/profile-schema", json=[1], headers=root)
    assert_problem(not_an_object, 400, "json_not_object")


def test_the_file_wins_and_cannot_be_replaced(
    tmp_path: Path, firestore: Any, real_app: Flask, real_client: FlaskClient
) -> None:
    root = admin_token(real_app, real_client)
    stored = {"type": "object", "properties": {"other": {"type": "boolean"}}}
    assert real_client.put("/admin/profile-schema", json=stored, headers=root).status_code == 200
    path = tmp_path / "profile.schema.json"
    path.write_text(json.dumps(SCHEMA))
    settings = make_settings(profile_schema=str(path))
    client = build_app(settings, build_adapters(settings, firestore=firestore)).test_client()
    assert client.get("/admin/profile-schema", headers=root).get_json() == {
        "source": "file",
        "document": SCHEMA,
    }
    answer = client.put("/admin/profile-schema", json=stored, headers=root)
    assert_problem(answer, 409, "profile_schema_pinned")


def test_a_wrong_file_stops_the_start(tmp_path: Path) -> None:
    path = tmp_path / "profile.schema.json"
    path.write_text(json.dumps({"type": "object", "properties": {"x": {"type": "float"}}}))
    with pytest.raises(ValueError, match=r"properties\.x\.type"):
        make_settings(profile_schema=str(path))
    with pytest.raises(ValueError, match="cannot be read"):
        make_settings(profile_schema=str(tmp_path / "absent.json"))
