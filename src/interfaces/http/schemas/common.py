from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    """Request bodies: unknown fields are refused (no mass assignment), no type coercion."""

    model_config = ConfigDict(extra="forbid", strict=True)


def not_null(schema: dict[str, Any]) -> None:
    """``json_schema_extra`` of a field that may be left out but is never null (the parser
    refuses null with a 422): the document offers no null for it, and no null default."""
    kept = [choice for choice in schema.pop("anyOf", ()) if choice.get("type") != "null"]
    if len(kept) == 1:
        schema.update(kept[0])
    elif kept:
        schema["anyOf"] = kept
    if "default" in schema and schema["default"] is None:
        del schema["default"]


# domain/text.py's rule as JSON Schema (documentation; the domain enforces it, 422
# control_character). A "pattern" constrains strings only, so it also fits "string or null".
SINGLE_LINE = "^[^\\x00-\\x1f\\x7f-\\x9f]*$"
MULTI_LINE = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$"


def single_line(schema: dict[str, Any]) -> None:
    schema["pattern"] = SINGLE_LINE


def multi_line(schema: dict[str, Any]) -> None:
    schema["pattern"] = MULTI_LINE


def single_line_not_null(schema: dict[str, Any]) -> None:
    not_null(schema)
    single_line(schema)


class FieldProblem(BaseModel):
    field: str
    message: str
    code: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(examples=["urn:firegate:problem:username_taken"])
    title: str
    status: int
    detail: str
    code: str = Field(description="Stable snake_case identifier of the error")
    instance: str | None = None
    errors: list[FieldProblem] | None = None


class Health(BaseModel):
    status: str


class JsonWebKey(BaseModel):
    model_config = ConfigDict(extra="allow")
    kty: str
    kid: str
    alg: str
    use: str


class JsonWebKeySet(BaseModel):
    keys: list[JsonWebKey]
