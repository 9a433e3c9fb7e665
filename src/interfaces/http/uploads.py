"""multipart/form-data uploads: their own size cap, a file part, validated text fields.

Werkzeug spools each file part to a temporary file (past 500 KB), so an upload is never
held in memory; the request's ``max_content_length`` (Flask 3.1, per request) is raised from
the JSON cap to the upload cap here, before the body is read, and only on these routes.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TypeVar
from urllib.parse import quote

from flask import current_app, request
from pydantic import BaseModel
from werkzeug.exceptions import RequestEntityTooLarge

from application.uploads import Upload
from domain.errors import InvalidInput, TooLarge
from interfaces.http.parsing import validate
from interfaces.shared.problems import BadRequest

M = TypeVar("M", bound=BaseModel)

FILE_FIELD = "file"
FORM_OVERHEAD = 512 * 1024  # part headers, boundaries and text fields around the file
TEXT_PART_MAX = 256 * 1024
# A 'file' part and a few text fields; werkzeug's default (1,000) costs parsing time for
# nothing. Its per-field memory cap stays at werkzeug's 500 KB.
MAX_FORM_PARTS = 20


def upload_limit() -> int:
    limit: int = current_app.config["MAX_UPLOAD_BYTES"]
    return limit


def read_upload[M: BaseModel](
    fields: type[M], text_parts: tuple[str, ...] = ()
) -> tuple[M, Upload]:
    """The text fields (validated by ``fields``) and the ``file`` part of the request.

    ``text_parts`` may also come as file parts (``curl -F schema=@schema.json``): they are
    read as UTF-8 text, up to TEXT_PART_MAX bytes.
    """
    if request.mimetype != "multipart/form-data":
        raise BadRequest(
            "The body must be multipart/form-data with a 'file' part.",
            code="unsupported_media_type",
        )
    limit = upload_limit()
    request.max_content_length = limit + FORM_OVERHEAD
    request.max_form_parts = MAX_FORM_PARTS
    try:
        form, files = request.form, request.files
    except RequestEntityTooLarge:
        raise _too_large(limit) from None
    for multi in (form, files):
        repeated = [key for key in multi if len(multi.getlist(key)) > 1]
        if repeated:
            raise BadRequest(f"Form field '{repeated[0]}' is repeated.", code="repeated_field")
    stray = [key for key in files if key not in (FILE_FIELD, *text_parts)]
    if stray:
        raise InvalidInput.field(stray[0], "Unknown file field: send one 'file'.", "unknown_field")
    part = files.get(FILE_FIELD)
    if part is None:
        raise InvalidInput.field(FILE_FIELD, "A 'file' part is required.", "missing")
    given = form.to_dict(flat=True)
    for name in text_parts:
        if name in files:
            if name in given:
                raise BadRequest(f"Form field '{name}' is repeated.", code="repeated_field")
            given[name] = _text(name, files[name].stream.read(TEXT_PART_MAX + 1))
    values = validate(fields, given)
    return values, Upload(part.stream, part.filename, part.content_type)  # type: ignore[arg-type]


def _too_large(limit: int) -> TooLarge:
    # werkzeug raises the same error for the three limits; the declared length tells the
    # size apart from the shape of the form.
    length = request.content_length
    if length is not None and length > limit + FORM_OVERHEAD:
        return TooLarge(f"The upload is larger than {limit} bytes.", code="payload_too_large")
    shape = (
        f"The form has more than {MAX_FORM_PARTS} parts, or a text field over "
        f"{request.max_form_memory_size or 0} bytes: send one 'file' part and the few short "
        "text fields the route documents."
    )
    if length is None:  # chunked: it may also have been too large
        shape += f" An upload is at most {limit} bytes."
    return TooLarge(shape, code="form_too_complex")


def _text(name: str, data: bytes) -> str:
    if len(data) > TEXT_PART_MAX:
        raise TooLarge(f"'{name}' is larger than {TEXT_PART_MAX} bytes.", code="payload_too_large")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput.field(name, "Must be UTF-8 text.", "not_utf8") from None


_FALLBACK_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+ ()")


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """RFC 6266: the exact name as RFC 5987 ``filename*=UTF-8''...``, and for old clients an
    ASCII ``filename`` (accents dropped, other characters '_', "file" when nothing is left)."""
    kept = "".join(
        ch if ch in _FALLBACK_SAFE else "_"
        for ch in unicodedata.normalize("NFKD", filename)
        if not unicodedata.combining(ch)
    )
    stem, dot, extension = re.sub("_+", "_", kept).strip().rpartition(".")
    if not dot:
        stem, extension = extension, ""
    if not any(ch.isalnum() for ch in stem):
        stem = "file"
    fallback = f"{stem}.{extension}" if dot else stem
    encoded = quote(filename, safe="!#$&+-.^_`|~")
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
