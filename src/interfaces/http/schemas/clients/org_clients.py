"""An org's own OAuth clients' request and response bodies (docs/reference/orgs.md, "Apps and
tokens of an org"): the fields of ``clients create``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from domain.clients.api_resources import MAX_RESOURCE_SCOPES, MAX_SCOPE_CHARS
from domain.clients.oauth import MAX_NAME_CHARS, MAX_REDIRECT_URIS, MAX_RESOURCES, OAuthClient
from domain.clients.redirect_uris import MAX_URI_CHARS
from interfaces.http.schemas.common import (
    Schema,
    Strict,
    no_null,
    not_null,
    single_line,
    single_line_not_null,
)

# domain.clients.oauth's SCOPES and OPT_IN_GRANTS (a unit test holds them equal)
Scope = Literal["openid", "profile", "email", "offline_access", "roles", "organization", "phone"]
OptInGrant = Literal["device_code", "token_exchange", "jwt_bearer"]
ResourceScope = Annotated[
    str, Field(min_length=1, max_length=MAX_SCOPE_CHARS, pattern=r"^[\x21\x23-\x5b\x5d-\x7e]+$")
]
Uri = Annotated[str, Field(min_length=1, max_length=MAX_URI_CHARS, json_schema_extra=single_line)]


class OrgClientCreate(Strict):
    name: str = Field(
        min_length=1,
        max_length=MAX_NAME_CHARS,
        examples=["Acme dashboard"],
        description="shown on the consent page",
        json_schema_extra=single_line,
    )
    redirect_uris: list[Uri] = Field(
        min_length=1,
        max_length=MAX_REDIRECT_URIS,
        examples=[["https://dashboard.acme.example/callback"]],
        description="https, http on a loopback address, or an app's own scheme; no fragment",
    )
    confidential: bool = Field(
        default=False,
        description="a server-side app that keeps a secret (and may use client_credentials)",
    )
    scopes: list[Scope] = Field(default_factory=list, max_length=6, description="none: every scope")
    post_logout_redirect_uris: list[Uri] = Field(default_factory=list, max_length=10)
    resources: list[Uri] = Field(
        default_factory=list,
        max_length=MAX_RESOURCES,
        description="the resources (RFC 8707) its tokens may be for; none: any",
    )
    grants: list[OptInGrant] = Field(
        default_factory=list,
        max_length=3,
        description="grants beyond the default ones (token_exchange, jwt_bearer: confidential "
        "clients)",
    )
    dpop_bound_access_tokens: bool = Field(
        default=False, description="its tokens are always DPoP-bound (RFC 9449)"
    )
    pkce: Literal["required", "optional"] = Field(
        default="required",
        description="PKCE on each authorization request; optional only for a confidential "
        "client (RFC 9700 §2.1.1)",
    )
    resource_scopes: list[ResourceScope] = Field(
        default_factory=list,
        max_length=MAX_RESOURCE_SCOPES,
        examples=[["tasks:read"]],
        description="registered API resources' scopes it may ask for, at their resources",
    )
    require_pushed_authorization_requests: bool = Field(
        default=False,
        description="its authorization requests must be pushed to /oauth/par first (RFC 9126)",
    )
    jwks: dict[str, Any] | None = Field(
        default=None,
        description="its public keys (a JWK Set): it authenticates with private_key_jwt "
        "(RFC 7523) and gets no secret",
    )
    jwks_uri: Uri | None = Field(
        default=None, description="where it publishes its public keys, instead of jwks"
    )
    backchannel_logout_uri: Uri | None = Field(
        default=None,
        description="where a logout token is posted when a session the app holds a grant of "
        "ends (OpenID Connect Back-Channel Logout 1.0); http(s), no fragment",
    )
    backchannel_logout_session_required: bool = Field(
        default=False, description="each logout token names the session (sid)"
    )
    members_only: bool = Field(
        default=True,
        description="only the org's members get tokens for a person; anyone else is refused "
        "at the authorization endpoint",
    )


class OrgClientPatch(Strict):
    """PATCH: only the fields given change."""

    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_NAME_CHARS,
        json_schema_extra=single_line_not_null,
    )
    redirect_uris: list[Uri] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_REDIRECT_URIS,
        json_schema_extra=not_null,
    )
    members_only: bool | None = Field(default=None, json_schema_extra=not_null)

    _not_null = field_validator("name", "redirect_uris", "members_only", mode="before")(no_null)


class OrgClientOut(Schema):
    client_id: str
    org_id: str
    name: str
    redirect_uris: list[str]
    confidential: bool
    scopes: list[str]
    post_logout_redirect_uris: list[str]
    resources: list[str]
    grants: list[str] = Field(description="the opt-in grants, as their URIs")
    dpop_bound_access_tokens: bool
    pkce: Literal["required", "optional"]
    resource_scopes: list[str]
    require_pushed_authorization_requests: bool
    token_endpoint_auth_method: str = Field(
        description="none, client_secret_basic (or _post), or private_key_jwt"
    )
    jwks_uri: str | None
    backchannel_logout_uri: str | None
    backchannel_logout_session_required: bool
    members_only: bool
    created_at: datetime

    @staticmethod
    def of(client: OAuthClient) -> OrgClientOut:
        return OrgClientOut(
            client_id=client.client_id,
            org_id=client.org_id or "",
            name=client.name,
            redirect_uris=list(client.redirect_uris),
            confidential=client.confidential,
            scopes=list(client.scopes),
            post_logout_redirect_uris=list(client.post_logout_redirect_uris),
            resources=list(client.resources),
            grants=list(client.grants),
            dpop_bound_access_tokens=client.dpop_bound_access_tokens,
            pkce="required" if client.pkce_required else "optional",
            resource_scopes=list(client.resource_scopes),
            require_pushed_authorization_requests=client.par_required,
            token_endpoint_auth_method=client.auth_method,
            jwks_uri=client.jwks_uri,
            backchannel_logout_uri=client.backchannel_logout_uri,
            backchannel_logout_session_required=client.backchannel_logout_session_required,
            members_only=client.members_only,
            created_at=client.created_at,
        )


class OrgClientCreated(OrgClientOut):
    client_secret: str | None = Field(
        description="a confidential client's secret, shown in this answer only (stored "
        "hashed); null for a public client"
    )


class OrgClientList(Schema):
    items: list[OrgClientOut]
