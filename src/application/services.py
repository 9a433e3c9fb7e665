"""The service objects, one field per group of use cases, each built once with its ports:
what a driving adapter (the JSON API, the pages, the command line) calls, as
``services().tasks.get(cmd)``. The composition root builds them in each capability's module
of ``bootstrap/`` (docs/decisions/0456-service-objects.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from application.ports import NO_METRICS, Metrics, RequestCounter

if TYPE_CHECKING:
    from application.accounts.accounts import Accounts
    from application.accounts.admin import Administration
    from application.accounts.challenge_gate import ChallengeGate
    from application.accounts.profile_schema import ProfileSchemas
    from application.clients.api_resources import ApiResourceRegistry
    from application.clients.client_keys import AssertionKeys
    from application.clients.clients import ClientRegistry
    from application.events.security_events import EventHistory
    from application.events.webhooks.admin import Webhooks
    from application.federation.connected import ConnectedAccounts
    from application.federation.firebase import Firebase
    from application.federation.upstream import Upstream
    from application.hooks.admin import AuthHooks
    from application.jobs import PushedJobs
    from application.mail.flows import EmailVerification
    from application.mail.invitations import AccountInvitations
    from application.mail.not_me import NotMeLinks
    from application.mail.password_reset import PasswordReset
    from application.migration.services import UserMigration
    from application.orgs.access import AccessDecisions
    from application.orgs.active import OrgSwitching
    from application.orgs.joining.domains import VerifiedDomains
    from application.orgs.joining.invitations import Invitations
    from application.orgs.joining.joining import OrgJoining
    from application.orgs.members.members import MemberAttributes, OrgMembers, OrgRoles
    from application.orgs.orgs import Orgs
    from application.provider.apps import AppsWithAccess
    from application.provider.claims import ProviderAccounts
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
    from application.scim.groups import DirectoryGroups
    from application.scim.tokens import DirectoryTokens
    from application.scim.users import DirectoryUsers
    from application.signin.authentication import Authentication
    from application.signin.codes.email import EmailCodes
    from application.signin.login import Logins
    from application.signin.passkeys import Passkeys
    from application.signin.personal_tokens import PersonalTokens
    from application.signin.sessions import Sessions
    from application.signin.totp import TotpFactors
    from application.sso.connections import SsoConnections
    from application.sso.discovery import HomeRealmDiscovery
    from application.sso.expiry import CertificateSweep
    from application.sso.oidc import OidcSignIn
    from application.sso.setup import SetupLinks
    from application.sso.signin import SamlSignIn, SamlSpMetadata


@dataclass(frozen=True)
class Services:
    access_decisions: AccessDecisions  # POST /access/v1/evaluation (docs/reference/access.md)
    accounts: Accounts
    active_org: OrgSwitching  # the session's org (docs/reference/orgs.md)
    admin: Administration
    auth_hooks: AuthHooks  # admins' auth hooks (docs/reference/auth-hooks.md)
    authentication: Authentication
    challenge_gate: ChallengeGate  # asked when a signal fires (docs/security.md)
    datasets: Datasets
    dogs: Dogs
    email: EmailVerification  # an address's proof by mail (docs/reference/email.md)
    email_codes: EmailCodes  # sign-in by a mailed code (docs/reference/email-code.md)
    events: EventHistory  # security events (docs/reference/events.md)
    files: Files
    firebase: Firebase
    invitations: AccountInvitations  # an admin's, by mail (docs/reference/email.md); orgs' apart
    identities: ConnectedAccounts  # connected accounts (docs/reference/identities.md)
    jobs: PushedJobs  # the push endpoint of the background jobs
    login: Logins  # password login, its second step, the password change
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
    orgs: Orgs  # organizations (docs/reference/orgs.md)
    org_members: OrgMembers  # docs/reference/orgs.md, "Roles"
    org_roles: OrgRoles  # docs/reference/orgs.md, "Roles and permissions"
    org_member_attributes: MemberAttributes  # docs/reference/orgs.md, "Members' attributes"
    org_joining: OrgJoining  # docs/reference/orgs.md, "Joining by domain"
    org_domains: VerifiedDomains  # docs/reference/orgs.md, "Verified domains"
    org_invitations: Invitations  # docs/reference/orgs.md, "Invitations"
    sso_connections: SsoConnections  # docs/reference/sso.md, "Connections"
    saml: SamlSpMetadata  # docs/reference/sso.md, "The service provider"
    saml_signin: SamlSignIn  # docs/reference/sso.md, "Signing in"
    sso_discovery: HomeRealmDiscovery  # docs/reference/sso.md, "Home-realm discovery"
    oidc_signin: OidcSignIn  # docs/reference/sso.md, "Signing in"
    sso_setup: SetupLinks  # docs/reference/sso.md, "Setup links"
    sso_certificate_sweep: CertificateSweep  # docs/reference/sso.md, "Certificate expiry"
    scim_tokens: DirectoryTokens  # docs/reference/scim.md, "Tokens"
    scim_users: DirectoryUsers  # docs/reference/scim.md, "Users"
    scim_groups: DirectoryGroups  # docs/reference/scim.md, "Groups"
    passkeys: Passkeys
    profile_schemas: ProfileSchemas  # docs/reference/accounts.md, "Profile attributes"
    password_reset: PasswordReset  # password recovery by mail (docs/reference/email.md)
    personal_tokens: PersonalTokens  # tokens for scripts (docs/reference/tokens.md)
    sessions: Sessions
    tasks: Tasks
    totp: TotpFactors  # the second factor (docs/reference/mfa.md)
    upstream: Upstream  # upstream providers (docs/reference/providers.md)
    webhooks: Webhooks  # admins' webhooks (docs/reference/webhooks.md)
    ready: Callable[[], bool]  # the readiness probe: Firestore answers
    request_counter: RequestCounter  # behind the per-address request limits
    metrics: Metrics = NO_METRICS  # the adapters' metrics (NO_METRICS when off)
