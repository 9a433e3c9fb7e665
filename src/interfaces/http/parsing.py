"""Request parsing: 400 for what cannot be read, 422 for what does not validate."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import request
from pydantic import BaseModel, ValidationError

from application.json_text import UnreadableJson, read_json
from interfaces.http.errors import BadRequest, validation_problem

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


def validate(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_problem(exc) from None


def parse_json(model: type[M]) -> M:
    return validate(model, read_json_object())


def parse_form(model: type[M]) -> M:
    form = request.form
    duplicated = [key for key in form if len(form.getlist(key)) > 1]
    if duplicated:
        raise BadRequest(f"Form field '{duplicated[0]}' is repeated.", code="repeated_field")
    return validate(model, form.to_dict(flat=True))


def parse_query(model: type[M]) -> M:
    # ?cursor=a&cursor=b is ambiguous: refused like a repeated form field, never half-read.
    args = request.args
    duplicated = [key for key in args if len(args.getlist(key)) > 1]
    if duplicated:
        raise BadRequest(f"Query parameter '{duplicated[0]}' is repeated.", code="repeated_field")
    return validate(model, args.to_dict(flat=True))
