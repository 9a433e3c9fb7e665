"""The SCIM endpoints under ``/scim/v2``: each request authenticated by an org's SCIM token
and served by scim2-server's service, every error in SCIM's error schema with its
``scimType`` (docs/reference/scim.md)."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import cast

from flask import Blueprint, Response, current_app, request
from scim2_models import (
    Error,
    PayloadTooLargeException,
    SCIMException,
    UnauthorizedException,
)
from scim2_server.handler import ScimHandler
from scim2_server.requests import ScimRequest
from scim2_server.responses import ScimResponse
from scim2_server.service import ScimService
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from domain.errors import Conflict, DomainError, InvalidInput, Unauthenticated, Unavailable
from domain.orgs.orgs import Org
from interfaces.scim.compat import plain_patch
from interfaces.scim.groups import OrgGroups
from interfaces.scim.protocol import scim_service
from interfaces.scim.storage import OrgDirectory
from interfaces.scim.users import OrgUsers
from interfaces.shared.problems import status_of
from interfaces.shared.services import services

PREFIX = "/scim/v2"
EXTENSION = "firegate.scim"
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]

bp = Blueprint("scim", __name__, url_prefix=PREFIX)


class ScimServer:
    """The SCIM service of this app, and the base URL its answers name."""

    def __init__(self, public_url: str) -> None:
        self.base_url = public_url.rstrip("/") + PREFIX
        self.service: ScimService = scim_service()


def _server() -> ScimServer:
    return cast(ScimServer, current_app.extensions[EXTENSION])


def _answer(response: ScimResponse) -> Response:
    body = json.dumps(response.body) if response.body is not None else None
    return Response(body, status=response.status.value, headers=response.headers)


def _directory(scim: ScimRequest) -> Org:
    """The org whose SCIM token the request bears; 401 for anything else."""
    scheme, _, token = (scim.header("Authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthorizedException(detail="A SCIM token (Authorization: Bearer fgs_…) is needed.")
    try:
        return services().scim_tokens.authenticate(token.strip())
    except Unauthenticated:
        raise UnauthorizedException(detail="The SCIM token is not valid.") from None


@bp.route("", defaults={"path": ""}, methods=METHODS)
@bp.route("/<path:path>", methods=METHODS)
def scim(path: str) -> Response:
    """Any SCIM request: authenticated, then served by the library's service."""
    server = _server()
    body = request.get_data(cache=False)
    scim = ScimRequest(
        method=request.method,
        base_url=server.base_url,
        path="/" + path,
        query=request.args.to_dict(),
        headers=list(request.headers.items()),
        body=plain_patch(body) if request.method == "PATCH" else body,
    )
    org = _directory(scim)
    scim.subject = org
    directory = OrgDirectory(
        OrgUsers(org, services().scim_users), OrgGroups(org, services().scim_groups)
    )
    return _answer(ScimHandler(server.service, directory).handle(scim))


@bp.errorhandler(SCIMException)
def _scim_error(exc: SCIMException) -> Response:
    return _answer(_server().service.error_response(exc))


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError) -> Response:
    """A rule of firegate's, told in SCIM's error schema: its ``code`` starts ``detail``, so
    that a directory's log names it; a conflict is SCIM's ``uniqueness``, invalid input its
    ``invalidValue``."""
    status = status_of(exc)
    scim_type = (
        "uniqueness"
        if isinstance(exc, Conflict)
        else "invalidValue"
        if isinstance(exc, InvalidInput)
        else None
    )
    error = Error(status=status, scim_type=scim_type, detail=f"{exc.code}: {exc.detail}")
    response = ScimResponse(HTTPStatus(status), error.model_dump())
    if isinstance(exc, Unavailable):
        response.headers["Retry-After"] = str(exc.retry_after)
    return _answer(response)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    if isinstance(exc, RequestEntityTooLarge):
        return _scim_error(PayloadTooLargeException())
    status = exc.code or 500
    error = Error(status=status, detail=exc.description or HTTPStatus(status).phrase)
    return _answer(ScimResponse(HTTPStatus(status), error.model_dump()))
