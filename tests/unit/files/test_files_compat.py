"""The replaced dogs API's upload, POST /api/files (docs/migrating.md), which the files unit
serves with COMPAT_ROUTES: the native POST /files itself, and absent without them (moved here
from tests/unit/migration/test_compat_routes.py's list of compatibility routes)."""

from __future__ import annotations

import io

import pytest
from flask.testing import FlaskClient

from infrastructure.settings import Settings
from tests.support.api import bearer, login, register
from tests.support.settings import make_settings

pytestmark = pytest.mark.unit


@pytest.fixture
def app_settings(request: pytest.FixtureRequest) -> Settings:
    return make_settings(**getattr(request, "param", {}))


def test_the_dogs_api_upload_is_the_native_upload(client: FlaskClient) -> None:
    register(client, "alice")
    alice = bearer(login(client, "alice"))
    part = (io.BytesIO(b"\x89PNG rex"), "rex.png", "image/png")
    stored = client.post("/api/files", headers=alice, data={"file": part})
    assert stored.status_code == 201, stored.get_json()
    body = stored.get_json()
    assert set(body) == {"id", "filename", "content_type", "size", "sha256", "created_at"}
    assert stored.headers["Location"] == f"/files/{body['id']}"
    download = client.get(f"/files/{body['id']}", headers=alice)
    assert download.status_code == 200 and download.get_data() == b"\x89PNG rex"
    again = (io.BytesIO(b"x"), "x.bin")
    assert client.post("/api/files", data={"file": again}).status_code == 401


def test_the_dogs_api_upload_is_documented_as_the_native_one(client: FlaskClient) -> None:
    document = client.get("/openapi.json").get_json()
    operation = document["paths"]["/api/files"]["post"]
    assert operation["summary"] == "Dogs API: as POST /files."
    assert operation["tags"] == ["compatibility"]


@pytest.mark.parametrize("app_settings", [{"compat_routes": False}], indirect=True)
def test_compat_routes_false_turns_it_off(client: FlaskClient) -> None:
    answer = client.post("/api/files", json={})
    assert answer.status_code == 404
    assert answer.content_type == "application/problem+json"
