"""The SSF transmitter's request and response bodies, as documented (docs/reference/ssf.md):
the routes read each body themselves, by SSF 1.0's rules (an unknown field ignored, a bad
one 400 ``invalid_stream_request``)."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from interfaces.http.schemas.common import Schema


class SsfBody(Schema):
    model_config = ConfigDict(extra="allow", defer_build=True)


class TransmitterConfiguration(Schema):
    spec_version: str = Field(examples=["1_0"])
    issuer: str
    jwks_uri: str
    delivery_methods_supported: list[str]
    configuration_endpoint: str
    status_endpoint: str
    add_subject_endpoint: str
    remove_subject_endpoint: str
    verification_endpoint: str
    authorization_schemes: list[dict[str, str]]
    default_subjects: str = Field(examples=["NONE"])
    events_supported: list[str]


class DeliveryIn(SsfBody):
    method: str = Field(examples=["urn:ietf:rfc:8935"])
    endpoint_url: str | None = Field(None, description="push: the receiver's https URL")
    authorization_header: str | None = Field(None, description="push: sent with each SET")


class StreamIn(SsfBody):
    stream_id: str | None = Field(None, description="an update's or a replace's: required")
    delivery: DeliveryIn | None = Field(None, description="none: poll")
    events_requested: list[str] | None = None
    description: str | None = None


class StreamOut(Schema):
    stream_id: str
    iss: str
    aud: str
    delivery: dict[str, str]
    events_supported: list[str]
    events_requested: list[str]
    events_delivered: list[str]
    description: str | None = None
    min_verification_interval: int | None = None


class StreamQuery(SsfBody):
    stream_id: str | None = None


class StatusIn(SsfBody):
    stream_id: str
    status: str = Field(examples=["paused"], description="enabled, paused or disabled")
    reason: str | None = None


class StatusOut(Schema):
    stream_id: str
    status: str
    reason: str | None = None


class SubjectIn(SsfBody):
    stream_id: str
    subject: dict[str, str] = Field(
        examples=[{"format": "email", "email": "alice@example.com"}],
        description="RFC 9493: email, iss_sub or opaque (the account's id)",
    )
    verified: bool | None = None


class VerifyIn(SsfBody):
    stream_id: str
    state: str | None = None


class PollIn(SsfBody):
    ack: list[str] | None = None
    setErrs: dict[str, Any] | None = None  # noqa: N815 - RFC 8936's name
    maxEvents: int | None = None  # noqa: N815 - RFC 8936's name
    returnImmediately: bool | None = None  # noqa: N815 - RFC 8936's name


class PollOut(Schema):
    sets: dict[str, str]
    moreAvailable: bool  # noqa: N815 - RFC 8936's name
