"""The WebAuthn JSON of docs/reference/passkeys.md: what browsers' PublicKeyCredential
toJSON() writes (binary fields as base64url), and the options they are created from."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field, field_validator

from application.signin.factors.passkeys import PasskeySignals
from domain.signin.passkeys import NAME_MAX, Passkey
from interfaces.http.schemas.common import SINGLE_LINE, Schema, Strict, no_null, not_null

Base64Url = Annotated[str, Field(min_length=1, max_length=16_384, pattern="^[A-Za-z0-9_-]+={0,2}$")]
Short = Annotated[str, Field(max_length=64)]


def _whole_number(value: object) -> object:
    """JSON Schema counts -7.0 as an integer: take it as -7 (strict mode would refuse it)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


# A COSE algorithm identifier (-7 is ES256).
CoseAlgorithm = Annotated[int, Field(ge=-65_536, le=65_536), BeforeValidator(_whole_number)]


class _Json(Schema):
    # Strict like every request body; camelCase on the wire, as browsers write it.
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=False)


class AttestationResponse(_Json):
    client_data_json: Base64Url = Field(alias="clientDataJSON")
    attestation_object: Base64Url = Field(alias="attestationObject")
    authenticator_data: Base64Url | None = Field(default=None, alias="authenticatorData")
    public_key: Base64Url | None = Field(default=None, alias="publicKey")
    public_key_algorithm: CoseAlgorithm | None = Field(default=None, alias="publicKeyAlgorithm")
    transports: list[Short] = Field(default_factory=list, max_length=16)


class AssertionResponse(_Json):
    client_data_json: Base64Url = Field(alias="clientDataJSON")
    authenticator_data: Base64Url = Field(alias="authenticatorData")
    signature: Base64Url
    user_handle: Base64Url | None = Field(default=None, alias="userHandle")
    attestation_object: Base64Url | None = Field(default=None, alias="attestationObject")


class _Credential(_Json):
    id: Base64Url
    raw_id: Base64Url = Field(alias="rawId")
    type: Annotated[str, Field(pattern="^public-key$")]
    authenticator_attachment: Short | None = Field(default=None, alias="authenticatorAttachment")
    client_extension_results: dict[str, Any] = Field(
        default_factory=dict, alias="clientExtensionResults", max_length=16
    )

    def credential(self) -> dict[str, object]:
        """As the browser sent it, for the WebAuthn library."""
        return self.model_dump(by_alias=True, exclude_none=True, exclude={"name", "username"})


class PasskeyRegistrationRequest(_Credential):
    """The credential navigator.credentials.create() returned, and a name for it."""

    response: AttestationResponse
    name: str | None = Field(
        default=None,
        max_length=NAME_MAX,
        pattern=SINGLE_LINE,
        description='What the list shows; default "Passkey"',
    )
    username: str | None = Field(
        default=None,
        min_length=3,
        max_length=32,
        description="A guest's only (and then required): the name of the account its "
        "passkey makes it",
    )


class PasskeyAssertionRequest(_Credential):
    """The credential navigator.credentials.get() returned."""

    response: AssertionResponse


class PasskeyOut(Schema):
    id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None

    @classmethod
    def of(cls, passkey: Passkey) -> PasskeyOut:
        return cls.model_validate(passkey, from_attributes=True)


class PasskeyList(Schema):
    items: list[PasskeyOut]


# Unpadded base64url of at most 64 bytes (WebAuthn's user handle), never of an impossible
# length (one character past a group of four)
USER_HANDLE = "^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2,3})?$"


class AcceptedQuery(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)
    user_handle: str = Field(
        min_length=2,
        max_length=86,
        pattern=USER_HANDLE,
        description="The caller's user handle as the registration options gave it "
        "(user.id, unpadded base64url)",
    )

    def handle(self) -> bytes:
        return base64.urlsafe_b64decode(self.user_handle + "=" * (-len(self.user_handle) % 4))


class AcceptedPasskeysOut(Schema):
    """The caller's passkeys for PublicKeyCredential.signalAllAcceptedCredentials()."""

    rp_id: str
    user_handle: str = Field(description="unpadded base64url, as the registration options")
    credential_ids: list[str] = Field(
        description="Each passkey's credential id, unpadded base64url (what the browser's "
        "credential JSON calls its id)"
    )

    @classmethod
    def of(cls, signals: PasskeySignals) -> AcceptedPasskeysOut:
        return cls(
            rp_id=signals.rp_id,
            user_handle=signals.user_handle,
            credential_ids=list(signals.credential_ids),
        )


class RelatedOriginsOut(Schema):
    """/.well-known/webauthn: the origins whose passkey answers count for the RP ID."""

    origins: list[str]


class _Options(Schema):
    model_config = ConfigDict(extra="allow")


class CreationOptionsOut(_Options):
    """PublicKeyCredentialCreationOptionsJSON: binary fields (challenge, user.id,
    excludeCredentials[].id) as base64url; PublicKeyCredential.parseCreationOptionsFromJSON()
    reads it as it is."""

    challenge: str
    rp: dict[str, Any]
    user: dict[str, Any]
    pubKeyCredParams: list[dict[str, Any]]  # noqa: N815 - the WebAuthn name
    timeout: int
    excludeCredentials: list[dict[str, Any]]  # noqa: N815
    authenticatorSelection: dict[str, Any]  # noqa: N815
    attestation: str


class ConditionalCreationOptionsOut(CreationOptionsOut):
    """Creation options for an automatic upgrade: the challenge is kept marked conditional,
    and only its answer may come without user presence."""

    mediation: Literal["conditional"] = Field(
        description="Pass it to navigator.credentials.create() beside publicKey"
    )


class RegistrationOptionsRequest(Strict):
    """The body of POST /auth/passkeys/registration/options, which may be left out."""

    mediation: Literal["conditional"] | None = Field(
        default=None,
        json_schema_extra=not_null,
        description='"conditional": options for an automatic upgrade, shortly after a '
        "sign-in by password or code (docs/passkeys-upgraded.md)",
    )

    _not_null = field_validator("mediation", mode="before")(no_null)


class RequestOptionsOut(_Options):
    """PublicKeyCredentialRequestOptionsJSON, for discoverable credentials (an empty
    allowCredentials); PublicKeyCredential.parseRequestOptionsFromJSON() reads it."""

    challenge: str
    timeout: int
    rpId: str  # noqa: N815 - the WebAuthn name
    allowCredentials: list[dict[str, Any]]  # noqa: N815
    userVerification: str  # noqa: N815
