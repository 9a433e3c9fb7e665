"""Every use case, bound to its adapters, by feature: what a driving adapter (the JSON API,
the command line) calls. The composition root builds it from each capability's bindings in
``bootstrap/`` (docs/decisions/0042-wiring-per-feature.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from application.ports import NO_METRICS, Metrics, RequestCounter

if TYPE_CHECKING:
    from application.accounts.accounts import Accounts
    from application.accounts.admin import Administration
    from application.accounts.authentication import Authentication
    from application.events.security_events import EventHistory
    from application.events.webhooks.admin import Webhooks
    from application.federation.connected import ConnectedServices
    from application.federation.firebase import FirebaseServices
    from application.federation.upstream import UpstreamServices
    from application.jobs import PushedJobs
    from application.mail.flows import EmailVerification
    from application.mail.invitations import Invitations
    from application.mail.not_me import NotMeLinks
    from application.mail.password_reset import PasswordReset
    from application.migration.services import UserMigration
    from application.orgs.active import ActiveOrgServices
    from application.orgs.domains import OrgDomainServices
    from application.orgs.invitations import OrgInvitationServices
    from application.orgs.services import OrgServices
    from application.provider.api_resources import ApiResourceRegistry
    from application.provider.apps import AppsWithAccess
    from application.provider.claims import ProviderAccounts
    from application.provider.client_keys import AssertionKeys
    from application.provider.clients import ClientRegistry
    from application.provider.consent import Consents
    from application.provider.device import DeviceFlow
    from application.provider.grants import CodesAndGrants
    from application.provider.logout import ClientLogoutLog
    from application.provider.minting import TokenMint
    from application.provider.pushed import PushedAuthorizations
    from application.provider.tokens import TokenIntrospection
    from application.resources.datasets import Datasets
    from application.resources.dogs import Dogs
    from application.resources.files import Files
    from application.resources.tasks import Tasks
    from application.scim.groups import ScimGroupServices
    from application.scim.tokens import ScimTokenServices
    from application.scim.users import ScimUserServices
    from application.signin.login import LoginServices
    from application.signin.passkeys import PasskeyServices
    from application.signin.personal_tokens import PersonalTokenServices
    from application.signin.sessions import SessionServices
    from application.signin.totp import TotpServices
    from application.sso.connections import ConnectionServices
    from application.sso.discovery import DiscoveryServices
    from application.sso.oidc import OidcSignInServices
    from application.sso.saml import SamlServices
    from application.sso.setup import SetupLinkServices
    from application.sso.signin import SamlSignInServices


@dataclass(frozen=True)
class Services:
    accounts: Accounts
    active_org: ActiveOrgServices  # the session's org (docs/reference/orgs.md)
    admin: Administration
    authentication: Authentication
    datasets: Datasets
    dogs: Dogs
    email: EmailVerification  # an address's proof by mail (docs/reference/email.md)
    events: EventHistory  # security events (docs/reference/events.md)
    files: Files
    firebase: FirebaseServices
    invitations: Invitations  # an admin's, by mail (docs/reference/email.md); orgs' apart
    identities: ConnectedServices  # connected accounts (docs/reference/identities.md)
    jobs: PushedJobs  # the push endpoint of the background jobs
    login: LoginServices
    migration: UserMigration  # users import and export (docs/migrating.md)
    not_me: NotMeLinks  # a notice's "this wasn't me" link (docs/pages.md, /not-me)
    # firegate as an OpenID Connect provider (docs/reference/oauth.md), by room
    oauth_accounts: ProviderAccounts  # the person a client is told of, "Scopes and claims"
    oauth_apps: AppsWithAccess  # "Apps with access"
    oauth_client_keys: AssertionKeys  # "Client authentication with a signed assertion"
    oauth_client_logouts: ClientLogoutLog  # "Back-channel logout", for admins
    oauth_clients: ClientRegistry  # "Clients"; orgs.md, "Apps and tokens of an org"
    oauth_consent: Consents  # what a person allowed, "GET and POST /oauth/authorize"
    oauth_device: DeviceFlow  # "Device authorization"
    oauth_grants: CodesAndGrants  # codes, grants, refresh tokens: "POST /oauth/token"
    oauth_introspection: TokenIntrospection  # "POST /oauth/introspect", userinfo
    oauth_minting: TokenMint  # every token the provider issues
    oauth_pushed: PushedAuthorizations  # "Pushed authorization requests"
    oauth_resources: ApiResourceRegistry  # "API resources"
    orgs: OrgServices  # organizations (docs/reference/orgs.md)
    org_domains: OrgDomainServices  # docs/reference/orgs.md, "Verified domains"
    org_invitations: OrgInvitationServices  # docs/reference/orgs.md, "Invitations"
    sso_connections: ConnectionServices  # docs/reference/sso.md, "Connections"
    saml: SamlServices  # docs/reference/sso.md, "The service provider"
    saml_signin: SamlSignInServices  # docs/reference/sso.md, "Signing in"
    sso_discovery: DiscoveryServices  # docs/reference/sso.md, "Home-realm discovery"
    oidc_signin: OidcSignInServices  # docs/reference/sso.md, "Signing in"
    sso_setup: SetupLinkServices  # docs/reference/sso.md, "Setup links"
    # docs/reference/sso.md, "Certificate expiry": one pass, how many certificates were warned of
    sso_certificate_sweep: Callable[[], int]
    scim_tokens: ScimTokenServices  # docs/reference/scim.md, "Tokens"
    scim_users: ScimUserServices  # docs/reference/scim.md, "Users"
    scim_groups: ScimGroupServices  # docs/reference/scim.md, "Groups"
    passkeys: PasskeyServices
    password_reset: PasswordReset  # password recovery by mail (docs/reference/email.md)
    personal_tokens: PersonalTokenServices  # tokens for scripts (docs/reference/tokens.md)
    sessions: SessionServices
    tasks: Tasks
    totp: TotpServices  # the second factor (docs/reference/mfa.md)
    upstream: UpstreamServices  # upstream providers (docs/reference/providers.md)
    webhooks: Webhooks  # admins' webhooks (docs/reference/webhooks.md)
    ready: Callable[[], bool]  # the readiness probe: Firestore answers
    request_counter: RequestCounter  # behind the per-address request limits
    metrics: Metrics = NO_METRICS  # the adapters' metrics (NO_METRICS when off)
