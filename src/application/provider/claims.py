"""Who the user is, to a client: the claims the scopes allow, when they signed in, and the
account while it is enabled (docs/reference/oauth.md, "Claims")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from application.accounts.accounts import UserRepository
from application.ports import Clock
from application.signin.authentication import Actor
from application.signin.factors.passkeys import PasskeyRepository
from application.signin.mfa import MfaRepository
from application.signin.ports import ActiveOrgs
from application.signin.sessions import SessionRepository
from domain.accounts.users import User
from domain.clients.oauth import OAuthClient, scope_list
from domain.errors import PermissionDenied
from domain.provider.claims_request import SCOPE_OF_CLAIM
from domain.signin.acr import MFA, PHR, PWD, AcrRequest, acr_of, meets
from domain.signin.active_org import ActiveOrg, lacks_second_factor
from domain.signin.sessions import Session


def claims_of(
    user: User,
    scope: str,
    org: ActiveOrg | None = None,
    also: tuple[str, ...] = (),
    released: Mapping[str, object] | None = None,
) -> dict[str, object]:
    """The claims the scopes allow (OpenID Connect Core §5.4; ``roles`` and ``organization``
    are firegate's), and the ones named in ``also`` (a ``claims`` request's, already kept
    within the scopes the client may have and the person allowed). ``org``: the membership of
    the grant's org as read now (None: none, or no more); ``released``: the profile
    attributes the scopes release (``ProfileSchemas.released``), never in place of one of
    firegate's claims. The units' claims of a scope (``phone``'s) are their claim sources'
    (``TokenMint.claims``)."""
    found = _scope_claims(user, scope, org)
    if also:
        wider = _scope_claims(user, " ".join(SCOPE_OF_CLAIM.values()), org)
        found.update({name: wider[name] for name in also if name in wider})
    for name, value in (released or {}).items():
        found.setdefault(name, value)
    return found


def _scope_claims(user: User, scope: str, org: ActiveOrg | None) -> dict[str, object]:
    scopes = scope_list(scope)
    claims: dict[str, object] = {"sub": user.id}
    if "profile" in scopes:
        if user.username is not None:  # a guest has none
            claims["preferred_username"] = user.username.value
        if user.whole_name:
            claims["name"] = user.whole_name
        if user.name:
            claims["given_name"] = user.name
        if user.last_name:
            claims["family_name"] = user.last_name
        if user.locale:
            claims["locale"] = user.locale
        claims["updated_at"] = int(user.updated_at.timestamp())
    if "email" in scopes and user.email is not None:
        claims["email"] = user.email.value
        claims["email_verified"] = user.email_verified
    if "roles" in scopes:
        claims["roles"] = [user.role.value]
    if "organization" in scopes and org is not None:
        claims.update(org_claims(org))
    return claims


def org_claims(org: ActiveOrg) -> dict[str, object]:
    """Scope ``organization``'s claims (docs/reference/oauth.md, "Organizations")."""
    return {
        "org_id": org.id,
        "org_slug": org.slug,
        "org_roles": list(org.roles),
        "org_permissions": list(org.permissions),
    }


@dataclass(frozen=True)
class MemberOrg:
    user_id: str
    org: str | None  # the org's id or slug; None: none asked
    # The browser's session, where it picks the org: one of support access acts only in the
    # org it may (``Session.check_acting_in``)
    session: Session | None = None


@dataclass(frozen=True)
class OrgPick:
    """The org a sign-in with scope ``organization`` picked, or why it may not: ``refusal``
    ``org_not_found`` (not a member, or no such org), ``mfa_setup_required``, or for a
    session of support access ``impersonation_bound_to_org`` or
    ``org_forbids_impersonation``."""

    org: ActiveOrg | None
    refusal: str | None = None


@dataclass(frozen=True)
class OrgsOf:
    user_id: str


MAX_ORGS_OFFERED = 100


@dataclass(frozen=True)
class AuthTime:
    actor: Actor  # signed in on the browser


@dataclass(frozen=True)
class SignInClass:
    """What an authorization request asks of the browser's sign-in's class (``acr``)."""

    actor: Actor
    asked: AcrRequest


class StepUp(StrEnum):
    """What a sign-in below the class an authorization request asks needs
    (docs/decisions/0573-acr-values-at-the-authorization-endpoint.md)."""

    NONE = "none"  # it meets it, or cannot do better and the request makes do with the best
    AGAIN = "again"  # a new sign-in can reach it: the person is asked for one
    UNMET = "unmet"  # it is essential and the account has no factor that reaches it


@dataclass(frozen=True)
class SignInAge:
    actor: Actor
    max_age: int  # seconds (OpenID Connect's ``max_age``)


def enabled_account(user_id: str, *, users: UserRepository) -> User | None:
    user = users.get(user_id)
    return user if user is not None and not user.disabled else None


@dataclass(frozen=True)
class FindAccount:
    user_id: str


@dataclass(frozen=True)
class Admission:
    """May ``client`` have tokens for this person (``OAuthClient.admits``), in the org the
    grant acts in (``OAuthClient.acts_in``)?"""

    client: OAuthClient
    user_id: str
    granted_at: datetime | None = None  # a grant's, refreshed: the membership it was made in
    org: ActiveOrg | None = None  # the grant's org as read for this request already, if any
    # The org the grant acts in (scope ``organization``'s pick; a token's ``org_id``), whose
    # agent policy must allow the client while the person is its member
    org_id: str | None = None


class Refusal(StrEnum):
    """Why a client may not have tokens for a person (``admission_refusal``)."""

    MEMBERS_ONLY = "org_members_only"  # an org's app, and the person is not its member
    AGENT_NOT_ALLOWED = "agent_not_allowed"  # the org the grant acts in does not allow it


def admission_refusal(cmd: Admission, *, orgs: ActiveOrgs) -> Refusal | None:
    """Why the client may not have tokens for the person, or None: an org's app for its
    members only, and they are not one (their membership of its org read now, once: a
    membership of that org already read for the request is taken as it is); or the org the
    grant acts in, while they are its member, does not allow the client (its agent policy,
    read with the membership). Every grant, at the authorization and the token endpoint,
    asks here (docs/decisions/0548-an-orgs-agent-policy.md). No read for a client open to
    all in no org."""
    client = cmd.client
    known = cmd.org
    if client.org_id is not None and client.members_only:
        member = known if known is not None and known.id == client.org_id else None
        member = member or orgs.member_org(client.org_id, cmd.user_id)
        if not client.admits(member, cmd.granted_at):
            return Refusal.MEMBERS_ONLY
        known = member if cmd.org_id == client.org_id else known
    if cmd.org_id is None:
        return None
    acting = known if known is not None and known.id == cmd.org_id else None
    acting = acting or orgs.member_org(cmd.org_id, cmd.user_id)
    if acting is not None and not client.acts_in(acting):
        return Refusal.AGENT_NOT_ALLOWED
    return None


def admitted(cmd: Admission, *, orgs: ActiveOrgs) -> bool:
    """Whether the client admits the person (``admission_refusal`` finds nothing)."""
    return admission_refusal(cmd, orgs=orgs) is None


def members_only() -> PermissionDenied:
    """403 ``org_members_only``: the app is for the members of the org that registered it
    (docs/decisions/0467-an-orgs-app-is-for-its-members.md)."""
    return PermissionDenied(
        "Only the members of the organization that registered this app may use it.",
        code="org_members_only",
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class ProviderAccounts:
    """The person a client is told about: the account while it is enabled, when its browser
    signed in, and its orgs (scope ``organization``); ``orgs`` reads memberships of live
    orgs, ``factors`` whether a second factor is set up, ``passkeys`` whether a passkey
    is (the classes a new sign-in can reach)."""

    users: UserRepository
    sessions: SessionRepository
    orgs: ActiveOrgs
    factors: MfaRepository
    passkeys: PasskeyRepository
    clock: Clock

    def account(self, cmd: FindAccount) -> User | None:
        """The account, while it is enabled."""
        return enabled_account(cmd.user_id, users=self.users)

    def authenticated_at(self, cmd: AuthTime) -> datetime | None:
        """When the browser's session began: the user's authentication time
        (``auth_time``). The session as the request's authentication read it with the
        account, where it did (its start never changes): no read of its own."""
        session = cmd.actor.session
        if session is None or session.id != cmd.actor.session_id:
            session = self.sessions.get(cmd.actor.session_id)
        return session.created_at if session is not None else None

    def signed_in_too_long_ago(self, cmd: SignInAge) -> bool:
        """Whether the browser's sign-in is older than ``max_age`` (or unknown)."""
        began = self.authenticated_at(AuthTime(cmd.actor))
        return began is None or (self.clock.now() - began).total_seconds() > cmd.max_age

    def step_up(self, cmd: SignInClass) -> StepUp:
        """Whether the browser's sign-in meets the class asked (its ``amr``'s, ``acr_of``),
        else whether a new one could: the best class the account can reach is read only
        then (a passkey: ``phr``; an authenticator: ``mfa``; else ``pwd``)."""
        asked = cmd.asked
        if asked.wanted is None or asked.met_by(acr_of(cmd.actor.amr)):
            return StepUp.NONE
        if meets(self._reachable(cmd.actor.user_id), asked.wanted):
            return StepUp.AGAIN
        return StepUp.UNMET if asked.essential else StepUp.NONE

    def _reachable(self, user_id: str) -> str:
        if self.passkeys.list_for_user(user_id, 1):
            return PHR
        factor = self.factors.get(user_id)
        return MFA if factor is not None and factor.active else PWD

    def member_org(self, cmd: MemberOrg) -> ActiveOrg | None:
        """The person's membership of that live org as stored now (scope
        ``organization``); None if none."""
        return self.orgs.member_org(cmd.org, cmd.user_id) if cmd.org else None

    def admits(self, cmd: Admission) -> bool:
        """Whether the client may have tokens for the person: an org's app for its members
        only admits its members (docs/decisions/0467-an-orgs-app-is-for-its-members.md), and
        the org the grant acts in must allow it (docs/decisions/0548-an-orgs-agent-policy.md)."""
        return admitted(cmd, orgs=self.orgs)

    def refusal(self, cmd: Admission) -> Refusal | None:
        """Why the client may not have tokens for the person (``admission_refusal``)."""
        return admission_refusal(cmd, orgs=self.orgs)

    def pick_org(self, cmd: MemberOrg) -> OrgPick:
        """The org becomes active for the app as for a session (POST /auth/org): a member's,
        and with a second factor set up when the org requires one (docs/decisions/
        0382-an-org-becomes-active-under-its-rules-everywhere.md); the authenticator is read
        only for such an org."""
        org = self.member_org(cmd)
        if org is None:
            return OrgPick(None, "org_not_found")
        if cmd.session is not None:
            try:
                cmd.session.check_acting_in(org.id, org_allows=org.support_access)
            except PermissionDenied as refused:
                return OrgPick(None, refused.code)
        if org.require_mfa and lacks_second_factor(org, self.factors.get(cmd.user_id)):
            return OrgPick(None, "mfa_setup_required")
        return OrgPick(org)

    def orgs_of(self, cmd: OrgsOf) -> list[ActiveOrg]:
        """The orgs the consent page offers for scope ``organization``, by slug."""
        return self.orgs.orgs_of(cmd.user_id, MAX_ORGS_OFFERED)
