"""The API's reading of a request that fails its schema: the fields, as a domain error that
the app shell's handlers answer as a problem (interfaces/shared/problems.py)."""

from __future__ import annotations

from pydantic import ValidationError

from domain.errors import FieldError, InvalidInput


def validation_problem(exc: ValidationError) -> InvalidInput:
    errors = []
    for err in exc.errors(include_url=False, include_context=False, include_input=False):
        field = ".".join(str(part) for part in err["loc"]) or "body"
        code = "unknown_field" if err["type"] == "extra_forbidden" else err["type"]
        message = "Unknown field." if code == "unknown_field" else err["msg"]
        errors.append(FieldError(field=field, message=message, code=code))
    return InvalidInput("The request has invalid fields.", errors=tuple(errors))
