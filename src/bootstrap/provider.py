"""The provider: its adapters (clients, grants, device authorizations, its tokens' keys),
made from its settings, and its use cases bound to them.

A use case is bound here with ``functools.partial``; what it needs of another capability is
named in its binding's signature (docs/decisions/0042-wiring-per-feature.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import partial
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
from application.provider.api_resources import (
    CatalogueCache,
    add_resource,
    admin_add_resource,
    admin_list_resources,
    admin_remove_resource,
    allow_org,
    list_resources,
    remove_resource,
)
from application.provider.apps import list_apps, revoke_app
from application.provider.claims import (
    authenticated_at,
    find_account,
    member_org,
    orgs_of,
    pick_org,
    signed_in_too_long_ago,
)
from application.provider.client_keys import KeptKeys, KeyDownloads, client_keys
from application.provider.clients import (
    MAX_CLIENTS_LISTED,
    admin_create_client,
    admin_delete_client,
    admin_list_clients,
    create_client,
    create_operator_org_client,
    create_org_client,
    delete_client,
    delete_org_client,
    find_client,
    list_org_clients,
    registering_org,
)
from application.provider.consent import consent_needed, remember_consent
from application.provider.device import (
    DeviceAuthorizations,
    PollMemory,
    decide_device,
    find_device_request,
    poll_device,
    poll_pending,
    start_device,
)
from application.provider.grants import (
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
from application.provider.logout import BackchannelLogout, LogoutChannel, list_client_logouts
from application.provider.minting import (
    count_issued,
    mint_access_token,
    mint_exchanged_token,
    mint_id_token,
)
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
from application.provider.pushed import bring_pushed, push_request, resume_pushed
from application.provider.services import OAuthServices
from application.provider.tokens import token_state
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


def bind_oauth(
    own: ProviderAdapters,
    settings: Settings,
    *,
    accounts: AccountsAdapters,
    signin: SigninAdapters,
    rules: SigninPolicies,
    platform: Platform,
    orgs: OrgRepository,
    clients: ClientCache,
    deliveries: WebhookDeliveries,
) -> OAuthServices:
    """``orgs``: whose admins manage an org's own clients; ``clients``: this process's copies
    of the clients (``client_cache``), shared with what else deletes them; ``deliveries``:
    the webhook outbox, which holds the clients' logout tokens (back-channel logout)."""
    clock, audit, policy = platform.clock, platform.audit, oauth_policy(settings)
    grants, users, holders = own.oauth_grants, accounts.users, own.grant_holders
    devices, memory = own.device_authorizations, PollMemory()
    keys = own.provider_tokens
    # The registered API resources, read now and then (OAUTH_CLIENT_CACHE_TTL, as clients)
    catalogue = CatalogueCache(own.api_resources, policy.client_cache_ttl)
    own_api = (settings.signin.jwt_audience, settings.signin.jwt_issuer)  # never a resource
    # a client's jwks_uri, fetched under the webhooks' rules: a public address only, except
    # in the local profile, whose clients run on this machine
    downloads = KeyDownloads(
        own.keys_getter, own.keys_resolver, local=settings.service.app_profile == "local"
    )

    find_request = partial(
        find_device_request,
        devices=devices,
        clients=clients,
        users=users,
        clock=clock,
        throttle=signin.throttle,
        throttle_policy=rules.throttle_policy,
    )

    return OAuthServices(
        create_client=partial(create_client, clients=clients, clock=clock, catalogue=catalogue),
        list_clients=partial(clients.list, MAX_CLIENTS_LISTED),
        delete_client=partial(delete_client, clients=clients),
        admin_list_clients=partial(admin_list_clients, clients=clients),
        admin_create_client=partial(
            admin_create_client, clients=clients, clock=clock, catalogue=catalogue
        ),
        admin_delete_client=partial(admin_delete_client, clients=clients),
        admin_client_logouts=partial(list_client_logouts, clients=clients, deliveries=deliveries),
        client=partial(find_client, clients=clients),
        create_org_client=partial(
            create_org_client, orgs=orgs, clients=clients, clock=clock, catalogue=catalogue
        ),
        create_operator_org_client=partial(
            create_operator_org_client, orgs=orgs, clients=clients, clock=clock, catalogue=catalogue
        ),
        org_clients=partial(list_org_clients, orgs=orgs, clients=clients),
        delete_org_client=partial(delete_org_client, orgs=orgs, clients=clients),
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
        authenticated_at=partial(authenticated_at, sessions=signin.sessions),
        signed_in_too_long_ago=partial(
            signed_in_too_long_ago, sessions=signin.sessions, clock=clock
        ),
        member_org=partial(member_org, orgs=accounts.active_orgs),
        pick_org=partial(pick_org, orgs=accounts.active_orgs, factors=signin.factors),
        orgs_of=partial(orgs_of, orgs=accounts.active_orgs),
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
        count_issued=partial(count_issued, metrics=platform.metrics),
        add_resource=partial(add_resource, cache=catalogue, clock=clock, reserved=own_api),
        list_resources=partial(list_resources, cache=catalogue),
        remove_resource=partial(remove_resource, cache=catalogue),
        admin_list_resources=partial(admin_list_resources, cache=catalogue),
        admin_add_resource=partial(
            admin_add_resource, cache=catalogue, clock=clock, reserved=own_api
        ),
        admin_remove_resource=partial(admin_remove_resource, cache=catalogue),
        allow_org=partial(allow_org, cache=catalogue, orgs=orgs),
        registered_by=partial(registering_org, orgs=orgs),
        resource_catalogue=catalogue.catalogue,
        push_request=partial(push_request, seal=own.request_seal, clock=clock),
        bring_pushed=partial(
            bring_pushed, pushed=own.pushed_requests, seal=own.request_seal, clock=clock
        ),
        resume_pushed=partial(resume_pushed, pushed=own.pushed_requests, clock=clock),
        client_keys=partial(client_keys, downloads=downloads, kept=KeptKeys()),
    )
