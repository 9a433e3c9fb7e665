"""Every use case, bound to its adapters, by feature: what a driving adapter (the JSON API,
the command line) calls. The composition root builds it from each capability's bindings in
``bootstrap/`` (docs/decisions/0042-wiring-per-feature.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from application.ports import NO_METRICS, Metrics, RequestCounter

if TYPE_CHECKING:
    from application.accounts.accounts import AccountServices
    from application.accounts.admin import AdminServices
    from application.accounts.authentication import AuthenticationServices
    from application.events.security_events import EventServices
    from application.events.webhooks.services import WebhookServices
    from application.federation.connected import ConnectedServices
    from application.federation.firebase import FirebaseServices
    from application.federation.upstream import UpstreamServices
    from application.jobs import JobServices
    from application.mail.flows import EmailServices
    from application.migration.services import MoveServices
    from application.orgs.active import OrgSwitching
    from application.orgs.domains import VerifiedDomains
    from application.orgs.invitations import Invitations
    from application.orgs.joining import OrgJoining
    from application.orgs.members import OrgMembers
    from application.orgs.orgs import Orgs
    from application.provider.services import OAuthServices
    from application.resources.datasets import DatasetServices
    from application.resources.dogs import DogServices
    from application.resources.files import FileServices
    from application.resources.tasks import TaskServices
    from application.scim.groups import DirectoryGroups
    from application.scim.tokens import DirectoryTokens
    from application.scim.users import DirectoryUsers
    from application.signin.login import LoginServices
    from application.signin.passkeys import PasskeyServices
    from application.signin.personal_tokens import PersonalTokenServices
    from application.signin.sessions import SessionServices
    from application.signin.totp import TotpServices
    from application.sso.connections import SsoConnections
    from application.sso.discovery import HomeRealmDiscovery
    from application.sso.expiry import CertificateSweep
    from application.sso.oidc import OidcSignIn
    from application.sso.saml import SamlSpMetadata
    from application.sso.setup import SetupLinks
    from application.sso.signin import SamlSignIn


@dataclass(frozen=True)
class Services:
    accounts: AccountServices
    active_org: OrgSwitching  # the session's org (docs/reference/orgs.md)
    admin: AdminServices
    authentication: AuthenticationServices
    datasets: DatasetServices
    dogs: DogServices
    email: EmailServices  # the mail flows (docs/reference/email.md)
    events: EventServices  # security events (docs/reference/events.md)
    files: FileServices
    firebase: FirebaseServices
    identities: ConnectedServices  # connected accounts (docs/reference/identities.md)
    jobs: JobServices  # the push endpoint of the background jobs
    login: LoginServices
    moves: MoveServices  # users import and export (docs/migrating.md)
    oauth: OAuthServices  # firegate as an OpenID Connect provider (docs/reference/oauth.md)
    orgs: Orgs  # organizations (docs/reference/orgs.md)
    org_members: OrgMembers  # docs/reference/orgs.md, "Roles"
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
    passkeys: PasskeyServices
    personal_tokens: PersonalTokenServices  # tokens for scripts (docs/reference/tokens.md)
    sessions: SessionServices
    tasks: TaskServices
    totp: TotpServices  # the second factor (docs/reference/mfa.md)
    upstream: UpstreamServices  # upstream providers (docs/reference/providers.md)
    webhooks: WebhookServices  # admins' webhooks (docs/reference/webhooks.md)
    ready: Callable[[], bool]  # the readiness probe: Firestore answers
    request_counter: RequestCounter  # behind the per-address request limits
    metrics: Metrics = NO_METRICS  # the adapters' metrics (NO_METRICS when off)
