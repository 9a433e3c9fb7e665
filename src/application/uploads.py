"""What the upload features share (files, datasets): the uploaded file part the web layer
hands a use case, and its size and digest, measured against the upload cap."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import BinaryIO

from domain.errors import TooLarge

READ_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Upload:
    """An uploaded file part: a seekable stream the web layer spooled (to disk when large),
    the file name and the content type the client declared."""

    stream: BinaryIO
    filename: str | None
    content_type: str | None


def measure(stream: BinaryIO, max_bytes: int) -> tuple[int, str]:
    """Size and SHA-256 (hex) of the stream from its start, read in 1 MiB chunks; 413
    ``file_too_large`` past ``max_bytes``. Leaves the stream at its start."""
    stream.seek(0)
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(READ_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise TooLarge(f"The file is larger than {max_bytes} bytes.", code="file_too_large")
        digest.update(chunk)
    stream.seek(0)
    return size, digest.hexdigest()
