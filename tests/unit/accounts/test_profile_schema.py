"""The profile schema: what a schema may say (and the 422 naming what it may not), the check
of each kind of value, who reads and writes an attribute, and the schema in force."""

from __future__ import annotations

from dataclasses import replace as dataclass_replace
from datetime import UTC, datetime
from typing import Any

import pytest

from application.accounts.profile_schema import (
    ReplaceProfileSchema,
    ShowProfileSchema,
)
from application.signin.authentication import Actor
from domain.accounts.attributes import ProfileSchema
from domain.accounts.credentials import Username
from domain.accounts.signups import ALLOWED
from domain.accounts.users import User
from domain.errors import Conflict, InvalidInput, PermissionDenied
from infrastructure.re2_patterns import re2_matcher
from tests.fakes.accounts import FakeProfileSchemaStore, profile_schemas

pytestmark = pytest.mark.unit

NOW = datetime(2030, 1, 1, tzinfo=UTC)

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "department": {
            "type": "string",
            "maxLength": 8,
            "pattern": "^[A-Z]",
            "x-read": ["user", "admin", "scim"],
            "x-write": ["admin", "scim"],
            "x-scope": "profile",
        },
        "nickname": {"type": "string", "minLength": 2, "x-write": ["user", "admin"]},
        "floor": {"type": "integer", "minimum": 0, "maximum": 99, "x-write": ["user"]},
        "height": {"type": "number", "minimum": 0.5},
        "newsletter": {"type": "boolean", "x-write": ["user"]},
        "tier": {"enum": ["gold", "silver"], "x-read": ["admin"]},
        "shirt": {"type": "enum", "enum": ["S", "M"]},
        "born": {"type": "string", "format": "date"},
        "started": {"type": "date"},
    },
}


def admin() -> Actor:
    return Actor("a1", "alice", "admin", "s1", datetime(2030, 1, 1, tzinfo=UTC))


def person() -> Actor:
    return Actor("b1", "bob", "user", "s2", datetime(2030, 1, 1, tzinfo=UTC))


def test_a_schema_parses_into_its_attributes() -> None:
    schema = ProfileSchema.parse(SCHEMA, patterns=re2_matcher)
    kinds = {each.name: each.kind for each in schema.attributes}
    assert kinds == {
        "department": "string",
        "nickname": "string",
        "floor": "integer",
        "height": "number",
        "newsletter": "boolean",
        "tier": "enum",
        "shirt": "enum",
        "born": "date",
        "started": "date",
    }
    department = schema.by_name["department"]
    assert department.write == {"admin", "scim"} and department.scope == "profile"
    assert schema.by_name["height"].read == {"user", "admin"}  # the defaults
    assert schema.by_name["height"].write == {"admin"}


def with_property(spec: object) -> dict[str, Any]:
    return {"type": "object", "properties": {"field": spec}}


@pytest.mark.parametrize(
    ("document", "where"),
    [
        ([], "schema"),
        ({"type": "array"}, "type"),
        ({"type": "object", "required": []}, "required"),
        ({"type": "object", "additionalProperties": True}, "additionalProperties"),
        ({"type": "object", "properties": []}, "properties"),
        ({"type": "object", "properties": {"1st": {"type": "string"}}}, "properties.1st"),
        (with_property("string"), "properties.field"),
        (with_property({"type": "object"}), "properties.field.type"),
        (with_property({}), "properties.field.type"),
        (with_property({"type": "string", "default": "x"}), "properties.field.default"),
        (with_property({"type": "string", "maxLength": 1001}), "properties.field.maxLength"),
        (with_property({"type": "string", "maxLength": -1}), "properties.field.maxLength"),
        (
            with_property({"type": "string", "minLength": 5, "maxLength": 4}),
            "properties.field.maxLength",
        ),
        (with_property({"type": "string", "pattern": "("}), "properties.field.pattern"),
        # Lookarounds and backreferences: no linear-time engine checks them.
        (with_property({"type": "string", "pattern": "(a)\\1"}), "properties.field.pattern"),
        (with_property({"type": "string", "pattern": "^(?=a)"}), "properties.field.pattern"),
        (with_property({"type": "string", "pattern": "(?<!a)b"}), "properties.field.pattern"),
        (with_property({"type": "string", "pattern": "a{1001}"}), "properties.field.pattern"),
        (with_property({"type": "integer", "pattern": "x"}), "properties.field.pattern"),
        (with_property({"type": "string", "minimum": 1}), "properties.field.minimum"),
        (
            with_property({"type": "number", "minimum": 2, "maximum": 1}),
            "properties.field.maximum",
        ),
        (with_property({"type": "number", "minimum": "1"}), "properties.field.minimum"),
        (with_property({"type": "string", "format": "email"}), "properties.field.format"),
        (with_property({"type": "enum"}), "properties.field.enum"),
        (with_property({"enum": []}), "properties.field.enum"),
        (with_property({"enum": ["a", "a"]}), "properties.field.enum"),
        (with_property({"enum": [1]}), "properties.field.enum"),
        (with_property({"type": "integer", "enum": ["a"]}), "properties.field.type"),
        (with_property({"type": "string", "x-read": ["everyone"]}), "properties.field.x-read"),
        (with_property({"type": "string", "x-write": "admin"}), "properties.field.x-write"),
        (with_property({"type": "string", "x-scope": "two scopes"}), "properties.field.x-scope"),
        (with_property({"type": "string", "title": 1}), "properties.field.title"),
    ],
)
def test_a_wrong_schema_is_a_422_naming_what_is_wrong(document: object, where: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        ProfileSchema.parse(document, patterns=re2_matcher)
    assert refused.value.code == "invalid_profile_schema"
    assert [error.field for error in refused.value.errors] == [where]


def test_too_many_properties_are_refused() -> None:
    many = {f"f{n}": {"type": "boolean"} for n in range(101)}
    with pytest.raises(InvalidInput, match="At most 100"):
        ProfileSchema.parse({"type": "object", "properties": many}, patterns=re2_matcher)


@pytest.mark.parametrize(
    ("name", "value", "stored"),
    [
        ("department", "Sales", "Sales"),
        ("floor", 3, 3),
        ("floor", 3.0, 3),
        ("height", 1.75, 1.75),
        ("height", 2, 2),
        ("newsletter", False, False),
        ("tier", "gold", "gold"),
        ("born", "1990-02-28", "1990-02-28"),
        ("started", "2024-02-29", "2024-02-29"),
    ],
)
def test_a_value_of_its_kind_is_stored(name: str, value: object, stored: object) -> None:
    schema = ProfileSchema.parse(SCHEMA, patterns=re2_matcher)
    writer = "user" if name in ("floor", "newsletter") else "admin"
    written = schema.written({}, {name: value}, writer)
    assert written == {name: stored} and type(written[name]) is type(stored)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("department", "sales"),  # the pattern
        ("department", "Salesforce"),  # longer than 8
        ("department", "S\x00"),
        ("department", 5),
        ("nickname", "x"),  # shorter than 2
        ("floor", 100),
        ("floor", -1),
        ("floor", 2.5),
        ("floor", True),
        ("height", 0.1),
        ("height", "tall"),
        ("newsletter", "yes"),
        ("tier", "bronze"),
        ("born", "1990-02-30"),
        ("born", "28/02/1990"),
        ("started", 20240229),
    ],
)
def test_a_value_out_of_bounds_is_a_422_naming_the_field(name: str, value: object) -> None:
    schema = ProfileSchema.parse(SCHEMA, patterns=re2_matcher)
    writer = "user" if name in ("floor", "newsletter") else "admin"
    with pytest.raises(InvalidInput) as refused:
        schema.written({}, {name: value}, writer)
    assert [(e.field, e.code) for e in refused.value.errors] == [
        (f"attributes.{name}", refused.value.errors[0].code)
    ]
    assert refused.value.errors[0].code in ("invalid_attribute_value", "control_character")


def test_writes_follow_x_write_and_every_refusal_is_said_at_once() -> None:
    schema = ProfileSchema.parse(SCHEMA, patterns=re2_matcher)
    with pytest.raises(InvalidInput) as refused:
        schema.written({}, {"department": "Sales", "shoe": 42, "floor": 2}, "user")
    assert [(e.field, e.code) for e in refused.value.errors] == [
        ("attributes.department", "attribute_not_writable"),
        ("attributes.shoe", "unknown_attribute"),
    ]
    assert schema.written({"floor": 1}, {"floor": None}, "user") == {}


def test_reads_follow_x_read() -> None:
    schema = ProfileSchema.parse(SCHEMA, patterns=re2_matcher)
    values = {"department": "Sales", "tier": "gold"}
    assert schema.readable(values, "user") == {"department": "Sales"}
    assert schema.readable(values, "admin") == values
    assert schema.readable(values, "org_admin") == {}


def test_a_removed_attribute_is_kept_and_hidden() -> None:
    before = ProfileSchema.parse(SCHEMA, patterns=re2_matcher)
    values = before.written({}, {"floor": 7, "newsletter": True}, "user")
    narrower = dict(SCHEMA, properties={"newsletter": SCHEMA["properties"]["newsletter"]})
    after = ProfileSchema.parse(narrower, patterns=re2_matcher)
    assert after.readable(values, "user") == {"newsletter": True}
    kept = after.written(values, {"newsletter": False}, "user")
    assert kept == {"floor": 7, "newsletter": False}
    # The schema that defines it again shows the value kept.
    assert before.readable(kept, "user")["floor"] == 7


def test_a_narrowed_type_refuses_only_new_writes() -> None:
    values = ProfileSchema.parse(SCHEMA, patterns=re2_matcher).written(
        {}, {"nickname": "a long nickname"}, "user"
    )
    properties = dict(SCHEMA["properties"], nickname={"type": "string", "maxLength": 4})
    narrowed = ProfileSchema.parse(dict(SCHEMA, properties=properties), patterns=re2_matcher)
    assert narrowed.readable(values, "user") == {"nickname": "a long nickname"}
    with pytest.raises(InvalidInput):
        narrowed.written(values, {"nickname": "still too long"}, "admin")
    assert narrowed.written(values, {"floor": 1}, "user")["nickname"] == "a long nickname"


def test_admins_store_the_schema_and_read_it_back() -> None:
    schemas = profile_schemas()
    assert schemas.show(ShowProfileSchema(admin())).source == "none"
    assert schemas.current().attributes == ()
    schemas.replace(ReplaceProfileSchema(admin(), SCHEMA))
    shown = schemas.show(ShowProfileSchema(admin()))
    assert (shown.source, shown.document) == ("admin", SCHEMA)
    assert "department" in schemas.current().by_name
    with pytest.raises(InvalidInput):
        schemas.replace(ReplaceProfileSchema(admin(), with_property({"type": "object"})))
    assert schemas.show(ShowProfileSchema(admin())).document == SCHEMA


def test_only_admins_read_or_store_the_schema() -> None:
    schemas = profile_schemas()
    with pytest.raises(PermissionDenied):
        schemas.show(ShowProfileSchema(person()))
    with pytest.raises(PermissionDenied):
        schemas.replace(ReplaceProfileSchema(person(), SCHEMA))


def test_the_file_wins_over_the_stored_schema() -> None:
    store = FakeProfileSchemaStore()
    store.put(with_property({"type": "boolean"}))
    schemas = profile_schemas(store, SCHEMA)
    assert schemas.show(ShowProfileSchema(admin())).source == "file"
    assert "field" not in schemas.current().by_name
    with pytest.raises(Conflict) as refused:
        schemas.replace(ReplaceProfileSchema(admin(), SCHEMA))
    assert refused.value.code == "profile_schema_pinned"


def released_schema(**extra: Any) -> dict[str, Any]:
    """A schema releasing ``department`` (scope ``profile``) and ``badge`` (``email``), with
    ``extra`` properties beside them."""
    properties = {
        "department": {"type": "string", "x-scope": "profile"},
        "badge": {"type": "integer", "x-scope": "email"},
        "nickname": {"type": "string"},
        **extra,
    }
    return {"type": "object", "properties": properties}


def test_a_granted_scope_releases_the_attributes_it_names_and_no_others() -> None:
    store = FakeProfileSchemaStore()
    store.put(released_schema())
    values = {"department": "Sales", "badge": 7, "nickname": "Al", "gone": "kept"}
    user = replace_attributes(values)
    schemas = profile_schemas(store)
    assert schemas.released(user, "openid profile") == {"department": "Sales"}
    assert schemas.released(user, "openid email profile") == {"department": "Sales", "badge": 7}
    assert schemas.released(user, "openid") == {}


def test_a_value_the_schema_no_longer_defines_is_never_released() -> None:
    store = FakeProfileSchemaStore()
    store.put(released_schema(gone={"type": "string", "x-scope": "profile"}))
    user = replace_attributes({"department": "Sales", "gone": "hidden"})
    assert profile_schemas(store).released(user, "profile") == {
        "department": "Sales",
        "gone": "hidden",
    }
    store.put(released_schema())
    assert profile_schemas(store).released(user, "profile") == {"department": "Sales"}


@pytest.mark.parametrize(
    ("spec", "where"),
    [
        ({"type": "string", "x-scope": "hr"}, "properties.extra.x-scope"),
        ({"type": "string", "x-scope": "offline_access"}, "properties.extra.x-scope"),
    ],
)
def test_a_scope_the_provider_does_not_offer_is_refused(spec: dict[str, Any], where: str) -> None:
    schemas = profile_schemas()
    with pytest.raises(InvalidInput) as refused:
        schemas.replace(ReplaceProfileSchema(admin(), released_schema(extra=spec)))
    assert refused.value.code == "invalid_profile_schema"
    assert refused.value.errors[0].field == where
    with pytest.raises(InvalidInput):
        profile_schemas(pinned=released_schema(extra=spec))
    assert schemas.show(ShowProfileSchema(admin())).source == "none"


@pytest.mark.parametrize("name", ["email", "phone_number", "phone_number_verified", "user_id"])
def test_an_attribute_released_under_the_name_of_a_claim_firegate_gives_is_refused(
    name: str,
) -> None:
    """The reserved claims: a person's own attribute never speaks for their phone."""
    with pytest.raises(InvalidInput) as refused:
        profile_schemas().replace(
            ReplaceProfileSchema(
                admin(), released_schema(**{name: {"type": "string", "x-scope": "email"}})
            )
        )
    assert refused.value.errors[0].field == f"properties.{name}"
    unreleased = released_schema(email={"type": "string"})  # not a claim: any name serves
    profile_schemas().replace(ReplaceProfileSchema(admin(), unreleased))


def test_a_schema_stored_before_the_check_never_replaces_firegates_claims() -> None:
    store = FakeProfileSchemaStore()
    store.put(released_schema(sub={"type": "string", "x-scope": "openid"}))
    user = replace_attributes({"sub": "someone-else", "department": "Sales"})
    assert profile_schemas(store).released(user, "openid profile") == {"department": "Sales"}


def replace_attributes(values: dict[str, Any]) -> User:
    """An account holding ``values`` as its attributes (written under an earlier schema)."""
    user = User.register(
        admitted=ALLOWED,
        id="u1",
        username=Username("alice"),
        email=None,
        password_hash="h",
        now=NOW,
    )
    return dataclass_replace(user, attributes=values)


NEARLY = "a" * 28 + "!"  # the attack report's value, against a nested quantifier


@pytest.mark.parametrize("pattern", ["^(a+)+$", "^(a|a)*$", "^(a*)*$", "^(a|aa)+$"])
def test_a_nested_quantifier_is_checked_at_once(pattern: str) -> None:
    schema = ProfileSchema.parse(
        with_property({"type": "string", "pattern": pattern, "x-write": ["user"]}),
        patterns=re2_matcher,
    )
    with pytest.raises(InvalidInput) as refused:
        schema.written({}, {"field": NEARLY * 30}, "user")
    assert [(e.field, e.code) for e in refused.value.errors] == [
        ("attributes.field", "invalid_attribute_value")
    ]
    assert schema.written({}, {"field": "a" * 28}, "user") == {"field": "a" * 28}


def test_a_pattern_is_searched_as_json_schema_says() -> None:
    schema = ProfileSchema.parse(
        with_property({"type": "string", "pattern": "[0-9]{3}", "x-write": ["user"]}),
        patterns=re2_matcher,
    )
    assert schema.written({}, {"field": "room 101, west"}, "user") == {"field": "room 101, west"}
    with pytest.raises(InvalidInput):
        schema.written({}, {"field": "room 10"}, "user")


def test_a_value_that_is_not_text_is_refused() -> None:
    schema = ProfileSchema.parse(
        with_property({"type": "string", "pattern": "a", "x-write": ["user"]}),
        patterns=re2_matcher,
    )
    with pytest.raises(InvalidInput) as refused:
        schema.written({}, {"field": "a\ud800"}, "user")
    assert refused.value.errors[0].code == "invalid_attribute_value"


def test_a_stored_pattern_re2_refuses_refuses_its_writes_and_keeps_every_read() -> None:
    store = FakeProfileSchemaStore()
    store.put(  # as a schema checked by another engine was stored
        {
            "type": "object",
            "properties": {
                "code": {"type": "string", "pattern": "^(?=a)", "x-write": ["user"]},
                "floor": {"type": "integer", "x-write": ["user"]},
            },
        }
    )
    schemas = profile_schemas(store)
    bob = replace_attributes({"code": "abc", "floor": 2})
    assert schemas.readable(bob, "user") == {"code": "abc", "floor": 2}
    schema = schemas.current()
    assert schema.written(bob.attributes, {"floor": 3}, "user") == {"code": "abc", "floor": 3}
    with pytest.raises(InvalidInput) as refused:
        schema.written(bob.attributes, {"code": "abd"}, "user")
    assert refused.value.errors[0].field == "attributes.code"
