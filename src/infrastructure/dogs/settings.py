"""The dogs unit's settings: the picture API, the hosts whose https picture URLs are accepted
from it, and its read timeout (docs/configuration.md), read with
``settings.group(DogSettings)`` (bootstrap/dogs.py)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, field_validator, model_validator
from pydantic_settings import NoDecode

from infrastructure.settings.group import SettingsGroup, invalid_configuration

_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_HOST_NAME = re.compile(rf"{_LABEL}(\.{_LABEL})*")  # DOG_IMAGE_HOSTS entries
_IP_LIKE = re.compile(r"[0-9.]+")


class DogSettings(SettingsGroup):
    dog_api_url: str = "https://dog.ceo/api/breeds/image/random"
    dog_image_hosts: Annotated[list[str], NoDecode] = ["images.dog.ceo"]
    dog_api_timeout: float = Field(5.0, gt=0, le=60)

    @field_validator("dog_image_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return [host.strip().lower() for host in value.split(",") if host.strip()]
        return value

    @model_validator(mode="after")
    def _check_hosts(self) -> DogSettings:
        problems = [
            f"DOG_IMAGE_HOSTS: {host!r} is not a host name"
            for host in self.dog_image_hosts
            if not _HOST_NAME.fullmatch(host) or _IP_LIKE.fullmatch(host)
        ]
        if problems:
            raise invalid_configuration(problems)
        return self

    def production_problems(self) -> list[str]:
        if self.dog_api_url.startswith("https://"):
            return []
        return ["DOG_API_URL must be https in production"]
