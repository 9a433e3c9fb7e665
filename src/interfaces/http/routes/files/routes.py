"""docs/reference/files.md: a user's own files of any type; another user's file answers 404."""

from __future__ import annotations

import base64

from flask import Blueprint, Response
from pydantic import ConfigDict

from application.files import DeleteFile, Files, OpenFile, UploadFile
from application.signin.authentication import Actor
from interfaces.http.auth import authenticated
from interfaces.http.openapi import doc, streamed
from interfaces.http.responses import json_response, no_content
from interfaces.http.routes.files.schemas import FileOut, FileUpload
from interfaces.http.schemas.common import Problem, Schema
from interfaces.http.uploads import content_disposition, read_upload
from interfaces.shared.services import services

bp = Blueprint("files", __name__, url_prefix="/files")
TAGS = ("files",)


class NoFields(Schema):
    model_config = ConfigDict(extra="forbid")


@bp.post("")
@doc(
    form=FileUpload,
    responses={201: FileOut, 400: Problem, 403: Problem, 413: Problem, 422: Problem},
    auth=True,
    tags=TAGS,
)
@authenticated
def upload_file(actor: Actor) -> Response:
    """Upload a file (multipart ``file``); its name, content type and SHA-256 are kept."""
    _, upload = read_upload(NoFields)
    stored = services().of(Files).upload(UploadFile(actor, upload))
    return json_response(FileOut.of(stored), 201, {"Location": f"/files/{stored.id}"})


@bp.get("/<file_id>")
@streamed(doc(responses={200: None, 403: Problem, 404: Problem}, auth=True, tags=TAGS))
@authenticated
def download_file(actor: Actor, file_id: str) -> Response:
    """Download one of the caller's files, streamed, as an attachment with its name."""
    stored, chunks = services().of(Files).open(OpenFile(actor, file_id))
    response = Response(chunks, content_type=stored.content_type, direct_passthrough=True)
    response.content_length = stored.size
    response.headers["Content-Disposition"] = content_disposition(stored.filename)
    digest = base64.b64encode(bytes.fromhex(stored.sha256)).decode()
    response.headers["Repr-Digest"] = f"sha-256=:{digest}:"  # RFC 9530
    response.headers["ETag"] = f'"{stored.sha256}"'
    return response


@bp.delete("/<file_id>")
@doc(responses={204: None, 403: Problem, 404: Problem}, auth=True, tags=TAGS)
@authenticated
def delete_file(actor: Actor, file_id: str) -> Response:
    """Delete one of the caller's files."""
    services().of(Files).delete(DeleteFile(actor, file_id))
    return no_content()
