"""The provider's use cases bound to their ports (docs/decisions/0042-wiring-per-feature.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Protocol

from application.accounts.accounts import UserRepository
from application.ports import AuditLog, Clock, Metrics
from application.provider.apps import AppAccess, ListApps, RevokeApp, list_apps, revoke_app
from application.provider.claims import (
    AuthTime,
    FindAccount,
    SignInAge,
    authenticated_at,
    find_account,
    signed_in_too_long_ago,
)
from application.provider.clients import (
    MAX_CLIENTS_LISTED,
    AdminClients,
    AdminCreateClient,
    AdminDeleteClient,
    CreateClient,
    CreatedClient,
    DeleteClient,
    FindClient,
    admin_create_client,
    admin_delete_client,
    admin_list_clients,
    create_client,
    delete_client,
    find_client,
)
from application.provider.consent import ConsentQuery, consent_needed, remember_consent
from application.provider.device import (
    DecideDevice,
    DeviceAuthorizations,
    DeviceRequestView,
    DeviceStart,
    FindDeviceRequest,
    PollDevice,
    Polled,
    PollMemory,
    StartDevice,
    decide_device,
    find_device_request,
    poll_device,
    poll_pending,
    start_device,
)
from application.provider.grants import (
    ExchangeCode,
    Exchanged,
    FindRefresh,
    Holding,
    LiveGrant,
    NewCode,
    PresentedCode,
    RevokeClientToken,
    RevokeGrant,
    RotateRefresh,
    SpendCode,
    SpendProof,
    exchange_code,
    find_refresh,
    live_grant,
    present_code,
    revoke_client_token,
    revoke_grant,
    rotate_refresh,
    save_code,
    spend_code,
    spend_proof,
)
from application.provider.minting import (
    MintAccessToken,
    Minted,
    MintExchangedToken,
    MintIdToken,
    TokenIssued,
    count_issued,
    mint_access_token,
    mint_exchanged_token,
    mint_id_token,
)
from application.provider.ports import (
    ClientCache,
    GrantHolders,
    OAuthClients,
    OAuthGrants,
    OAuthPolicy,
    ProviderTokens,
)
from application.provider.tokens import InspectToken, TokenState, token_state
from application.signin.sessions import SessionRepository
from application.signin.throttle import LoginThrottle
from domain.accounts.users import User
from domain.provider.oauth import AuthorizationCode, OAuthClient
from domain.signin.throttling import LoginThrottlePolicy


class OAuthPorts(Protocol):
    @property
    def oauth_clients(self) -> OAuthClients: ...
    @property
    def oauth_grants(self) -> OAuthGrants: ...
    @property
    def grant_holders(self) -> GrantHolders: ...
    @property
    def device_authorizations(self) -> DeviceAuthorizations: ...
    @property
    def throttle(self) -> LoginThrottle: ...
    @property
    def users(self) -> UserRepository: ...
    @property
    def sessions(self) -> SessionRepository: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def audit(self) -> AuditLog: ...
    @property
    def provider_tokens(self) -> ProviderTokens | None: ...
    @property
    def metrics(self) -> Metrics: ...


class OAuthPolicies(Protocol):
    @property
    def oauth_policy(self) -> OAuthPolicy: ...
    @property
    def throttle_policy(self) -> LoginThrottlePolicy: ...


@dataclass(frozen=True)
class OAuthServices:
    create_client: Callable[[CreateClient], CreatedClient]
    list_clients: Callable[[], list[OAuthClient]]
    delete_client: Callable[[DeleteClient], None]
    admin_list_clients: Callable[[AdminClients], list[OAuthClient]]
    admin_create_client: Callable[[AdminCreateClient], CreatedClient]
    admin_delete_client: Callable[[AdminDeleteClient], None]
    client: Callable[[FindClient], OAuthClient | None]
    consent_needed: Callable[[ConsentQuery], bool]
    remember_consent: Callable[[ConsentQuery], None]
    save_code: Callable[[NewCode], None]
    spend_code: Callable[[SpendCode], AuthorizationCode | None]
    present_code: Callable[[SpendCode], PresentedCode | None]
    exchange_code: Callable[[ExchangeCode], Exchanged | None]
    find_refresh: Callable[[FindRefresh], Holding | None]
    rotate_refresh: Callable[[RotateRefresh], str | None]
    spend_proof: Callable[[SpendProof], None]
    live_grant: Callable[[LiveGrant], Holding | None]
    token_state: Callable[[InspectToken], TokenState | None]
    revoke_grant: Callable[[RevokeGrant], None]
    revoke_client_token: Callable[[RevokeClientToken], None]
    list_apps: Callable[[ListApps], list[AppAccess]]
    revoke_app: Callable[[RevokeApp], None]
    account: Callable[[FindAccount], User | None]
    authenticated_at: Callable[[AuthTime], datetime | None]
    signed_in_too_long_ago: Callable[[SignInAge], bool]
    start_device: Callable[[StartDevice], DeviceStart]
    find_device_request: Callable[[FindDeviceRequest], DeviceRequestView]
    decide_device: Callable[[DecideDevice], DeviceRequestView]
    poll_device: Callable[[PollDevice], Polled]
    poll_pending: Callable[[PollDevice], Polled | None]
    mint_access_token: Callable[[MintAccessToken], Minted]
    mint_exchanged_token: Callable[[MintExchangedToken], Minted | None]
    mint_id_token: Callable[[MintIdToken], str]
    count_issued: Callable[[TokenIssued], None]


def bind(ports: OAuthPorts, policies: OAuthPolicies) -> OAuthServices:
    clock, audit, policy = ports.clock, ports.audit, policies.oauth_policy
    clients = ClientCache(ports.oauth_clients, policy.client_cache_ttl)
    grants, users, holders = ports.oauth_grants, ports.users, ports.grant_holders
    devices, memory = ports.device_authorizations, PollMemory()
    keys = ports.provider_tokens

    def find_request(cmd: FindDeviceRequest) -> DeviceRequestView:
        return find_device_request(
            cmd,
            devices=devices,
            clients=clients,
            users=users,
            clock=clock,
            throttle=ports.throttle,
            throttle_policy=policies.throttle_policy,
        )

    return OAuthServices(
        create_client=partial(create_client, clients=clients, clock=clock),
        list_clients=lambda: clients.list(MAX_CLIENTS_LISTED),
        delete_client=partial(delete_client, clients=clients),
        admin_list_clients=partial(admin_list_clients, clients=clients),
        admin_create_client=partial(admin_create_client, clients=clients, clock=clock),
        admin_delete_client=partial(admin_delete_client, clients=clients),
        client=partial(find_client, clients=clients),
        consent_needed=partial(consent_needed, grants=grants),
        remember_consent=partial(remember_consent, grants=grants, clock=clock),
        save_code=partial(save_code, grants=grants, clock=clock),
        spend_code=partial(spend_code, grants=grants, users=users, clock=clock, audit=audit),
        present_code=partial(
            present_code, grants=grants, users=users, holders=holders, clock=clock, audit=audit
        ),
        exchange_code=partial(
            exchange_code, grants=grants, clock=clock, audit=audit, policy=policy
        ),
        find_refresh=partial(
            find_refresh, grants=grants, users=users, holders=holders, clock=clock, audit=audit
        ),
        rotate_refresh=partial(
            rotate_refresh, grants=grants, clock=clock, audit=audit, policy=policy
        ),
        spend_proof=partial(spend_proof, grants=grants, clock=clock),
        live_grant=partial(live_grant, grants=grants, users=users, holders=holders),
        token_state=partial(
            token_state,
            keys=keys,
            clients=clients,
            grants=grants,
            users=users,
            holders=holders,
            clock=clock,
        ),
        revoke_grant=partial(revoke_grant, grants=grants, audit=audit),
        revoke_client_token=partial(revoke_client_token, grants=grants),
        list_apps=partial(list_apps, grants=grants, clients=clients, users=users),
        revoke_app=partial(revoke_app, grants=grants, audit=audit),
        account=partial(find_account, users=users),
        authenticated_at=partial(authenticated_at, sessions=ports.sessions),
        signed_in_too_long_ago=partial(
            signed_in_too_long_ago, sessions=ports.sessions, clock=clock
        ),
        start_device=partial(start_device, devices=devices, clock=clock),
        find_device_request=find_request,
        decide_device=partial(
            decide_device, devices=devices, find=find_request, clock=clock, audit=audit
        ),
        poll_device=partial(
            poll_device,
            devices=devices,
            users=users,
            memory=memory,
            clock=clock,
            audit=audit,
            policy=policy,
        ),
        poll_pending=partial(poll_pending, devices=devices, memory=memory, clock=clock),
        mint_access_token=partial(mint_access_token, keys=keys, clock=clock, policy=policy),
        mint_exchanged_token=partial(mint_exchanged_token, keys=keys, clock=clock, policy=policy),
        mint_id_token=partial(mint_id_token, keys=keys, clock=clock, policy=policy),
        count_issued=partial(count_issued, metrics=ports.metrics),
    )
