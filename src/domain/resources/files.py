"""Files (docs/reference/files.md): a user's uploaded file of any type, kept byte for byte."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from domain.errors import InvalidInput

FILENAME_MAX = 255
DEFAULT_CONTENT_TYPE = "application/octet-stream"
_TOKEN = r"[A-Za-z0-9!#$&^_.+-]{1,63}"
_MEDIA_TYPE = re.compile(rf"{_TOKEN}/{_TOKEN}")
_PATH_SEPARATORS = frozenset("/\\")


def check_filename(filename: str) -> str:
    """The original file name, kept as given, if it names a file and nothing more: no path
    separators, no control characters, not ``.`` or ``..``; 422 ``invalid_filename``."""
    problem = None
    if not filename.strip():
        problem = "The file has no name."
    elif len(filename) > FILENAME_MAX:
        problem = f"The file name is over {FILENAME_MAX} characters."
    elif _PATH_SEPARATORS & set(filename):
        problem = "The file name may not contain '/' or '\\' (a path): send the name alone."
    elif any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in filename):
        problem = "The file name may not contain control or formatting characters."
    elif filename.strip(" .") == "":
        problem = "The file name may not be only dots."
    if problem:
        raise InvalidInput.field("file", problem, "invalid_filename")
    return filename


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
