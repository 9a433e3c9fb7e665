"""The provider: its adapters (clients, grants, device authorizations, its tokens' keys),
made from its settings, and its service objects built on them, one per room of
application/provider/; what one needs of another capability is named in its builder's
signature."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from application.events.security_events import SessionEnds
from application.events.webhooks.ports import (
    DeliveryChannel,
    DocumentGetter,
    HostResolver,
    WebhookDeliveries,
    WebhookPolicy,
)
from application.orgs.ports import OrgRepository
from application.provider.api_resources import ApiResourceRegistry, CatalogueCache
from application.provider.apps import AppsWithAccess
from application.provider.claims import ProviderAccounts
from application.provider.client_keys import AssertionKeys, KeptKeys
from application.provider.clients import ClientRegistry
from application.provider.consent import Consents
from application.provider.device import DeviceAuthorizations, DeviceFlow, PollMemory
from application.provider.grants import CodesAndGrants
from application.provider.logout import BackchannelLogout, ClientLogoutLog, LogoutChannel
from application.provider.minting import TokenMint
from application.provider.ports import (
    ApiResources,
    ClientCache,
    GrantHolders,
    OAuthClients,
    OAuthGrants,
    OAuthPolicy,
    ProviderTokens,
    PushedRequests,
    RequestSeal,
)
from application.provider.pushed import PushedAuthorizations
from application.provider.tokens import TokenIntrospection
from bootstrap.accounts import AccountsAdapters
from bootstrap.keys import derived_key, provider_tokens
from bootstrap.platform import Platform
from bootstrap.signin import SigninAdapters, SigninPolicies
from domain.provider.logout import BACKCHANNEL_LOGOUT
from infrastructure.events.webhook_http import PinnedWebhookSender, SocketHostResolver
from infrastructure.firestore.provider.api_resources import FirestoreApiResources
from infrastructure.firestore.provider.oauth import (
    FirestoreGrantHolders,
    FirestoreOAuthClients,
    FirestoreOAuthGrants,
)
from infrastructure.firestore.provider.oauth_device import FirestoreDeviceAuthorizations
from infrastructure.firestore.provider.oauth_pushed import FirestorePushedRequests
from infrastructure.provider.sealed_requests import AesGcmRequestSeal
from infrastructure.settings import Settings

if TYPE_CHECKING:
    from google.cloud.firestore import Client


def request_seal(settings: Settings) -> RequestSeal:
    """The pushed requests' seal: AES-256-GCM under a key of its own, derived from the
    signing secret as the other derived keys are, so every instance opens what another
    sealed (docs/decisions/0438-the-request-uri-carries-the-request-sealed.md)."""
    return AesGcmRequestSeal(derived_key(settings.signin, b"pushed authorization requests"))


@dataclass(frozen=True)
class ProviderAdapters:
    oauth_clients: OAuthClients
    oauth_grants: OAuthGrants
    grant_holders: GrantHolders
    device_authorizations: DeviceAuthorizations
    pushed_requests: PushedRequests
    request_seal: RequestSeal  # what a pushed request's request_uri carries
    keys_getter: DocumentGetter  # fetches a client's jwks_uri as a webhook is sent
    keys_resolver: HostResolver  # whose addresses must be public, as a webhook's
    provider_tokens: ProviderTokens | None  # None: the provider is off
    api_resources: ApiResources


def build(settings: Settings, client: Client) -> ProviderAdapters:
    return ProviderAdapters(
        oauth_clients=FirestoreOAuthClients(client),
        oauth_grants=FirestoreOAuthGrants(client),
        grant_holders=FirestoreGrantHolders(client),
        device_authorizations=FirestoreDeviceAuthorizations(client),
        pushed_requests=FirestorePushedRequests(client),
        request_seal=request_seal(settings),
        keys_getter=PinnedWebhookSender(timeout=settings.events.webhook_timeout),
        keys_resolver=SocketHostResolver(),
        provider_tokens=provider_tokens(settings),
        api_resources=FirestoreApiResources(client),
    )


def oauth_policy(settings: Settings) -> OAuthPolicy:
    provider = settings.provider
    return OAuthPolicy(
        issuer=settings.service.public_url,
        access_token_ttl=timedelta(seconds=provider.oauth_access_token_ttl),
        refresh_ttl=timedelta(seconds=provider.oauth_refresh_token_ttl),
        client_cache_ttl=provider.oauth_client_cache_ttl,
    )


def client_cache(own: ProviderAdapters, settings: Settings) -> ClientCache:
    """The clients as each process reuses them once read; one per process, so that a
    deletion through any use case (an org's purge too) drops the copy at once."""
    return ClientCache(own.oauth_clients, oauth_policy(settings).client_cache_ttl)


def back_channel_logout(
    own: ProviderAdapters,
    settings: Settings,
    *,
    webhooks: WebhookPolicy,
    platform: Platform,
    clients: ClientCache,
) -> tuple[SessionEnds | None, dict[str, DeliveryChannel]]:
    """What the audit log hands every session's end to, and the webhook deliveries' channel
    that sends the logout tokens it queues; neither when the provider is off."""
    keys = own.provider_tokens
    if keys is None:
        return None, {}
    policy = oauth_policy(settings)
    ends = BackchannelLogout(
        own.oauth_grants,
        clients,
        platform.clock,
        lease=webhooks.lease,
        window=policy.refresh_ttl,
    )
    return ends, {BACKCHANNEL_LOGOUT: LogoutChannel(clients, keys, platform.clock, policy)}


def resource_catalogue(own: ProviderAdapters, settings: Settings) -> CatalogueCache:
    """The registered API resources, read now and then (OAUTH_CLIENT_CACHE_TTL, as the
    clients); one per process, shared by the clients' use cases and the resources'."""
    return CatalogueCache(own.api_resources, oauth_policy(settings).client_cache_ttl)


def bind_clients(
    *, orgs: OrgRepository, platform: Platform, clients: ClientCache, catalogue: CatalogueCache
) -> ClientRegistry:
    """``orgs``: whose admins manage an org's own clients; ``clients``: this process's
    copies of the clients (``client_cache``), shared with what else deletes them."""
    return ClientRegistry(clients=clients, orgs=orgs, catalogue=catalogue, clock=platform.clock)


def bind_api_resources(
    settings: Settings, *, orgs: OrgRepository, platform: Platform, catalogue: CatalogueCache
) -> ApiResourceRegistry:
    own_api = (settings.signin.jwt_audience, settings.signin.jwt_issuer)  # never a resource
    return ApiResourceRegistry(
        catalogue=catalogue, orgs=orgs, clock=platform.clock, reserved=own_api
    )


def bind_consent(own: ProviderAdapters, *, platform: Platform) -> Consents:
    return Consents(grants=own.oauth_grants, clock=platform.clock)


def bind_grants(
    own: ProviderAdapters, settings: Settings, *, accounts: AccountsAdapters, platform: Platform
) -> CodesAndGrants:
    return CodesAndGrants(
        grants=own.oauth_grants,
        users=accounts.users,
        holders=own.grant_holders,
        clock=platform.clock,
        audit=platform.audit,
        policy=oauth_policy(settings),
    )


def bind_introspection(
    own: ProviderAdapters, *, accounts: AccountsAdapters, platform: Platform, clients: ClientCache
) -> TokenIntrospection:
    return TokenIntrospection(
        keys=own.provider_tokens,
        clients=clients,
        grants=own.oauth_grants,
        users=accounts.users,
        holders=own.grant_holders,
        clock=platform.clock,
    )


def bind_apps(
    own: ProviderAdapters, *, accounts: AccountsAdapters, platform: Platform, clients: ClientCache
) -> AppsWithAccess:
    return AppsWithAccess(
        grants=own.oauth_grants, clients=clients, users=accounts.users, audit=platform.audit
    )


def bind_accounts(
    *, accounts: AccountsAdapters, signin: SigninAdapters, platform: Platform
) -> ProviderAccounts:
    return ProviderAccounts(
        users=accounts.users,
        sessions=signin.sessions,
        orgs=accounts.active_orgs,
        factors=signin.factors,
        clock=platform.clock,
    )


def bind_device(
    own: ProviderAdapters,
    settings: Settings,
    *,
    accounts: AccountsAdapters,
    signin: SigninAdapters,
    rules: SigninPolicies,
    platform: Platform,
    clients: ClientCache,
) -> DeviceFlow:
    """A typed user code is a guess, under the sign-in's throttle and its rules."""
    return DeviceFlow(
        devices=own.device_authorizations,
        clients=clients,
        users=accounts.users,
        throttle=signin.throttle,
        throttle_policy=rules.throttle_policy,
        memory=PollMemory(),
        clock=platform.clock,
        audit=platform.audit,
        policy=oauth_policy(settings),
        orgs=accounts.active_orgs,
    )


def bind_minting(own: ProviderAdapters, settings: Settings, *, platform: Platform) -> TokenMint:
    return TokenMint(
        keys=own.provider_tokens,
        clock=platform.clock,
        policy=oauth_policy(settings),
        metrics=platform.metrics,
    )


def bind_pushed(own: ProviderAdapters, *, platform: Platform) -> PushedAuthorizations:
    return PushedAuthorizations(
        pushed=own.pushed_requests, seal=own.request_seal, clock=platform.clock
    )


def bind_client_keys(own: ProviderAdapters, settings: Settings) -> AssertionKeys:
    """A client's jwks_uri, fetched under the webhooks' rules: a public address only, except
    in the local profile, whose clients run on this machine."""
    return AssertionKeys(
        getter=own.keys_getter,
        resolver=own.keys_resolver,
        local=settings.service.app_profile == "local",
        kept=KeptKeys(),
    )


def bind_client_logouts(*, clients: ClientCache, deliveries: WebhookDeliveries) -> ClientLogoutLog:
    """``deliveries``: the webhook outbox, which holds the clients' logout tokens."""
    return ClientLogoutLog(clients=clients, deliveries=deliveries)
