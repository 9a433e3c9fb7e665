"""Configuration from environment variables, validated once at start-up (12-factor)."""

from __future__ import annotations

import logging
import secrets
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

log = logging.getLogger(__name__)

EMULATOR_VARIABLES = (
    "firestore_emulator_host",
    "firebase_auth_emulator_host",
    "pubsub_emulator_host",
    "storage_emulator_host",
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    app_profile: Literal["local", "production"] = "production"
    port: int = Field(8000, ge=1, le=65535)
    google_cloud_project: str = ""

    jwt_secret: SecretStr | None = None
    jwt_private_key: SecretStr | None = None
    jwt_issuer: str = "firegate"
    jwt_audience: str = "firegate-api"
    jwt_leeway: int = Field(10, ge=0, le=30)
    access_token_ttl: int = Field(900, ge=60, le=86_400)
    refresh_token_ttl: int = Field(7 * 86_400, ge=300)
    session_lifetime: int = Field(30 * 86_400, ge=300)

    argon2_time_cost: int = Field(2, ge=2)
    argon2_memory_kib: int = Field(19_456, ge=19_456)
    argon2_parallelism: int = Field(1, ge=1)
    hash_concurrency: int = Field(2, ge=1, le=64)

    max_json_bytes: int = Field(1024 * 1024, ge=1024)
    cors_origins: Annotated[list[str], NoDecode] = []
    trusted_proxy_hops: int = Field(0, ge=0, le=10)
    log_level: str = "INFO"

    firestore_emulator_host: str | None = None
    firebase_auth_emulator_host: str | None = None
    pubsub_emulator_host: str | None = None
    storage_emulator_host: str | None = None
    storage_bucket: str = ""
    dog_api_url: str = "https://dog.ceo/api/breeds/image/random"
    job_queue: Literal["inprocess", "pubsub"] = "inprocess"

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @model_validator(mode="after")
    def _check_profile(self) -> Settings:
        problems: list[str] = []
        secret = self.jwt_secret.get_secret_value() if self.jwt_secret else ""
        if secret and len(secret.encode()) < 32:
            problems.append("JWT_SECRET must be at least 32 bytes (try: openssl rand -hex 32)")
        if self.app_profile == "production":
            if not secret and not self.jwt_private_key:
                problems.append("JWT_SECRET or JWT_PRIVATE_KEY is required in production")
            problems += [
                f"{name.upper()} must not be set in production (emulators skip security checks)"
                for name in EMULATOR_VARIABLES
                if getattr(self, name)
            ]
            if not self.google_cloud_project:
                problems.append("GOOGLE_CLOUD_PROJECT is required in production")
        else:
            if not self.google_cloud_project:
                self.google_cloud_project = "demo-firegate"
            if not secret and not self.jwt_private_key:
                log.warning(
                    "JWT_SECRET is not set: using a random development secret; tokens will "
                    "not survive a restart. Never run production like this."
                )
                self.jwt_secret = SecretStr(secrets.token_hex(32))
        if problems:
            raise ValueError("invalid configuration:\n  - " + "\n  - ".join(problems))
        return self


def load_settings() -> Settings:
    return Settings()
