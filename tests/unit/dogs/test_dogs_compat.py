"""The replaced dogs API's /api/dogs routes (docs/migrating.md), which the dogs unit serves
with COMPAT_ROUTES: aliases of the native dog routes, documented as such. (Off, they answer
404 with every compatibility route: tests/unit/migration/test_compat_routes.py.)"""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.support.api import assert_problem, bearer, login, register

pytestmark = pytest.mark.unit

ALIASES = {
    ("GET", "/api/dogs"): "GET /dogs",
    ("GET", "/api/dogs/is_adopted"): "GET /dogs/is_adopted",
    ("GET", "/api/dogs/{name}"): "GET /dogs/{name}",
    ("POST", "/api/dogs/{name}"): "POST /dogs/{name}",
    ("PUT", "/api/dogs/{name}"): "PUT /dogs/{name}",
    ("DELETE", "/api/dogs/{name}"): "DELETE /dogs/{name}",
}


def test_each_alias_is_tagged_and_names_its_native_route(client: FlaskClient) -> None:
    document: dict[str, Any] = client.get("/openapi.json").get_json()
    for (method, path), native in ALIASES.items():
        operation = document["paths"][path][method.lower()]
        assert "compatibility" in operation["tags"], (method, path)
        assert operation["summary"] == f"Dogs API: as {native}."
        native_method, native_path = native.split(" ")
        assert native_path in document["paths"]
        assert native_method.lower() in document["paths"][native_path]


def test_the_aliases_answer_as_the_native_routes(client: FlaskClient) -> None:
    register(client, "alice")
    register(client, "bob")
    alice, bob = bearer(login(client, "alice")), bearer(login(client, "bob"))
    assert client.post("/api/dogs/Rex").status_code == client.post("/dogs/Rex").status_code == 401
    created = client.post("/api/dogs/Rex", json={"is_adopted": False}, headers=alice)
    assert created.status_code == 202
    assert created.headers["Location"] == "/dogs/Rex"  # the native path
    assert client.get("/api/dogs/rex").get_json() == client.get("/dogs/rex").get_json()
    assert client.get("/api/dogs").get_json() == client.get("/dogs").get_json()
    assert_problem(client.post("/api/dogs/REX", headers=bob), 409, "dog_name_taken")
    assert_problem(
        client.put("/api/dogs/Rex", json={"is_adopted": True}, headers=bob), 403, "not_dog_owner"
    )
    changed = client.put("/api/dogs/Rex", json={"is_adopted": True}, headers=alice)
    assert changed.status_code == 200 and changed.get_json()["is_adopted"] is True
    adopted = client.get("/api/dogs/is_adopted").get_json()["items"]
    assert [dog["name"] for dog in adopted] == ["Rex"]
    assert client.post("/api/dogs/is_adopted", headers=alice).status_code == 405
    assert client.delete("/api/dogs/Rex", headers=alice).status_code == 204
    assert_problem(client.get("/api/dogs/Rex"), 404, "dog_not_found")
