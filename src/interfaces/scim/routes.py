"""The SCIM endpoints under ``/scim/v2`` (docs/reference/scim.md): their rules and error
handlers, registered with the app; what serves them (``serving.py``, scim2-server and
scim2-models) is imported by the first SCIM request (docs/benchmarks.md, "Cold start")."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, cast

from flask import Blueprint, Response, current_app
from werkzeug.exceptions import HTTPException

from domain.errors import DomainError

if TYPE_CHECKING:
    from scim2_server.service import ScimService

PREFIX = "/scim/v2"
EXTENSION = "firegate.scim"
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]

bp = Blueprint("scim", __name__, url_prefix=PREFIX)


class ScimServer:
    """The SCIM service of this app, made by its first request, and the base URL its
    answers name."""

    def __init__(self, public_url: str) -> None:
        self.base_url = public_url.rstrip("/") + PREFIX

    @cached_property
    def service(self) -> ScimService:
        from interfaces.scim.protocol import scim_service  # noqa: PLC0415 - on first use

        return scim_service()


def _server() -> ScimServer:
    return cast(ScimServer, current_app.extensions[EXTENSION])


# The base, with or without its slash (no redirect: a directory would not follow one)
@bp.route("/", defaults={"path": ""}, methods=METHODS, strict_slashes=False)
@bp.route("/<path:path>", methods=METHODS)
def scim(path: str) -> Response:
    """Any SCIM request: authenticated, then served by the library's service."""
    from interfaces.scim import serving  # noqa: PLC0415 - scim2-server: on first use

    server = _server()
    return serving.serve(server.service, server.base_url, path)


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError) -> Response:
    from interfaces.scim import serving  # noqa: PLC0415 - scim2-models: on first use

    return serving.domain_error(exc)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    from interfaces.scim import serving  # noqa: PLC0415 - scim2-models: on first use

    return serving.http_error(_server().service, exc)
