"""Files (docs/reference/files.md): a user's uploaded file of any type, kept byte for byte."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

DEFAULT_CONTENT_TYPE = "application/octet-stream"
_TOKEN = r"[A-Za-z0-9!#$&^_.+-]{1,63}"
_MEDIA_TYPE = re.compile(rf"{_TOKEN}/{_TOKEN}")


def media_type(content_type: str | None) -> str:
    """The part's declared ``type/subtype``, lower-cased and without parameters; anything
    malformed is stored as application/octet-stream."""
    essence = (content_type or "").partition(";")[0].strip().lower()
    return essence if _MEDIA_TYPE.fullmatch(essence) else DEFAULT_CONTENT_TYPE


@dataclass(frozen=True)
class StoredFile:
    id: str
    owner_id: str
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime

    @property
    def object_key(self) -> str:
        return file_object_key(self.owner_id, self.id)


def file_object_key(owner_id: str, file_id: str) -> str:
    # Under the owner's prefix: deleting an account removes its objects by prefix, even one
    # whose record was never written (a crash between the upload and the record).
    return f"{files_prefix(owner_id)}{file_id}"


def files_prefix(owner_id: str) -> str:
    return f"files/{owner_id}/"
