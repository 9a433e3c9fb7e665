"""Compatibility: the replaced dogs API's file upload, POST /api/files, the native POST /files
itself (docs/migrating.md); the rest of the dogs API is not this unit's."""

from __future__ import annotations

from flask import Blueprint

from interfaces.http.compat import TAGS
from interfaces.http.openapi import same_as
from interfaces.http.routes.files import routes

bp = Blueprint("files_api", __name__, url_prefix="/api")
bp.add_url_rule(
    "/files",
    "upload_file",
    same_as(routes.upload_file, summary="Dogs API: as POST /files.", tags=TAGS),
    methods=["POST"],
)
