"""The association files' JSON Schemas, written from Apple's and Google's documented formats
(the ``.json`` files in ``association_schemas/`` beside this module), and a check of a body
against them."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema_rs

HERE = Path(__file__).resolve().parent / "association_schemas"
APPLE = "apple-app-site-association"
ANDROID = "assetlinks"
ValidationError = jsonschema_rs.ValidationError


def check(name: str, body: object) -> None:
    """Raise ``ValidationError`` unless ``body`` fits the schema ``name``."""
    schema = json.loads((HERE / f"{name}.schema.json").read_text(encoding="utf-8"))
    jsonschema_rs.meta.validate(schema)  # the schema itself is one
    jsonschema_rs.Draft202012Validator(schema).validate(body)
