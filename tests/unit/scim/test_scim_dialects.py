"""Entra ID's removal of group members by value, read as RFC 7644's removal by a filter,
and every other PATCH body left as it came (docs/reference/scim.md, "Directories'
dialects")."""

from __future__ import annotations

import json

import pytest

from interfaces.scim.compat import plain_patch

pytestmark = pytest.mark.unit
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def test_a_removal_of_members_by_value_names_them_by_a_filter() -> None:
    body = {
        "schemas": [PATCH_OP],
        "Operations": [
            {
                "op": "Remove",
                "path": "members",
                "value": [{"$ref": None, "value": "a1"}, {"value": 'b"2'}],
            },
            {"op": "Add", "path": "members", "value": [{"value": "c3"}]},
        ],
    }
    plain = json.loads(plain_patch(json.dumps(body).encode()))
    assert plain["Operations"] == [
        {"op": "remove", "path": 'members[value eq "a1"]'},
        {"op": "remove", "path": 'members[value eq "b\\"2"]'},
        {"op": "Add", "path": "members", "value": [{"value": "c3"}]},
    ]


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"[" * 5000 + b"]" * 5000,
        b'{"Operations": "x"}',
        json.dumps({"Operations": [{"op": "remove", "path": 'members[value eq "a"]'}]}).encode(),
        json.dumps({"Operations": [{"op": "remove", "path": "members", "value": []}]}).encode(),
        json.dumps(
            {"Operations": [{"op": "remove", "path": "emails", "value": [{"value": "x"}]}]}
        ).encode(),
    ],
)
def test_anything_else_is_left_as_it_came(body: bytes) -> None:
    assert plain_patch(body) == body
