"""scripts/ocsf_schema.py compiles OCSF's schema source into JSON Schema as the OCSF server
does with no profile: here on a small source of the same shape (the real one is the
ocsf/ocsf-schema repository at its tag 1.5.0, docs/decisions/0949-the-pinned-ocsf-schema.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from scripts.ocsf_schema import compiled, main, stale

pytestmark = pytest.mark.unit

DICTIONARY = {
    "attributes": {
        "activity_id": {"type": "integer_t", "enum": {"0": {}, "99": {}}},
        "category_uid": {"type": "integer_t"},
        "class_uid": {"type": "integer_t"},
        "type_uid": {"type": "long_t"},
        "time": {"type": "timestamp_t"},
        "metadata": {"type": "metadata"},
        "user": {"type": "user"},
        "actor": {"type": "user"},
        "device": {"type": "device"},
        "name": {"type": "string_t"},
        "uid": {"type": "string_t"},
        "ip": {"type": "ip_t"},
        "port": {"type": "port_t"},
        "tags": {"type": "string_t", "is_array": True},
        "data": {"type": "json_t"},
        "unmapped": {"type": "object"},
        "is_mfa": {"type": "boolean_t"},
    },
    "types": {
        "attributes": {
            "string_t": {},
            "integer_t": {},
            "long_t": {},
            "boolean_t": {},
            "json_t": {},
            "timestamp_t": {"type": "long_t"},
            "ip_t": {"type": "string_t", "regex": "^[0-9.]+$", "max_len": 40},
            "port_t": {"type": "integer_t", "range": [0, 65535]},
        }
    },
}
FILES: dict[str, Any] = {
    "dictionary.json": DICTIONARY,
    "categories.json": {"attributes": {"iam": {"uid": 3, "caption": "IAM"}}},
    "profiles/host.json": {
        "name": "host",
        "attributes": {"device": {"requirement": "recommended"}, "actor": {}},
    },
    "events/base_event.json": {
        "name": "base_event",
        "caption": "Base Event",
        "attributes": {
            "$include": ["profiles/host.json"],
            "activity_id": {"requirement": "required"},
            "category_uid": {"requirement": "required"},
            "class_uid": {"requirement": "required"},
            "type_uid": {"requirement": "required"},
            "time": {"requirement": "required"},
            "metadata": {"requirement": "required"},
            "unmapped": {"requirement": "optional"},
        },
    },
    "events/iam/iam.json": {
        "name": "iam",
        "caption": "IAM",
        "category": "iam",
        "extends": "base_event",
        "attributes": {"actor": {"requirement": "recommended", "profile": None}},
    },
    "events/iam/authentication.json": {
        "uid": 2,
        "name": "authentication",
        "caption": "Authentication",
        "extends": "iam",
        "attributes": {
            "activity_id": {"enum": {"1": {"caption": "Logon"}}},
            "user": {"requirement": "required"},
            "data": {},
            "is_mfa": {},
        },
        "constraints": {"at_least_one": ["data", "is_mfa"]},
    },
    "objects/object.json": {"name": "object", "caption": "Object", "attributes": {}},
    "objects/_entity.json": {
        "name": "_entity",
        "caption": "Entity",
        "extends": "object",
        "attributes": {"name": {"requirement": "recommended"}, "uid": {}},
        "constraints": {"at_least_one": ["name", "uid"]},
    },
    "objects/user.json": {
        "name": "user",
        "caption": "User",
        "extends": "_entity",
        "attributes": {"tags": {}, "port": {}, "actor": {}},
    },
    "objects/metadata.json": {
        "name": "metadata",
        "caption": "Metadata",
        "extends": "object",
        "attributes": {"uid": {}, "ip": {"requirement": "required"}, "name": {}},
        "constraints": {"just_one": ["uid", "name"]},
    },
    "objects/device.json": {"name": "device", "caption": "Device", "attributes": {}},
}
RELEASED = "# CHANGELOG\n\n## [Unreleased]\n\n## [v1.5.0] - April\n\n## [v1.4.0] - January\n"


def source(root: Path, changelog: str = RELEASED) -> Path:
    for name, content in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content), encoding="utf-8")
    (root / "CHANGELOG.md").write_text(changelog, encoding="utf-8")
    return root


def schema_of(root: Path) -> dict[str, Any]:
    text = compiled(source(root), ("authentication",))["authentication.schema.json"]
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def test_a_class_has_its_parents_attributes_less_a_profile_s(tmp_path: Path) -> None:
    schema = schema_of(tmp_path)
    jsonschema_rs.meta.validate(schema)
    assert schema["title"] == "OCSF 1.5.0 Authentication (3002)"
    assert sorted(schema["properties"]) == [
        "activity_id",
        "actor",  # the host profile's, named again by iam without it
        "category_uid",
        "class_uid",
        "data",
        "is_mfa",
        "metadata",
        "time",
        "type_uid",
        "unmapped",
        "user",
    ]
    assert schema["required"] == [
        "activity_id",
        "category_uid",
        "class_uid",
        "metadata",
        "time",
        "type_uid",
        "user",
    ]
    assert schema["additionalProperties"] is False
    assert "device" not in schema["$defs"]


def test_the_class_s_numbers_are_fixed_and_its_activities_added_up(tmp_path: Path) -> None:
    properties = schema_of(tmp_path)["properties"]
    assert properties["activity_id"] == {"type": "integer", "enum": [0, 1, 99]}
    assert properties["category_uid"] == {"type": "integer", "const": 3}
    assert properties["class_uid"] == {"type": "integer", "const": 3002}
    assert properties["type_uid"] == {"type": "integer", "enum": [300200, 300201, 300299]}


def test_data_types_and_objects(tmp_path: Path) -> None:
    schema = schema_of(tmp_path)
    properties, defs = schema["properties"], schema["$defs"]
    assert properties["time"] == {"type": "integer"}
    assert properties["data"] == {}
    assert properties["is_mfa"] == {"type": "boolean"}
    assert properties["unmapped"] == {"type": "object"}
    assert properties["user"] == {"$ref": "#/$defs/user"}
    user = defs["user"]["properties"]
    assert user["tags"] == {"type": "array", "items": {"type": "string"}}
    assert user["port"] == {"type": "integer", "minimum": 0, "maximum": 65535}
    assert user["actor"] == {"$ref": "#/$defs/user"}  # an object that holds its own kind
    ip = defs["metadata"]["properties"]["ip"]
    assert ip == {"type": "string", "pattern": "^[0-9.]+$", "maxLength": 40}


def test_constraints_are_inherited_and_compiled(tmp_path: Path) -> None:
    schema = schema_of(tmp_path)
    assert schema["allOf"] == [{"anyOf": [{"required": ["data"]}, {"required": ["is_mfa"]}]}]
    assert schema["$defs"]["user"]["allOf"] == [
        {"anyOf": [{"required": ["name"]}, {"required": ["uid"]}]}  # its entity's
    ]
    assert schema["$defs"]["metadata"]["allOf"] == [
        {"oneOf": [{"required": ["uid"]}, {"required": ["name"]}]}
    ]


def test_the_compiled_schema_validates(tmp_path: Path) -> None:
    validator = jsonschema_rs.Draft202012Validator(schema_of(tmp_path))
    good: dict[str, Any] = {
        "activity_id": 1,
        "category_uid": 3,
        "class_uid": 3002,
        "type_uid": 300201,
        "time": 1,
        "metadata": {"ip": "10.0.0.1", "uid": "e1"},
        "user": {"uid": "u1", "actor": {"name": "a"}},
        "is_mfa": True,
    }
    assert validator.is_valid(good)
    for bad in (
        {**good, "device": {}},  # a profile's
        {**good, "user": {"tags": ["x"]}},  # no name nor uid
        {**good, "user": {"uid": "u1", "actor": {"port": 70000}}},
        {**good, "metadata": {"ip": "10.0.0.1", "uid": "e1", "name": "n"}},  # not just one
        {**good, "metadata": {"ip": "ten", "uid": "e1"}},
        {key: value for key, value in good.items() if key != "is_mfa"},  # nor data
        {**good, "type_uid": 300101},
    ):
        assert not validator.is_valid(bad), bad


def test_a_source_of_another_release_is_refused(tmp_path: Path) -> None:
    older = RELEASED.replace("## [v1.5.0] - April\n\n", "")
    with pytest.raises(SystemExit, match=r"is OCSF 1\.4\.0, not 1\.5\.0"):
        compiled(source(tmp_path, older), ("authentication",))


def test_check_tells_the_files_kept_from_what_the_source_compiles_to(tmp_path: Path) -> None:
    files = {"a.schema.json": "{}\n", "b.schema.json": "[]\n"}
    out = tmp_path / "out"
    out.mkdir()
    assert stale(files, out) == ["a.schema.json", "b.schema.json"]
    (out / "a.schema.json").write_text("{}\n", encoding="utf-8")
    (out / "b.schema.json").write_text("[1]\n", encoding="utf-8")
    assert stale(files, out) == ["b.schema.json"]


def test_a_wrong_usage_writes_nothing(tmp_path: Path) -> None:
    assert main([], tmp_path / "out") == 2
    assert main([str(tmp_path), "--force"], tmp_path / "out") == 2
    assert not (tmp_path / "out").exists()
