from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict, Field

from domain.files import StoredFile
from interfaces.http.schemas.common import Schema


class FileUpload(Schema):
    """multipart/form-data of POST /files (documentation)."""

    model_config = ConfigDict(extra="forbid")  # any other part is a 422
    file: bytes = Field(
        description="Any file; its part's filename and Content-Type are kept",
        json_schema_extra={"format": "binary"},
    )


class FileOut(Schema):
    id: str
    filename: str
    content_type: str
    size: int
    sha256: str = Field(description="SHA-256 (hex) of the bytes")
    created_at: datetime

    @classmethod
    def of(cls, stored: StoredFile) -> FileOut:
        return cls.model_validate(stored, from_attributes=True)
