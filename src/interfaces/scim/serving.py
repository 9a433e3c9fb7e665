"""What serves the SCIM endpoints (``routes.py``): each request authenticated by an org's SCIM
token and served by scim2-server's service, every error in SCIM's error schema with its
``scimType`` (docs/reference/scim.md). Imported by the first SCIM request, with scim2-server
and scim2-models, which would otherwise be a third of every worker's start
(docs/benchmarks.md, "Cold start")."""

from __future__ import annotations

import json
from http import HTTPStatus

from flask import Response, request
from scim2_models import (
    Error,
    NotFoundException,
    PayloadTooLargeException,
    SCIMException,
    UnauthorizedException,
)
from scim2_server.handler import ScimHandler
from scim2_server.requests import ScimRequest
from scim2_server.responses import ScimResponse
from scim2_server.service import ScimService
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from application.scim.services import ScimServices
from application.scim.tokens import Directory
from domain.errors import Conflict, DomainError, InvalidInput, Unauthenticated, Unavailable
from interfaces.scim.compat import plain_patch
from interfaces.scim.groups import OrgGroups
from interfaces.scim.storage import OrgDirectory
from interfaces.scim.users import OrgUsers
from interfaces.shared.problems import status_of
from interfaces.shared.services import services


def _answer(response: ScimResponse) -> Response:
    body = json.dumps(response.body) if response.body is not None else None
    return Response(body, status=response.status.value, headers=response.headers)


def _directory(scim: ScimRequest) -> Directory:
    """The org whose SCIM token the request bears; 401 for anything else."""
    scheme, _, token = (scim.header("Authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthorizedException(detail="A SCIM token (Authorization: Bearer fgs_…) is needed.")
    try:
        return services().of(ScimServices).tokens.authenticate(token.strip())
    except Unauthenticated:
        raise UnauthorizedException(detail="The SCIM token is not valid.") from None


def serve(service: ScimService, base_url: str, path: str) -> Response:
    """Any SCIM request: authenticated, then served by the library's service; its
    ``SCIMException`` answered in SCIM's error schema."""
    try:
        return _serve(service, base_url, path)
    except SCIMException as exc:
        return scim_error(service, exc)


def _serve(service: ScimService, base_url: str, path: str) -> Response:
    body = request.get_data(cache=False)
    scim = ScimRequest(
        method=request.method,
        base_url=base_url,
        path="/" + path,
        query=request.args.to_dict(),
        headers=list(request.headers.items()),
        body=plain_patch(body) if request.method == "PATCH" else body,
    )
    speaking_for = _directory(scim)
    if not path:  # the base names no resource (scim2-server would answer 501)
        raise NotFoundException(
            detail="Nothing is served at the base: see /ServiceProviderConfig, /Users, /Groups."
        )
    scim.subject = speaking_for.org
    directory = OrgDirectory(
        OrgUsers(speaking_for, services().of(ScimServices).users),
        OrgGroups(speaking_for, services().of(ScimServices).groups),
    )
    return _answer(ScimHandler(service, directory).handle(scim))


def scim_error(service: ScimService, exc: SCIMException) -> Response:
    return _answer(service.error_response(exc))


def domain_error(exc: DomainError) -> Response:
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


def http_error(service: ScimService, exc: HTTPException) -> Response:
    if isinstance(exc, RequestEntityTooLarge):
        return scim_error(service, PayloadTooLargeException())
    status = exc.code or 500
    error = Error(status=status, detail=exc.description or HTTPStatus(status).phrase)
    return _answer(ScimResponse(HTTPStatus(status), error.model_dump()))
