from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

ItemT = TypeVar("ItemT")

# A URL firegate sends to (a webhook's, an auth hook's): http(s), one line (documentation; the
# use case checks the rest: 422 invalid_webhook_url).
URL_PATTERN = "^https?://[^\\x00-\\x1f\\x7f-\\x9f]+$"


class Schema(BaseModel):
    # Every model of the API: its validator and serializer are built when first used, not as
    # its module is imported, so that a route module's first request builds only the models
    # it uses (docs/benchmarks.md, "Cold start"). (No docstring: it would become a
    # description.)
    model_config = ConfigDict(defer_build=True)


class Strict(Schema):
    """Request bodies: unknown fields are refused (no mass assignment), no type coercion."""

    model_config = ConfigDict(extra="forbid", strict=True)


def whole(value: object) -> object:
    """A ``BeforeValidator`` of an integer field: JSON has one number type, so ``686.0`` is
    the whole number 686; anything else is left for the strict check (``686.5`` and
    ``"686"`` are refused)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


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


def no_null(value: object) -> object:
    """A ``mode="before"`` field validator: the field may be left out, but not null."""
    if value is None:
        raise PydanticCustomError("null_not_allowed", "May not be null.")
    return value


class NoQuery(Schema):
    # a list that takes no parameter: any one is a 422 unknown_field, never ignored
    model_config = ConfigDict(extra="forbid")


class PageQuery(Schema):
    # ?limit=&cursor= of every paginated list (no docstring: it would become a description)
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(
        default=None,
        max_length=512,
        description="Opaque: the next_cursor of the previous page, as it was given",
        json_schema_extra={"pattern": "^[A-Za-z0-9_-]*$"},  # unpadded base64url
    )


class PageOut[ItemT](Schema):
    """One page of a list; subclassed per resource (``class TaskPage(PageOut[TaskOut])``)
    so the OpenAPI document names each page model after its resource."""

    items: list[ItemT]
    next_cursor: str | None


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


def email_format(schema: dict[str, Any]) -> None:
    schema["format"] = "email"


def email_format_not_null(schema: dict[str, Any]) -> None:
    not_null(schema)
    email_format(schema)


class FieldProblem(Schema):
    field: str
    message: str
    code: str


class Problem(Schema):
    """RFC 9457 problem details."""

    type: str = Field(examples=["urn:firegate:problem:username_taken"])
    title: str
    status: int
    detail: str
    code: str = Field(description="Stable snake_case identifier of the error")
    instance: str | None = None
    errors: list[FieldProblem] | None = None


class Health(Schema):
    status: str


class JsonWebKey(Schema):
    model_config = ConfigDict(extra="allow")
    kty: str
    kid: str
    alg: str
    use: str


class JsonWebKeySet(Schema):
    keys: list[JsonWebKey]
