"""The profile schema's document (docs/reference/accounts.md, "Profile attributes")."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from interfaces.http.schemas.common import Schema


class ProfileSchemaDocument(Schema):
    """A JSON Schema of one object; each property one attribute, with the keywords ``x-read``,
    ``x-write`` and ``x-scope`` besides JSON Schema's own."""

    model_config = ConfigDict(extra="allow")
    type: Literal["object"]
    properties: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        examples=[
            {
                "department": {
                    "type": "string",
                    "maxLength": 64,
                    "x-read": ["user", "admin", "scim"],
                    "x-write": ["admin", "scim"],
                    "x-scope": "profile",
                }
            }
        ],
    )


class ProfileSchemaOut(Schema):
    source: Literal["file", "admin", "none"] = Field(
        description='"file": PROFILE_SCHEMA\'s; "admin": the one stored here; "none": no schema'
    )
    document: dict[str, Any] = Field(description="the schema's document; {} when there is none")
