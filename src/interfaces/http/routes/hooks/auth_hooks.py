"""Auth hooks: admins add one to a kind's (with its order and scope), list them with their
latest calls, remove one (docs/reference/auth-hooks.md)."""

from __future__ import annotations

from flask import Blueprint, Response

from application.accounts.accounts import Caller
from application.hooks.admin import AuthHookRef, ListAuthHooks, SetAuthHook
from application.hooks.services import HookServices
from interfaces.http.auth import authenticated
from interfaces.http.openapi import doc
from interfaces.http.parsing import parse_json, parse_query
from interfaces.http.responses import json_response, no_content
from interfaces.http.schemas.common import NoQuery, Problem
from interfaces.http.schemas.hooks.auth_hooks import (
    AuthHookCreated,
    AuthHookList,
    AuthHookOut,
    AuthHookSet,
    AuthHookWithCalls,
    HookCallOut,
)
from interfaces.shared.services import services

bp = Blueprint("auth_hooks", __name__, url_prefix="/admin/auth-hooks")
TAGS = ("auth hooks",)
NO_STORE = {"Cache-Control": "no-store"}


@bp.post("")
@doc(
    json=AuthHookSet,
    responses={201: AuthHookCreated, 403: Problem, 409: Problem, 422: Problem},
    auth=True,
    tags=TAGS,
)
@authenticated
def set_auth_hook(actor: Caller) -> Response:
    """Admin: a new hook of the kind, beside its others (at most 10 per kind: 409
    `too_many_hooks`); the answer carries its ``secret``, shown only here."""
    body = parse_json(AuthHookSet)
    created = (
        services()
        .of(HookServices)
        .hooks.set(
            SetAuthHook(
                actor,
                body.kind,
                body.url,
                body.timeout_ms,
                body.on_failure,
                order=body.order,
                clients=tuple(body.clients),
                orgs=tuple(body.orgs),
            )
        )
    )
    out = AuthHookCreated(**AuthHookOut.of(created.hook).model_dump(), secret=created.secret)
    headers = {"Location": "/admin/auth-hooks", **NO_STORE}
    return json_response(out, 201, headers)


@bp.get("")
@doc(query=NoQuery, responses={200: AuthHookList, 403: Problem, 422: Problem}, auth=True, tags=TAGS)
@authenticated
def list_auth_hooks(actor: Caller) -> Response:
    """Admin: every hook, by kind, each kind's in the order they are asked, each with its
    latest calls, newest first."""
    parse_query(NoQuery)
    views = services().of(HookServices).hooks.list(ListAuthHooks(actor))
    items = [
        AuthHookWithCalls(
            **AuthHookOut.of(view.hook).model_dump(),
            calls=[HookCallOut.of(call) for call in view.calls],
        )
        for view in views
    ]
    return json_response(AuthHookList(items=items))


@bp.delete("/<hook_id>")
@doc(responses={204: None, 403: Problem, 404: Problem}, auth=True, tags=TAGS)
@authenticated
def delete_auth_hook(actor: Caller, hook_id: str) -> Response:
    """Admin: remove a hook; its kind goes on as if there were none."""
    services().of(HookServices).hooks.remove(AuthHookRef(actor, hook_id))
    return no_content()
