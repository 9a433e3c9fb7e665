"""OCSF 1.5.0 events checked against the pinned schema: the JSON Schemas of the classes an
org's log stream sends (Authentication 3002, Account Change 3001, User Access Management
3005), compiled from the OCSF schema's 1.5.0 release by scripts/ocsf_schema.py into the
``.schema.json`` files of ``ocsf_1_5/`` beside this module
(docs/decisions/0949-the-pinned-ocsf-schema.md). No network is needed."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs

HERE = Path(__file__).resolve().parent / "ocsf_1_5"
CLASSES = {3001: "account_change", 3002: "authentication", 3005: "user_access"}
ValidationError = jsonschema_rs.ValidationError


@cache
def validator(class_uid: int) -> jsonschema_rs.Draft202012Validator:
    schema = json.loads((HERE / f"{CLASSES[class_uid]}.schema.json").read_text(encoding="utf-8"))
    jsonschema_rs.meta.validate(schema)  # the schema itself is one
    return jsonschema_rs.Draft202012Validator(schema)


# What picks the class: an event of none of the three is invalid as such.
ONE_OF_THEM = jsonschema_rs.Draft202012Validator(
    {"type": "object", "required": ["class_uid"], "properties": {"class_uid": {"enum": [*CLASSES]}}}
)


def validate_ocsf(event: dict[str, Any]) -> None:
    """Raise ``ValidationError`` unless ``event`` is a valid OCSF 1.5.0 event of one of the
    three classes, checked against its class's schema (by its ``class_uid``)."""
    ONE_OF_THEM.validate(event)
    validator(event["class_uid"]).validate(event)
