"""What the upload features share (files, datasets): an uploaded file's name, checked."""

from __future__ import annotations

import unicodedata

from domain.errors import InvalidInput

FILENAME_MAX = 255
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
