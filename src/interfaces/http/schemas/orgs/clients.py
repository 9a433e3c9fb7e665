"""An org's own OAuth clients' request and response bodies (docs/reference/orgs.md, "Apps and
tokens of an org"): the fields of ``clients create``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from domain.provider.oauth import (
    MAX_NAME_CHARS,
    MAX_REDIRECT_URIS,
    MAX_RESOURCES,
    MAX_URI_CHARS,
    OAuthClient,
)
from interfaces.http.schemas.common import Strict, single_line

# domain.provider.oauth's SCOPES and OPT_IN_GRANTS (a unit test holds them equal)
Scope = Literal["openid", "profile", "email", "offline_access", "roles", "organization"]
OptInGrant = Literal["device_code", "token_exchange"]
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
        max_length=2,
        description="grants beyond the default ones (token_exchange: confidential clients)",
    )
    dpop_bound_access_tokens: bool = Field(
        default=False, description="its tokens are always DPoP-bound (RFC 9449)"
    )
    pkce: Literal["required", "optional"] = Field(
        default="required",
        description="PKCE on each authorization request; optional only for a confidential "
        "client (RFC 9700 §2.1.1)",
    )
    backchannel_logout_uri: Uri | None = Field(
        default=None,
        description="where a logout token is posted when a session the app holds a grant of "
        "ends (OpenID Connect Back-Channel Logout 1.0); http(s), no fragment",
    )
    backchannel_logout_session_required: bool = Field(
        default=False, description="each logout token names the session (sid)"
    )


class OrgClientOut(BaseModel):
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
    backchannel_logout_uri: str | None
    backchannel_logout_session_required: bool
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
            backchannel_logout_uri=client.backchannel_logout_uri,
            backchannel_logout_session_required=client.backchannel_logout_session_required,
            created_at=client.created_at,
        )


class OrgClientCreated(OrgClientOut):
    client_secret: str | None = Field(
        description="a confidential client's secret, shown in this answer only (stored "
        "hashed); null for a public client"
    )


class OrgClientList(BaseModel):
    items: list[OrgClientOut]
