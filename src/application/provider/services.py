"""The provider's use cases as a driving adapter calls them, each bound by
``bootstrap/provider.py`` (docs/decisions/0042-wiring-per-feature.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from application.pagination import Page
from application.provider.api_resources import (
    AddResource,
    AdminAddResource,
    AdminRemoveResource,
    AdminResources,
    AllowOrg,
    RemoveResource,
)
from application.provider.apps import AppAccess, ListApps, RevokeApp
from application.provider.claims import (
    AuthTime,
    FindAccount,
    MemberOrg,
    OrgPick,
    OrgsOf,
    SignInAge,
)
from application.provider.client_keys import ClientKeys
from application.provider.clients import (
    AdminClients,
    AdminCreateClient,
    AdminDeleteClient,
    CreateClient,
    CreatedClient,
    CreateOrgClient,
    DeleteClient,
    DeleteOrgClient,
    FindClient,
    OperatorOrgClient,
    OrgClients,
)
from application.provider.consent import ConsentQuery
from application.provider.device import (
    DecideDevice,
    DeviceRequestView,
    DeviceStart,
    FindDeviceRequest,
    PollDevice,
    Polled,
    StartDevice,
)
from application.provider.grants import (
    ExchangeCode,
    Exchanged,
    FindRefresh,
    GrantWithAccount,
    LiveGrant,
    NewCode,
    PresentedCode,
    RevokeClientToken,
    RevokeGrant,
    RotateRefresh,
    SpendCode,
    SpendProof,
)
from application.provider.logout import ClientLogouts
from application.provider.minting import (
    MintAccessToken,
    Minted,
    MintExchangedToken,
    MintIdToken,
    TokenIssued,
)
from application.provider.pushed import (
    BringPushedRequest,
    BroughtPushedRequest,
    Pushed,
    PushRequest,
    ResumePushed,
)
from application.provider.tokens import InspectToken, TokenState
from domain.accounts.users import User
from domain.events.webhooks import Delivery
from domain.orgs.active import ActiveOrg
from domain.provider.api_resources import ApiResource, ResourceCatalogue
from domain.provider.oauth import AuthorizationCode, OAuthClient


@dataclass(frozen=True)
class OAuthServices:
    create_client: Callable[[CreateClient], CreatedClient]
    list_clients: Callable[[], list[OAuthClient]]
    delete_client: Callable[[DeleteClient], None]
    admin_list_clients: Callable[[AdminClients], list[OAuthClient]]
    admin_create_client: Callable[[AdminCreateClient], CreatedClient]
    admin_delete_client: Callable[[AdminDeleteClient], None]
    admin_client_logouts: Callable[[ClientLogouts], tuple[OAuthClient, Page[Delivery]]]
    client: Callable[[FindClient], OAuthClient | None]
    # An org's own clients, for its admins (docs/reference/orgs.md, "Apps and tokens of an org")
    create_org_client: Callable[[CreateOrgClient], CreatedClient]
    create_operator_org_client: Callable[[OperatorOrgClient], CreatedClient]  # clients --org
    org_clients: Callable[[OrgClients], list[OAuthClient]]
    delete_org_client: Callable[[DeleteOrgClient], None]
    consent_needed: Callable[[ConsentQuery], bool]
    remember_consent: Callable[[ConsentQuery], None]
    save_code: Callable[[NewCode], None]
    spend_code: Callable[[SpendCode], AuthorizationCode | None]
    present_code: Callable[[SpendCode], PresentedCode | None]
    exchange_code: Callable[[ExchangeCode], Exchanged | None]
    find_refresh: Callable[[FindRefresh], GrantWithAccount | None]
    rotate_refresh: Callable[[RotateRefresh], str | None]
    spend_proof: Callable[[SpendProof], None]
    live_grant: Callable[[LiveGrant], GrantWithAccount | None]
    token_state: Callable[[InspectToken], TokenState | None]
    revoke_grant: Callable[[RevokeGrant], None]
    revoke_client_token: Callable[[RevokeClientToken], None]
    list_apps: Callable[[ListApps], list[AppAccess]]
    revoke_app: Callable[[RevokeApp], None]
    account: Callable[[FindAccount], User | None]
    authenticated_at: Callable[[AuthTime], datetime | None]
    signed_in_too_long_ago: Callable[[SignInAge], bool]
    member_org: Callable[[MemberOrg], ActiveOrg | None]  # scope ``organization``
    pick_org: Callable[[MemberOrg], OrgPick]  # ... as the sign-in picks it: its rules checked
    orgs_of: Callable[[OrgsOf], list[ActiveOrg]]  # the consent page's choice of orgs
    registered_by: Callable[[OAuthClient], str | None]  # the org that registered an app
    start_device: Callable[[StartDevice], DeviceStart]
    find_device_request: Callable[[FindDeviceRequest], DeviceRequestView]
    decide_device: Callable[[DecideDevice], DeviceRequestView]
    poll_device: Callable[[PollDevice], Polled]
    poll_pending: Callable[[PollDevice], Polled | None]
    mint_access_token: Callable[[MintAccessToken], Minted]
    mint_exchanged_token: Callable[[MintExchangedToken], Minted | None]
    mint_id_token: Callable[[MintIdToken], str]
    count_issued: Callable[[TokenIssued], None]
    # API resources with their own scopes (docs/reference/oauth.md, "API resources")
    add_resource: Callable[[AddResource], ApiResource]
    list_resources: Callable[[], list[ApiResource]]
    remove_resource: Callable[[RemoveResource], None]
    admin_list_resources: Callable[[AdminResources], list[ApiResource]]
    admin_add_resource: Callable[[AdminAddResource], ApiResource]
    admin_remove_resource: Callable[[AdminRemoveResource], None]
    allow_org: Callable[[AllowOrg], ApiResource]  # ``resources allow`` / ``disallow``
    resource_catalogue: Callable[[], ResourceCatalogue]  # as this process read it lately
    # Pushed authorization requests (RFC 9126): kept, spent on arrival, resumed by its browser
    push_request: Callable[[PushRequest], Pushed]
    bring_pushed: Callable[[BringPushedRequest], BroughtPushedRequest]
    resume_pushed: Callable[[ResumePushed], tuple[tuple[str, str], ...]]
    # private_key_jwt (RFC 7523): a client's public keys, and where its assertions' jti are kept
    client_keys: Callable[[ClientKeys], dict[str, Any]]
