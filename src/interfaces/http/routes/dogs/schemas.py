from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator

from domain.dogs import NAME_MAX, Dog
from interfaces.http.schemas.common import PageOut, Schema, Strict, no_null, not_null

# domain.dogs.DogName as JSON Schema (ECMA-262 with Unicode property escapes): a letter or
# digit of any script at both ends, letters, digits, space and _ - . ' between, and not
# the reserved "is_adopted" in any case. Names that NFKC turns into something else (a few
# compatibility characters) are the only schema-valid ones the domain may still refuse.
DOG_NAME_PATTERN = (
    "^(?![Ii][Ss]_[Aa][Dd][Oo][Pp][Tt][Ee][Dd]$)"
    f"[\\p{{L}}\\p{{Nd}}](?:[\\p{{L}}\\p{{Nd}} _.'-]{{0,{NAME_MAX - 2}}}[\\p{{L}}\\p{{Nd}}])?$"
)
DOG_NAME_SCHEMA = {
    "type": "string",
    "minLength": 1,
    "maxLength": NAME_MAX,
    "pattern": DOG_NAME_PATTERN,
    "description": "Letters and digits of any script, space, _ - . ' inside; unique "
    "without regard to case",
}


def _dog_name(schema: dict[str, Any]) -> None:
    not_null(schema)
    schema["pattern"] = DOG_NAME_PATTERN


class DogCreate(Strict):
    """POST /dogs/{name}: the body may be left out."""

    is_adopted: bool = False


class DogUpdate(Strict):
    """PUT /dogs/{name}: is_adopted and/or a new name."""

    model_config = ConfigDict(
        json_schema_extra={"anyOf": [{"required": ["is_adopted"]}, {"required": ["name"]}]}
    )
    is_adopted: bool | None = Field(default=None, json_schema_extra=not_null)
    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=NAME_MAX,
        examples=["Rex"],
        json_schema_extra=_dog_name,
    )

    _not_null = field_validator("is_adopted", "name", mode="before")(no_null)


class DogOut(Schema):
    id: str
    name: str
    picture: str | None = Field(description="An image URL, once picture_status is ready")
    is_adopted: bool
    id_user: str = Field(description="The id of the user who created the record")
    create_date: datetime
    picture_status: Literal["pending", "ready", "failed"]

    @classmethod
    def of(cls, dog: Dog) -> DogOut:
        # The dogs API's wire names: id_user is the owner, create_date the creation time.
        return cls(
            id=dog.id,
            name=dog.name.value,
            picture=dog.picture,
            is_adopted=dog.is_adopted,
            id_user=dog.owner_id,
            create_date=dog.created_at,
            picture_status=dog.picture_status.value,
        )


class DogPage(PageOut[DogOut]):
    pass
