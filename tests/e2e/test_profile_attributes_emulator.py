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

from bootstrap import build_adapters
from tests.support.api import admin_token, assert_field_error, assert_problem, user_token
from tests.support.app import app_on
from tests.support.oauth import EmulatorWorld, claims
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
    client = app_on(settings, build_adapters(settings, firestore=firestore)).test_client()
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


def with_secret(schema: dict[str, Any]) -> dict[str, Any]:
    secret = {"type": "string", "x-read": ["admin"], "x-write": ["admin"]}
    return dict(schema, properties={**schema["properties"], "secret": secret})


def attributes_of(client: FlaskClient, token: dict[str, str]) -> dict[str, Any]:
    answer = client.get("/user", headers=token)
    assert answer.status_code == 200
    found: dict[str, Any] = answer.get_json()["attributes"]
    return found


def test_the_person_and_admins_read_and_write_what_the_schema_lets_them(
    real_app: Flask, real_client: FlaskClient, firestore: Any
) -> None:
    root = admin_token(real_app, real_client)
    bob = user_token(real_app, real_client, "bob")
    bob_id = real_client.get("/user", headers=bob).get_json()["id"]
    assert attributes_of(real_client, bob) == {}
    real_client.put("/admin/profile-schema", json=with_secret(SCHEMA), headers=root)

    mine = real_client.patch("/user", json={"attributes": {"floor": 3}}, headers=bob)
    assert mine.status_code == 200 and mine.get_json()["attributes"] == {"floor": 3}
    changes: list[tuple[dict[str, object], str]] = [
        ({"department": "Sales"}, "attribute_not_writable"),
        ({"floor": -1}, "invalid_attribute_value"),
        ({"floor": "3rd"}, "invalid_attribute_value"),
        ({"shoe": 42}, "unknown_attribute"),
    ]
    for change, code in changes:
        answer = real_client.patch("/user", json={"attributes": change}, headers=bob)
        assert_field_error(answer, f"attributes.{next(iter(change))}", code)
    both = real_client.patch(
        "/user", json={"attributes": {"department": "x", "shoe": 1}}, headers=bob
    )
    fields = [(e["field"], e["code"]) for e in both.get_json()["errors"]]
    assert fields == [
        ("attributes.department", "attribute_not_writable"),
        ("attributes.shoe", "unknown_attribute"),
    ]
    assert_field_error(
        real_client.patch("/user", json={"attributes": None}, headers=bob),
        "attributes",
        "null_not_allowed",
    )

    change = {"attributes": {"department": "Sales", "secret": "s3"}}
    by_admin = real_client.patch(f"/users/{bob_id}", json=change, headers=root)
    assert by_admin.status_code == 200
    assert by_admin.get_json()["attributes"] == {"floor": 3, "department": "Sales", "secret": "s3"}
    assert attributes_of(real_client, bob) == {"floor": 3, "department": "Sales"}
    shown = real_client.get(f"/users/{bob_id}", headers=root).get_json()["attributes"]
    assert shown == {"floor": 3, "department": "Sales", "secret": "s3"}
    assert real_client.get(f"/users/{bob_id}", headers=bob).get_json()["attributes"] == {
        "floor": 3,
        "department": "Sales",
    }
    refused = real_client.patch(
        f"/users/{bob_id}", json={"attributes": {"floor": 1.5}}, headers=root
    )
    assert_field_error(refused, "attributes.floor", "invalid_attribute_value")
    stored = firestore.collection("users").document(bob_id).get().to_dict()
    assert stored["attributes"] == {"floor": 3, "department": "Sales", "secret": "s3"}

    # PUT /user writes the attributes it names and leaves the others.
    put = real_client.put(
        "/user", json={"username": "bob", "attributes": {"floor": None}}, headers=bob
    )
    assert put.status_code == 200 and put.get_json()["attributes"] == {"department": "Sales"}
    assert (
        real_client.patch("/user", json={"attributes": {"floor": 4}}, headers=bob).status_code
        == 200
    )


def bob_with_values(app: Flask, client: FlaskClient) -> tuple[dict[str, str], dict[str, str], str]:
    """An admin's and bob's tokens and bob's id, under SCHEMA, bob in Sales on floor 7."""
    root = admin_token(app, client)
    bob = user_token(app, client, "bob")
    bob_id = client.get("/user", headers=bob).get_json()["id"]
    client.put("/admin/profile-schema", json=SCHEMA, headers=root)
    client.patch(f"/users/{bob_id}", json={"attributes": {"department": "Sales"}}, headers=root)
    client.patch("/user", json={"attributes": {"floor": 7}}, headers=bob)
    return root, bob, bob_id


def test_a_schema_change_keeps_every_stored_value(
    real_app: Flask, real_client: FlaskClient, firestore: Any
) -> None:
    root, bob, bob_id = bob_with_values(real_app, real_client)

    # The floor removed: hidden, kept, and carried over by later writes.
    without_floor = dict(SCHEMA, properties={"department": SCHEMA["properties"]["department"]})
    real_client.put("/admin/profile-schema", json=without_floor, headers=root)
    assert attributes_of(real_client, bob) == {"department": "Sales"}
    assert_field_error(
        real_client.patch("/user", json={"attributes": {"floor": 8}}, headers=bob),
        "attributes.floor",
        "unknown_attribute",
    )
    again = real_client.patch(
        f"/users/{bob_id}", json={"attributes": {"department": "Ops"}}, headers=root
    )
    assert again.get_json()["attributes"] == {"department": "Ops"}
    stored = firestore.collection("users").document(bob_id).get().to_dict()
    assert stored["attributes"] == {"department": "Ops", "floor": 7}

    # The department narrowed: its value still answered; only new writes meet the bound.
    narrowed = {"department": dict(SCHEMA["properties"]["department"], maxLength=2)}
    real_client.put(
        "/admin/profile-schema",
        json=dict(SCHEMA, properties={**SCHEMA["properties"], **narrowed}),
        headers=root,
    )
    assert attributes_of(real_client, bob) == {"department": "Ops", "floor": 7}
    long = {"attributes": {"department": "Sales"}}
    assert_field_error(
        real_client.patch(f"/users/{bob_id}", json=long, headers=root),
        "attributes.department",
        "invalid_attribute_value",
    )
    assert real_client.patch("/user", json={"attributes": {"floor": 8}}, headers=bob).get_json()[
        "attributes"
    ] == {"department": "Ops", "floor": 8}


def run_cli(app: Flask, *args: str) -> dict[str, Any]:
    result = app.test_cli_runner().invoke(args=["users", *args])
    summary: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return summary


def test_export_and_import_carry_the_attributes(
    real_app: Flask, real_client: FlaskClient, firestore: Any, emulators: Any, tmp_path: Path
) -> None:
    root, _, bob_id = bob_with_values(real_app, real_client)
    only_floor = dict(SCHEMA, properties={"floor": SCHEMA["properties"]["floor"]})
    real_client.put("/admin/profile-schema", json=only_floor, headers=root)  # department hidden

    out = tmp_path / "users.jsonl"
    assert run_cli(real_app, "export", str(out))["exported"] == 2
    records = {
        json.loads(line)["username"]: json.loads(line) for line in out.read_text().splitlines()
    }
    assert records["bob"]["attributes"] == {"department": "Sales", "floor": 7}  # the hidden too

    emulators.wipe()  # an empty firegate, with no schema: every value comes back, hidden
    moved = run_cli(real_app, "import", str(out), "--format", "jsonl")
    assert (moved["imported"], moved["failed"]) == (2, 0)
    stored = firestore.collection("users").document(bob_id).get().to_dict()
    assert stored["attributes"] == {"department": "Sales", "floor": 7}

    root = admin_token(real_app, real_client, "root2")
    real_client.put("/admin/profile-schema", json=SCHEMA, headers=root)
    shown = real_client.get(f"/users/{bob_id}", headers=root).get_json()["attributes"]
    assert shown == {"department": "Sales", "floor": 7}

    # An import checks the values of the attributes the schema defines; --update replaces.
    line = dict(records["bob"], attributes={"floor": -2})
    wrong = tmp_path / "wrong.jsonl"
    wrong.write_text(json.dumps(line) + "\n")
    refused = run_cli(real_app, "import", str(wrong), "--format", "jsonl", "--update")
    assert (refused["failed"], refused["errors"][0]["reason"]) == (1, "invalid_attribute_value")
    line = dict(records["bob"], attributes={"floor": 2, "department": "Ops"})
    wrong.write_text(json.dumps(line) + "\n")
    updated = run_cli(real_app, "import", str(wrong), "--format", "jsonl", "--update")
    assert (updated["updated"], updated["failed"]) == (1, 0)
    stored = firestore.collection("users").document(bob_id).get().to_dict()
    assert stored["attributes"] == {"department": "Ops", "floor": 2}


RELEASED: dict[str, Any] = {
    "type": "object",
    "properties": {
        "department": {"type": "string", "x-scope": "profile"},
        "badge": {"type": "integer", "x-scope": "email"},
        "nickname": {"type": "string"},
        "team": {"type": "string", "x-scope": "profile"},
    },
}


def test_an_apps_id_token_and_userinfo_carry_the_attributes_its_scope_releases(
    firestore: Any,
) -> None:
    settings = make_settings()
    world = EmulatorWorld(app_on(settings, build_adapters(settings, firestore=firestore)))
    api = world.app.test_client()
    root = admin_token(world.app, api)
    unknown = dict(RELEASED, properties={"extra": {"type": "string", "x-scope": "hr"}})
    answer = api.put("/admin/profile-schema", json=unknown, headers=root)
    assert_field_error(answer, "properties.extra.x-scope", "invalid_profile_schema")
    assert api.put("/admin/profile-schema", json=RELEASED, headers=root).status_code == 200

    app = world.register()
    alice = claims(world, world.tokens(app)["id_token"])["sub"]
    values = {"department": "Sales", "badge": 7, "nickname": "Al", "team": "Blue"}
    written = api.patch(f"/users/{alice}", json={"attributes": values}, headers=root)
    assert written.status_code == 200, written.get_json()
    # The schema drops ``team``: its value is kept, and no more released.
    dropped = dict(RELEASED, properties=dict(RELEASED["properties"]))
    del dropped["properties"]["team"]
    assert api.put("/admin/profile-schema", json=dropped, headers=root).status_code == 200

    tokens = world.tokens(app, scope="openid profile")
    found = claims(world, tokens["id_token"])
    assert (found["department"], found["preferred_username"]) == ("Sales", "alice")
    assert not {"badge", "nickname", "team"} & set(found)
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    info = world.client.get("/oauth/userinfo", headers=bearer).get_json()
    assert info["department"] == "Sales"
    assert not {"badge", "nickname", "team"} & set(info)

    tokens = world.tokens(app, scope="openid email")
    found = claims(world, tokens["id_token"])
    assert found["badge"] == 7
    assert "department" not in found
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert world.client.get("/oauth/userinfo", headers=bearer).get_json()["badge"] == 7

    # Discovery names the attributes released as claims; the claims parameter asking for
    # one releases it only once its scope is granted.
    supported = world.client.get("/.well-known/openid-configuration").get_json()
    assert {"department", "badge"} <= set(supported["claims_supported"])
    assert not {"nickname", "team"} & set(supported["claims_supported"])
    asked = json.dumps({"id_token": {"department": None}, "userinfo": {"department": None}})
    tokens = world.tokens(app, scope="openid email", claims=asked)
    assert "department" not in claims(world, tokens["id_token"])
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert "department" not in world.client.get("/oauth/userinfo", headers=bearer).get_json()
    tokens = world.tokens(app, scope="openid profile", claims=asked)
    assert claims(world, tokens["id_token"])["department"] == "Sales"


# The attack report's shape: a nested quantifier a backtracking engine takes 2^n steps on (28
# letters held a worker 14.5 s; 40 would hold it for hours, past any test's timeout).
NESTED = "^(a+)+$"
NEARLY = "a" * 40 + "!"


def test_a_pattern_is_checked_in_linear_time_or_refused_where_it_is_loaded(
    real_app: Flask, real_client: FlaskClient, firestore: Any
) -> None:
    root = admin_token(real_app, real_client)
    bob = user_token(real_app, real_client, "bob")
    bob_id = real_client.get("/user", headers=bob).get_json()["id"]
    code = {"type": "string", "pattern": NESTED, "x-write": ["user", "admin"]}
    schema = {"type": "object", "properties": {"code": code}}
    stored = real_client.put("/admin/profile-schema", json=schema, headers=root)
    assert stored.status_code == 200, stored.get_json()

    # Every write of the attribute passes the one check: the person's, an admin's.
    answer = real_client.patch("/user", json={"attributes": {"code": NEARLY}}, headers=bob)
    assert_field_error(answer, "attributes.code", "invalid_attribute_value")
    by_admin = real_client.patch(
        f"/users/{bob_id}", json={"attributes": {"code": NEARLY}}, headers=root
    )
    assert_field_error(by_admin, "attributes.code", "invalid_attribute_value")
    surrogate = b'{"attributes": {"code": "aa\\ud800"}}'
    not_text = real_client.patch(
        "/user", data=surrogate, content_type="application/json", headers=bob
    )
    assert_field_error(not_text, "attributes.code", "invalid_attribute_value")
    fits = real_client.patch("/user", json={"attributes": {"code": "a" * 28}}, headers=bob)
    assert fits.status_code == 200 and fits.get_json()["attributes"] == {"code": "a" * 28}

    # What RE2 cannot check in linear time is refused at load, naming the keyword.
    for pattern in ("^(a)\\1$", "^(?=a)a+$", "^(?!b)a+$", "a(?<=a)"):
        backtracking = {"type": "object", "properties": {"code": dict(code, pattern=pattern)}}
        refused = real_client.put("/admin/profile-schema", json=backtracking, headers=root)
        assert_field_error(refused, "properties.code.pattern", "invalid_profile_schema")
    assert real_client.get("/admin/profile-schema", headers=root).get_json()["document"] == schema


def test_a_file_with_a_pattern_re2_refuses_stops_the_start(tmp_path: Path) -> None:
    path = tmp_path / "profile.schema.json"
    lookahead = {"type": "string", "pattern": "^(?=.*[0-9]).+$"}
    path.write_text(json.dumps({"type": "object", "properties": {"code": lookahead}}))
    with pytest.raises(ValueError, match=r"properties\.code\.pattern"):
        make_settings(profile_schema=str(path))
