"""An org's single sign-on connections' request and response bodies (docs/reference/sso.md,
"Connections"). The bodies' shapes are checked here; their values by the use cases, which
name each bad field (``saml.sso_url``, ``mapping.roles``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from application.sso.connections import SAML_FIELDS
from domain.accounts.attributes import PROPERTIES_MAX
from domain.sso.connections import (
    CERTIFICATES_MAX,
    CLIENT_ID_MAX,
    ENTITY_ID_MAX,
    NAME_MAX,
    ROLE_MAPPINGS_MAX,
    SECRET_MAX,
    URL_MAX,
    Connection,
    SpAddresses,
)
from interfaces.http.schemas.common import (
    Schema,
    Strict,
    no_null,
    not_null,
    single_line,
    single_line_not_null,
)

Kind = Literal["saml", "oidc"]
Status = Literal["draft", "active", "inactive"]
METADATA_MAX = 256 * 1024


class SamlIn(Strict):
    """The SAML identity provider: its metadata, pasted or at a URL fetched once (which sets
    the three fields after it), or those fields one by one; only what is given changes."""

    metadata_xml: str | None = Field(
        default=None, max_length=METADATA_MAX, json_schema_extra=not_null
    )
    metadata_url: str | None = Field(
        default=None,
        max_length=URL_MAX,
        description="where firegate fetches the IdP's metadata now (not with metadata_xml)",
        json_schema_extra=not_null,
    )
    entity_id: str | None = Field(
        default=None, max_length=ENTITY_ID_MAX, json_schema_extra=not_null
    )
    sso_url: str | None = Field(
        default=None,
        max_length=URL_MAX,
        description="its HTTP-Redirect SSO address",
        json_schema_extra=not_null,
    )
    certificates: list[str] | None = Field(
        default=None,
        max_length=CERTIFICATES_MAX,
        description="its signing certificates, PEM or base64 DER",
        json_schema_extra=not_null,
    )
    allow_idp_initiated: bool | None = Field(default=None, json_schema_extra=not_null)
    allow_cbc: bool | None = Field(
        default=None,
        description="accept assertions encrypted with AES-CBC (not only AES-GCM)",
        json_schema_extra=not_null,
    )
    require_encrypted: bool | None = Field(
        default=None,
        description="refuse an assertion that is not encrypted",
        json_schema_extra=not_null,
    )
    slo_url: str | None = Field(
        default=None,
        max_length=URL_MAX,
        description='its HTTP-Redirect single logout address ("": none)',
        json_schema_extra=not_null,
    )

    _not_null = field_validator(*SAML_FIELDS, mode="before")(no_null)


class OidcIn(Strict):
    issuer: str | None = Field(default=None, max_length=URL_MAX, json_schema_extra=not_null)
    client_id: str | None = Field(
        default=None, max_length=CLIENT_ID_MAX, json_schema_extra=not_null
    )
    client_secret: str | None = Field(
        default=None,
        max_length=SECRET_MAX,
        description="never shown again",
        json_schema_extra=not_null,
    )
    ssf_configuration_url: str | None = Field(
        default=None,
        max_length=URL_MAX,
        description="its IdP's SSF transmitter's configuration; \"\" for none",
        json_schema_extra=not_null,
    )

    _not_null = field_validator(
        "issuer", "client_id", "client_secret", "ssf_configuration_url", mode="before"
    )(no_null)


class MappingIn(Strict):
    """Attribute names at the IdP ("" or left out: the default), and which org roles each IdP
    group grants (never ``owner``). Replaces the whole mapping."""

    email: str = Field(default="", max_length=256, description='"" : the NameID / the email claim')
    given_name: str = Field(default="", max_length=256)
    family_name: str = Field(default="", max_length=256)
    groups: str = Field(default="", max_length=256)
    roles: dict[str, list[str]] = Field(
        default_factory=dict,
        max_length=ROLE_MAPPINGS_MAX,
        examples=[{"Engineering": ["member"], "IT": ["admin"]}],
    )
    attributes: dict[str, str] = Field(
        default_factory=dict,
        max_length=PROPERTIES_MAX,
        description="a profile attribute → the IdP's attribute or claim that gives it",
        examples=[{"department": "urn:oid:2.5.4.11"}],
    )


class ConnectionPatch(Strict):
    """Only what is given changes; a connection becomes active only when complete."""

    name: str | None = Field(
        default=None, min_length=1, max_length=NAME_MAX, json_schema_extra=single_line_not_null
    )
    status: Status | None = Field(default=None, json_schema_extra=not_null)
    saml: SamlIn | None = Field(default=None, json_schema_extra=not_null)
    oidc: OidcIn | None = Field(default=None, json_schema_extra=not_null)
    mapping: MappingIn | None = Field(default=None, json_schema_extra=not_null)

    _not_null = field_validator("name", "status", "saml", "oidc", "mapping", mode="before")(no_null)

    def changes(self) -> dict[str, object]:
        """What was given, nested sections as given (not their defaults)."""
        found: dict[str, object] = {}
        for name in self.model_fields_set - {"kind"}:
            value: Any = getattr(self, name)
            if isinstance(value, BaseModel):
                keep = value.model_fields_set if not isinstance(value, MappingIn) else None
                value = value.model_dump(include=keep)
            found[name] = value
        return found


class ConnectionCreate(ConnectionPatch):
    kind: Kind
    name: str = Field(min_length=1, max_length=NAME_MAX, json_schema_extra=single_line)

    def changes(self) -> dict[str, object]:
        return {"kind": self.kind, **super().changes()}


class CertificateOut(Schema):
    not_after: datetime = Field(description="when it expires")
    der: str = Field(description="base64 DER")


class SamlOut(Schema):
    entity_id: str
    sso_url: str
    certificates: list[CertificateOut]
    allow_idp_initiated: bool
    metadata_url: str = Field(description='where its metadata was fetched from; "" if not')
    sp_entity_id: str = Field(
        description="firegate's entity ID for this connection (its metadata's address)"
    )
    acs_url: str = Field(description="where the IdP posts its answers (HTTP-POST)")
    allow_cbc: bool = Field(description="assertions encrypted with AES-CBC are accepted")
    require_encrypted: bool = Field(description="an assertion that is not encrypted is refused")
    slo_url: str = Field(description='its single logout address; "" if none')
    slo_binding: str = Field(description='"redirect" or "post"; "" if none')
    sp_slo_url: str = Field(
        description="firegate's single logout address (HTTP-Redirect and HTTP-POST)"
    )


class OidcOut(Schema):
    issuer: str
    client_id: str
    client_secret_set: bool
    redirect_uri: str = Field(description="register this at the provider")
    ssf_configuration_url: str = Field(description='its IdP\'s SSF transmitter; "" for none')


class MappingOut(Schema):
    email: str
    given_name: str
    family_name: str
    groups: str
    roles: dict[str, list[str]]
    attributes: dict[str, str]


class ConnectionOut(Schema):
    id: str
    kind: Kind
    name: str
    status: Status
    created_at: datetime
    updated_at: datetime
    saml: SamlOut | None = Field(description="a SAML connection's")
    oidc: OidcOut | None = Field(description="an OpenID connection's")
    mapping: MappingOut

    @staticmethod
    def of(connection: Connection, sp: SpAddresses) -> ConnectionOut:
        saml, oidc, mapping = connection.saml, connection.oidc, connection.mapping
        return ConnectionOut(
            id=connection.id,
            kind=connection.kind.value,
            name=connection.name,
            status=connection.status.value,
            created_at=connection.created_at,
            updated_at=connection.updated_at,
            saml=SamlOut(
                entity_id=saml.entity_id,
                sso_url=saml.sso_url,
                certificates=[
                    CertificateOut(not_after=c.not_after, der=c.der) for c in saml.certificates
                ],
                allow_idp_initiated=saml.allow_idp_initiated,
                metadata_url=saml.metadata_url,
                sp_entity_id=sp.entity_id,
                acs_url=sp.acs_url,
                allow_cbc=saml.allow_cbc,
                require_encrypted=saml.require_encrypted,
                slo_url=saml.slo_url,
                slo_binding=saml.slo_binding,
                sp_slo_url=sp.slo_url,
            )
            if connection.kind.value == "saml"
            else None,
            oidc=OidcOut(
                issuer=oidc.issuer,
                client_id=oidc.client_id,
                client_secret_set=bool(oidc.sealed_secret),
                redirect_uri=sp.redirect_uri,
                ssf_configuration_url=oidc.ssf_configuration_url,
            )
            if connection.kind.value == "oidc"
            else None,
            mapping=MappingOut(
                email=mapping.email,
                given_name=mapping.given_name,
                family_name=mapping.family_name,
                groups=mapping.groups,
                roles={g: list(r) for g, r in mapping.roles.items()},
                attributes=dict(mapping.attributes),
            ),
        )


class ConnectionList(Schema):
    items: list[ConnectionOut]
