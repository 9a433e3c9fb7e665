"""Request parsing: 400 for what cannot be read, 422 for what does not validate."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import request
from pydantic import BaseModel, ValidationError

from application.json_text import UnreadableJson, read_json
from interfaces.http.errors import validation_problem
from interfaces.shared.problems import BadRequest

M = TypeVar("M", bound=BaseModel)

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _is_json(mimetype: str) -> bool:
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


def read_json_object() -> dict[str, Any]:
    if not _is_json(request.mimetype):
        raise BadRequest(
            "The body must be JSON, sent with Content-Type: application/json.",
            code="unsupported_media_type",
        )
    raw = request.get_data(cache=True)  # bounded by MAX_CONTENT_LENGTH (413)
    try:
        data = read_json(raw.decode("utf-8"))
    except UnreadableJson as exc:
        if exc.code == "malformed_json":
            raise BadRequest("The body is not valid UTF-8 JSON.", code=exc.code) from None
        raise BadRequest(str(exc), code=exc.code) from None
    except UnicodeDecodeError:
        raise BadRequest("The body is not valid UTF-8 JSON.", code="malformed_json") from None
    if not isinstance(data, dict):
        raise BadRequest("The JSON body must be an object.", code="json_not_object")
    return data


def validate[M: BaseModel](model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_problem(exc) from None


def folded(data: dict[str, Any], model: type[BaseModel]) -> dict[str, Any]:
    """``data`` with each key that names a field of ``model`` in another casing (``Email``
    for ``email``) renamed to that field; a field given in two casings is a 400. Only the
    compatibility routes ask for this (docs/migrating.md)."""
    fields = model.model_fields
    by_fold = {name.casefold(): name for name in fields}
    renamed: dict[str, Any] = {}
    for key, value in data.items():
        name = key if key in fields else by_fold.get(key.casefold(), key)
        if name in renamed:
            raise BadRequest(f"Field '{name}' is given twice.", code="repeated_field")
        renamed[name] = value
    return renamed


def parse_json[M: BaseModel](model: type[M], *, any_casing: bool = False) -> M:
    data = read_json_object()
    return validate(model, folded(data, model) if any_casing else data)


def parse_form[M: BaseModel](model: type[M], *, any_casing: bool = False) -> M:
    form = request.form
    duplicated = [key for key in form if len(form.getlist(key)) > 1]
    if duplicated:
        raise BadRequest(f"Form field '{duplicated[0]}' is repeated.", code="repeated_field")
    data = form.to_dict(flat=True)
    return validate(model, folded(data, model) if any_casing else data)


def parse_query[M: BaseModel](model: type[M]) -> M:
    # ?cursor=a&cursor=b is ambiguous: refused like a repeated form field, never half-read.
    args = request.args
    duplicated = [key for key in args if len(args.getlist(key)) > 1]
    if duplicated:
        raise BadRequest(f"Query parameter '{duplicated[0]}' is repeated.", code="repeated_field")
    return validate(model, args.to_dict(flat=True))
