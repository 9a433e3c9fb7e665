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
    from application.federation.connected import ConnectedAccounts
    from application.federation.firebase import Firebase
    from application.federation.upstream import Upstream
    from application.jobs import JobServices
    from application.mail.flows import EmailServices
    from application.migration.services import MoveServices
    from application.orgs.active import ActiveOrgServices
    from application.orgs.domains import OrgDomainServices
    from application.orgs.invitations import OrgInvitationServices
    from application.orgs.services import OrgServices
    from application.provider.services import OAuthServices
    from application.resources.datasets import DatasetServices
    from application.resources.dogs import DogServices
    from application.resources.files import FileServices
    from application.resources.tasks import TaskServices
    from application.scim.groups import ScimGroupServices
    from application.scim.tokens import ScimTokenServices
    from application.scim.users import ScimUserServices
    from application.signin.login import Logins
    from application.signin.passkeys import Passkeys
    from application.signin.personal_tokens import PersonalTokens
    from application.signin.sessions import Sessions
    from application.signin.totp import TotpFactors
    from application.sso.connections import ConnectionServices
    from application.sso.discovery import DiscoveryServices
    from application.sso.oidc import OidcSignInServices
    from application.sso.saml import SamlServices
    from application.sso.setup import SetupLinkServices
    from application.sso.signin import SamlSignInServices


@dataclass(frozen=True)
class Services:
    accounts: AccountServices
    active_org: ActiveOrgServices  # the session's org (docs/reference/orgs.md)
    admin: AdminServices
    authentication: AuthenticationServices
    datasets: DatasetServices
    dogs: DogServices
    email: EmailServices  # the mail flows (docs/reference/email.md)
    events: EventServices  # security events (docs/reference/events.md)
    files: FileServices
    firebase: Firebase
    identities: ConnectedAccounts  # connected accounts (docs/reference/identities.md)
    jobs: JobServices  # the push endpoint of the background jobs
    login: Logins  # password login, its second step, the password change
    moves: MoveServices  # users import and export (docs/migrating.md)
    oauth: OAuthServices  # firegate as an OpenID Connect provider (docs/reference/oauth.md)
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
    passkeys: Passkeys
    personal_tokens: PersonalTokens  # tokens for scripts (docs/reference/tokens.md)
    sessions: Sessions
    tasks: TaskServices
    totp: TotpFactors  # the second factor (docs/reference/mfa.md)
    upstream: Upstream  # upstream providers (docs/reference/providers.md)
    webhooks: WebhookServices  # admins' webhooks (docs/reference/webhooks.md)
    ready: Callable[[], bool]  # the readiness probe: Firestore answers
    request_counter: RequestCounter  # behind the per-address request limits
    metrics: Metrics = NO_METRICS  # the adapters' metrics (NO_METRICS when off)
