"""SCIM's enterprise extension onto profile attributes: what a resource as sent changes,
and what an answer reads back (docs/reference/scim.md, "Enterprise attributes")."""

from __future__ import annotations

import json
from typing import Any

import pytest

from domain.accounts.attributes import ProfileSchema
from domain.scim.enterprise import ENTERPRISE, answered, extended, sent_changes
from infrastructure.re2_patterns import re2_matcher

pytestmark = pytest.mark.unit

SCHEMA = ProfileSchema.parse(
    {
        "type": "object",
        "properties": {
            "department": {"type": "string", "x-read": ["scim"], "x-write": ["scim"]},
            "employeeNumber": {"type": "string", "x-read": ["admin"], "x-write": ["scim"]},
            "costCenter": {"type": "string", "x-read": ["scim"], "x-write": ["admin"]},
            "manager": {"type": "string", "x-read": ["scim"], "x-write": ["scim"]},
            "nickname": {"type": "string", "x-read": ["scim"], "x-write": ["scim"]},
        },
    },
    patterns=re2_matcher,
)


def sent(**extension: Any) -> str:
    return json.dumps({"userName": "nina", "schemas": [ENTERPRISE], ENTERPRISE: extension})


def test_the_extension_changes_the_attributes_scim_writes() -> None:
    document = sent(
        department="Sales",
        employeeNumber="E7",
        costCenter="CC1",
        organization="Acme",
        manager={"value": "m1", "displayName": "Boss"},
        nickname="not an enterprise attribute",
    )
    assert sent_changes(document, SCHEMA) == {
        "department": "Sales",
        "employeeNumber": "E7",
        "manager": "m1",
    }


def test_left_out_removes_what_scim_reads_and_leaves_what_it_only_writes() -> None:
    assert sent_changes(sent(), SCHEMA) == {"department": None, "manager": None}
    assert sent_changes(json.dumps({"userName": "nina"}), SCHEMA) == {}
    assert not extended(json.dumps({"userName": "nina"}))


def test_an_answer_reads_back_the_accounts_values_where_scim_reads_them() -> None:
    document = sent(department="Sales", employeeNumber="E7", organization="Acme")
    values = {"department": "Support", "employeeNumber": "E7", "costCenter": "CC9", "manager": "m2"}
    resource = json.loads(answered(document, SCHEMA, values))
    assert resource[ENTERPRISE] == {
        "department": "Support",
        "organization": "Acme",
        "costCenter": "CC9",
        "manager": {"value": "m2"},
    }
    emptied = json.loads(answered(sent(employeeNumber="E7"), SCHEMA, {}))
    assert ENTERPRISE not in emptied
    assert emptied["schemas"] == []
