from __future__ import annotations

from flask import Response
from pydantic import BaseModel


def json_response(
    body: BaseModel, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    response = Response(body.model_dump_json(), status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def no_content() -> Response:
    """204: no body, so no ``Content-Type`` (Flask would say text/html)."""
    response = Response(status=204)
    del response.headers["Content-Type"]
    return response
