"""The profile schema: admins read it and store their own (docs/reference/accounts.md,
"Profile attributes")."""

from __future__ import annotations

from flask import Blueprint, Response

from application.accounts.accounts import Caller
from application.accounts.profile_schema import (
    ReplaceProfileSchema,
    ShownSchema,
    ShowProfileSchema,
)
from application.accounts.services import AccountServices
from interfaces.http.auth import authenticated
from interfaces.http.openapi import doc
from interfaces.http.parsing import read_json_object
from interfaces.http.responses import json_response
from interfaces.http.schemas.accounts.profile_schema import (
    ProfileSchemaDocument,
    ProfileSchemaOut,
)
from interfaces.http.schemas.common import Problem
from interfaces.shared.services import services

bp = Blueprint("profile_schema", __name__, url_prefix="/admin/profile-schema")
TAGS = ("users",)


def _out(shown: ShownSchema) -> ProfileSchemaOut:
    return ProfileSchemaOut(source=shown.source, document=dict(shown.document))


@bp.get("")
@doc(responses={200: ProfileSchemaOut, 403: Problem}, auth=True, tags=TAGS)
@authenticated
def show_profile_schema(actor: Caller) -> Response:
    """Admin: the schema of the profile's attributes in force, and where it comes from."""
    return json_response(
        _out(services().of(AccountServices).profile_schemas.show(ShowProfileSchema(actor)))
    )


@bp.put("")
@doc(
    json=ProfileSchemaDocument,
    responses={200: ProfileSchemaOut, 403: Problem, 409: Problem},
    auth=True,
    tags=TAGS,
)
@authenticated
def replace_profile_schema(actor: Caller) -> Response:
    """Admin: store the schema (422 ``invalid_profile_schema`` naming what is wrong); 409
    ``profile_schema_pinned`` while PROFILE_SCHEMA names a file. Values stored under the
    attributes it drops or narrows are kept."""
    cmd = ReplaceProfileSchema(actor, read_json_object())
    return json_response(_out(services().of(AccountServices).profile_schemas.replace(cmd)))
