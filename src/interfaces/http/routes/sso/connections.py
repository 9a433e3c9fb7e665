"""An org's single sign-on connections: its admins create, configure, activate and delete them
(docs/reference/sso.md, "Connections")."""

from __future__ import annotations

from flask import Blueprint, Response

from application.signin.authentication import Actor
from application.sso.connections import ConnectionRequest
from application.sso.services import SsoServices
from domain.sso.connections import Connection
from interfaces.http.auth import authenticated, session_authenticated
from interfaces.http.openapi import doc
from interfaces.http.parsing import parse_json, parse_query
from interfaces.http.responses import json_response, no_content
from interfaces.http.schemas.common import NoQuery, Problem
from interfaces.http.schemas.sso.connections import (
    ConnectionCreate,
    ConnectionList,
    ConnectionOut,
    ConnectionPatch,
)
from interfaces.shared.services import services

bp = Blueprint("sso_connections", __name__, url_prefix="/orgs")
TAGS = ("sso",)


def _out(connection: Connection) -> ConnectionOut:
    return ConnectionOut.of(
        connection, services().of(SsoServices).connections.addresses(connection.id)
    )


@bp.post("/<org>/connections")
@doc(
    json=ConnectionCreate,
    responses={201: ConnectionOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    auth=True,
    tags=TAGS,
)
@session_authenticated
def create_connection(actor: Actor, org: str) -> Response:
    """A new connection (admins), a draft unless it asks to be active and is complete:
    firegate's addresses for the IdP are in the answer."""
    body = parse_json(ConnectionCreate)
    made = (
        services()
        .of(SsoServices)
        .connections.create(ConnectionRequest(actor, org, None, body.changes()))
    )
    return json_response(_out(made), 201, {"Location": f"/orgs/{org}/connections/{made.id}"})


@bp.get("/<org>/connections")
@doc(
    query=NoQuery,
    responses={200: ConnectionList, 403: Problem, 404: Problem, 422: Problem},
    auth=True,
    tags=TAGS,
)
@authenticated
def list_connections(actor: Actor, org: str) -> Response:
    """The org's connections, oldest first (admins); never a secret."""
    parse_query(NoQuery)
    found = services().of(SsoServices).connections.list(ConnectionRequest(actor, org))
    return json_response(ConnectionList(items=[_out(c) for c in found]))


@bp.get("/<org>/connections/<connection_id>")
@doc(responses={200: ConnectionOut, 403: Problem, 404: Problem}, auth=True, tags=TAGS)
@authenticated
def get_connection(actor: Actor, org: str, connection_id: str) -> Response:
    """One connection (admins)."""
    return json_response(
        _out(
            services().of(SsoServices).connections.get(ConnectionRequest(actor, org, connection_id))
        )
    )


@bp.patch("/<org>/connections/<connection_id>")
@doc(
    json=ConnectionPatch,
    responses={200: ConnectionOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    auth=True,
    tags=TAGS,
)
@session_authenticated
def update_connection(actor: Actor, org: str, connection_id: str) -> Response:
    """Configure, activate (409 connection_incomplete unless complete) or switch off a
    connection (admins)."""
    body = parse_json(ConnectionPatch)
    changed = (
        services()
        .of(SsoServices)
        .connections.update(ConnectionRequest(actor, org, connection_id, body.changes()))
    )
    return json_response(_out(changed))


@bp.delete("/<org>/connections/<connection_id>")
@doc(responses={204: None, 403: Problem, 404: Problem}, auth=True, tags=TAGS)
@session_authenticated
def delete_connection(actor: Actor, org: str, connection_id: str) -> Response:
    """Remove a connection (admins): nobody signs in with it from then on."""
    services().of(SsoServices).connections.delete(ConnectionRequest(actor, org, connection_id))
    return no_content()
