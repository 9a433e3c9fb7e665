"""The provider: its adapters (grants, device authorizations, pushed requests, its tokens'
keys), made from its settings, and its service objects built on them, one per room of
application/provider/; what one needs of another capability (the clients: bootstrap/clients.py)
is named in its builder's signature."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from application.accounts.profile_schema import RELEASE_SCOPES, ProfileSchemas
from application.clients.api_resources import CatalogueCache
from application.clients.ports import ClientCache
from application.events.security_events import SessionEnds
from application.events.webhooks.ports import (
    DeliveryChannel,
    WebhookDeliveries,
    WebhookPolicy,
)
from application.hooks.hooked import CredentialsClaimsHook
from application.provider.apps import AppsWithAccess
from application.provider.authorization.consent import Consents
from application.provider.authorization.device import DeviceAuthorizations, DeviceFlow, PollMemory
from application.provider.authorization.pushed import PushedAuthorizations
from application.provider.claims import ProviderAccounts
from application.provider.grants import CodesAndGrants
from application.provider.logout import BackchannelLogout, ClientLogoutLog, LogoutChannel
from application.provider.minting import TokenMint
from application.provider.ports import (
    NO_CREDENTIALS_HOOK,
    CredentialsHook,
    GrantHolders,
    OAuthGrants,
    OAuthPolicy,
    ProviderTokens,
    PushedRequests,
    RequestSeal,
)
from application.provider.services import ProviderServices
from application.provider.slots import (
    ACTOR_TOKEN_TYPES,
    ON_THE_PROVIDER,
    REQUESTED_TOKEN_TYPES,
    TOKEN_GRANTS,
    ProviderParts,
    ProviderUnits,
)
from application.provider.tokens import TokenIntrospection
from application.signin.ports import NO_TOKEN_HOOK, TokenHook
from bootstrap.accounts import SHARED, AccountsAdapters, Shared
from bootstrap.clients import CLIENT_PARTS, ClientParts
from bootstrap.drivers import DRIVING_ADAPTERS
from bootstrap.events import DELIVERY_CHANNELS, SESSION_ENDS, WEBHOOK_PARTS, EventsAdapters
from bootstrap.federation import SIGNED_IN, SignedIn
from bootstrap.keys import derived_key
from bootstrap.platform import Platform
from bootstrap.provider_driving import provider_adapter
from bootstrap.provider_keys import provider_tokens
from bootstrap.signin import ENDED_GRANTS
from bootstrap.signin_adapters import SigninAdapters
from bootstrap.signin_policies import SigninPolicies, token_hook
from bootstrap.sso import SsoAdapters
from bootstrap.unit import UNITS_ON, Built, Footing, Kernel, Lent, Unit
from domain.accounts.outlasting import OUTLASTING_ROUTES, Outlasting
from domain.hooks.kinds import HOOK_KINDS
from domain.provider.claims_request import CLAIM_SCOPES
from domain.provider.hook_kinds import CREDENTIALS_EXCHANGE
from domain.provider.logout import BACKCHANNEL_LOGOUT
from domain.provider.token_exchange import AGENT_CLAIMS
from domain.signin.claims.sources import CLAIM_SOURCES, ClaimSources
from domain.slots import Fills, filled
from infrastructure.firestore.provider.oauth import FirestoreGrantHolders, FirestoreOAuthGrants
from infrastructure.firestore.provider.oauth_device import FirestoreDeviceAuthorizations
from infrastructure.firestore.provider.oauth_pushed import FirestorePushedRequests
from infrastructure.provider.sealed_requests import AesGcmRequestSeal
from infrastructure.settings import Settings
from infrastructure.settings.identity.signin import SignInSettings
from infrastructure.settings.orgs_and_apps.clients import ClientSettings
from infrastructure.settings.orgs_and_apps.provider import ProviderSettings
from interfaces.http.routes.federation.provider_tokens import PROVIDER_TOKENS, ProviderToken

if TYPE_CHECKING:
    from interfaces.web.parts import Pages


def request_seal(settings: Settings) -> RequestSeal:
    """The pushed requests' seal: AES-256-GCM under a key of its own, derived from the
    signing secret as the other derived keys are, so every instance opens what another
    sealed (docs/decisions/0438-the-request-uri-carries-the-request-sealed.md)."""
    return AesGcmRequestSeal(
        derived_key(settings.group(SignInSettings), b"pushed authorization requests")
    )


@dataclass(frozen=True)
class ProviderAdapters:
    oauth_grants: OAuthGrants
    grant_holders: GrantHolders
    device_authorizations: DeviceAuthorizations
    pushed_requests: PushedRequests
    request_seal: RequestSeal  # what a pushed request's request_uri carries
    provider_tokens: ProviderTokens | None  # None: the provider is off


def build(footing: Footing) -> ProviderAdapters:
    """Its adapters (``Unit.makes``) on ``footing``."""
    settings, client = footing.settings, footing.client
    return ProviderAdapters(
        oauth_grants=FirestoreOAuthGrants(client),
        grant_holders=FirestoreGrantHolders(client),
        device_authorizations=FirestoreDeviceAuthorizations(client),
        pushed_requests=FirestorePushedRequests(client),
        request_seal=request_seal(settings),
        provider_tokens=provider_tokens(settings),
    )


def oauth_policy(settings: Settings) -> OAuthPolicy:
    provider = settings.group(ProviderSettings)
    return OAuthPolicy(
        issuer=settings.service.public_url,
        access_token_ttl=timedelta(seconds=provider.oauth_access_token_ttl),
        refresh_ttl=timedelta(seconds=provider.oauth_refresh_token_ttl),
        client_cache_ttl=settings.group(ClientSettings).oauth_client_cache_ttl,
    )


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
        grants=own.oauth_grants,
        clients=clients,
        clock=platform.clock,
        lease=webhooks.lease,
        window=policy.refresh_ttl,
    )
    return ends, {
        BACKCHANNEL_LOGOUT: LogoutChannel(
            clients=clients, keys=keys, clock=platform.clock, policy=policy
        )
    }


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
        grants=own.oauth_grants,
        clients=clients,
        users=accounts.users,
        audit=platform.audit,
        clock=platform.clock,
    )


def bind_accounts(
    *, accounts: AccountsAdapters, signin: SigninAdapters, platform: Platform
) -> ProviderAccounts:
    return ProviderAccounts(
        users=accounts.users,
        sessions=signin.sessions,
        orgs=signin.active_orgs,
        factors=signin.factors,
        passkeys=signin.passkeys,
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
        orgs=signin.active_orgs,
    )


def bind_minting(
    own: ProviderAdapters,
    settings: Settings,
    *,
    platform: Platform,
    schemas: ProfileSchemas,
    claims: ClaimSources,
    token_hook: TokenHook = NO_TOKEN_HOOK,
    credentials_hook: CredentialsHook = NO_CREDENTIALS_HOOK,
) -> TokenMint:
    """``claims``: the units' claim sources; ``token_hook``: the before_token hook, asked for
    a person's ID and access tokens; ``credentials_hook``: the credentials_exchange hook, for
    tokens with no person."""
    return TokenMint(
        keys=own.provider_tokens,
        schemas=schemas,
        claims=claims,
        clock=platform.clock,
        policy=oauth_policy(settings),
        metrics=platform.metrics,
        hook=token_hook,
        credentials_hook=credentials_hook,
    )


def provider_units(
    own: ProviderAdapters,
    settings: Settings,
    signed_in: SignedIn,
    units: Iterable[Fills],
    *,
    sso: SsoAdapters,
    catalogue: CatalogueCache,
) -> ProviderUnits:
    """What the units put in the provider's slots (application/provider/slots.py): their
    grants and token types, loaded with the server, and what they build on its internals
    (the agents' ID-JAGs: the orgs' connections an ID-JAG's issuer may be, read by the client
    their sign-in uses; the account that sign-in links)."""
    units = tuple(units)
    accounts = signed_in.accounts
    parts = ProviderParts(
        keys=own.provider_tokens,
        grants=own.oauth_grants,
        holders=own.grant_holders,
        users=accounts.users,
        identities=accounts.identities,
        orgs=signed_in.signin.active_orgs,
        connections=sso.connections,
        upstream=sso.oidc_client,
        box=signed_in.signin.secret_box,
        catalogue=catalogue,
        clock=signed_in.platform.clock,
        policy=oauth_policy(settings),
        claims=signed_in.rules.token_policy.claims,
    )
    return ProviderUnits(
        grants=filled(units, TOKEN_GRANTS),
        requested_types=filled(units, REQUESTED_TOKEN_TYPES),
        actor_types=filled(units, ACTOR_TOKEN_TYPES),
        built=tuple(build(parts) for build in filled(units, ON_THE_PROVIDER)),
    )


def bind_pushed(own: ProviderAdapters, *, platform: Platform) -> PushedAuthorizations:
    return PushedAuthorizations(
        pushed=own.pushed_requests, seal=own.request_seal, clock=platform.clock
    )


def bind_client_logouts(*, clients: ClientCache, deliveries: WebhookDeliveries) -> ClientLogoutLog:
    """``deliveries``: the webhook outbox, which holds the clients' logout tokens."""
    return ClientLogoutLog(clients=clients, deliveries=deliveries)


def wire(
    own: ProviderAdapters,
    settings: Settings,
    signed_in: SignedIn,
    shared: Shared,
    *,
    client_parts: ClientParts,
    deliveries: WebhookDeliveries,
    sso: SsoAdapters,
    units: Iterable[Fills] = (),
) -> ProviderServices:
    """The OpenID provider's use cases; ``client_parts``: this process's copies of the
    clients and of the API resources' catalogue; ``deliveries``: the webhook outbox, which
    holds the clients' logout tokens; ``sso``: the org connections an ID-JAG's issuer may be;
    ``units``: the units, whose fillings of its slots it holds.
    Its tokens carry the before_token hooks' claims, and those with no person in them the
    credentials_exchange hooks' (its own kind)."""
    accounts, signin, platform = signed_in.accounts, signed_in.signin, shared.platform
    clients, catalogue = client_parts.cache, client_parts.catalogue
    return ProviderServices(
        accounts=bind_accounts(accounts=accounts, signin=signin, platform=platform),
        apps=bind_apps(own, accounts=accounts, platform=platform, clients=clients),
        client_logouts=bind_client_logouts(clients=clients, deliveries=deliveries),
        consent=bind_consent(own, platform=platform),
        device=bind_device(
            own,
            settings,
            accounts=accounts,
            signin=signin,
            rules=signed_in.rules,
            platform=platform,
            clients=clients,
        ),
        grants=bind_grants(own, settings, accounts=accounts, platform=platform),
        introspection=bind_introspection(
            own, accounts=accounts, platform=platform, clients=clients
        ),
        minting=bind_minting(
            own,
            settings,
            platform=platform,
            schemas=shared.schemas,
            claims=signed_in.rules.token_policy.claims,
            token_hook=token_hook(signed_in.hooks),
            credentials_hook=CredentialsClaimsHook(
                caller=signed_in.hooks.caller_for(CREDENTIALS_EXCHANGE)
            ),
        ),
        pushed=bind_pushed(own, platform=platform),
        units=provider_units(own, settings, signed_in, units, sso=sso, catalogue=catalogue),
    )


def pages() -> Pages:
    """The provider's parts of the pages: the account area's Apps and tokens section, and
    the apps on /admin."""
    from interfaces.web.accounts.account import ACCOUNT_SECTIONS  # noqa: PLC0415 - loaded with the app
    from interfaces.web.accounts.admin import ADMIN_PARTS  # noqa: PLC0415 - loaded with the app
    from interfaces.web.parts import At, Pages  # noqa: PLC0415 - loaded with the app
    from interfaces.web.provider import admin, apps  # noqa: PLC0415 - loaded with the app

    return Pages(fills=(ACCOUNT_SECTIONS(At(40, apps.APPS)), ADMIN_PARTS(admin.admin_apps)))


def _live_access_token(token: str) -> ProviderToken | None:
    """The provider's introspection of a bearer token, for the routes below it."""
    from interfaces.provider.tokens import live_access_token  # noqa: PLC0415 - loaded with the app

    return live_access_token(token)


# The core unit: the provider's driving adapter is its own (interfaces/provider,
# ``provider_adapter``); its adapters and use cases are made by ``build`` and ``wire`` above.
def lends_early(own: ProviderAdapters, kernel: Kernel) -> Lent:
    """The provider's back-channel logout, made before the audit trail: what the trail hands
    every session's end to (``SESSION_ENDS``, events') and the deliveries' channel that sends
    the logout tokens it queues (``DELIVERY_CHANNELS``), on the webhooks' and the clients'
    parts lent before it; neither when the provider is off."""
    ends, channels = back_channel_logout(
        own,
        kernel.settings,
        webhooks=kernel.offered(WEBHOOK_PARTS).policy,
        platform=kernel.platform,
        clients=kernel.offered(CLIENT_PARTS).cache,
    )
    return Lent(
        fills=() if ends is None else (SESSION_ENDS(ends),),
        offers=(DELIVERY_CHANNELS(channels),),
    )


def lends(own: ProviderAdapters, _kernel: Kernel) -> Lent:
    """What the provider offers sign-in, below it: its grants, which a takeover's proof
    ends (``ENDED_GRANTS``, sign-in's key)."""
    return Lent(offers=(ENDED_GRANTS(own.oauth_grants),))


def built(own: ProviderAdapters, kernel: Kernel) -> Built:
    """The provider's use cases (``wire``), on what the kernel offers (the optional units,
    ``UNITS_ON``, whose fillings of its slots it holds) and the events' and single sign-on's
    adapters it holds."""
    units = kernel.offered(UNITS_ON)
    services = wire(
        own,
        kernel.settings,
        kernel.offered(SIGNED_IN),
        kernel.offered(SHARED),
        client_parts=kernel.offered(CLIENT_PARTS),
        deliveries=kernel.adapters_of(EventsAdapters).webhook_deliveries,
        sso=kernel.adapters_of(SsoAdapters),
        units=units,
    )
    return Built(services=(services,))


# Its routes that make or change what outlasts a session (an app's consent, a device's approval,
# a personal token made on the account's apps page), by kind: a session of support access is
# refused them (the accounts' ``OUTLASTING_ROUTES``).
_OUTLASTING = OUTLASTING_ROUTES(
    (
        Outlasting.GRANTS,
        (
            ("POST", "/oauth/authorize/consent"),
            ("POST", "/device"),
        ),
    ),
    (
        Outlasting.PERSONAL_TOKENS,
        (("POST", "/account/tokens"),),
    ),
)


UNIT = Unit[ProviderAdapters](
    name="provider",
    makes=build,
    lends_early=lends_early,
    lends=lends,
    build=built,
    optional=False,
    settings=(ProviderSettings,),
    pages=pages,
    fills=(
        HOOK_KINDS(CREDENTIALS_EXCHANGE),
        CLAIM_SOURCES(*AGENT_CLAIMS),
        DRIVING_ADAPTERS(provider_adapter),
        RELEASE_SCOPES(*CLAIM_SCOPES),  # an attribute is released under the scopes it offers
        PROVIDER_TOKENS(_live_access_token),  # its tokens, which routes below it take too
        _OUTLASTING,
    ),
)
