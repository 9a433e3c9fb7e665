"""The active organization: the one org a session acts in, switched with POST /auth/org
(docs/reference/orgs.md, "The active organization")."""

from __future__ import annotations

from dataclasses import dataclass

from application.ports import Clock
from application.signin.authentication import Actor
from application.signin.ports import NO_TOKEN_HOOK, ActiveOrgs, TokenHook, TokenIssuer
from application.signin.sessions import AccessToken, SessionRepository, session_access_token
from domain.errors import Unauthenticated
from domain.signin.active_org import ActiveOrg, check_second_factor, not_found
from domain.signin.claims.sources import ClaimSources


@dataclass(frozen=True)
class SwitchOrg:
    """``actor`` authenticated with its second factor read (``Authenticate.with_factor``)."""

    actor: Actor
    org: str | None  # the org's id or slug; None: act in no org


@dataclass(frozen=True, kw_only=True, slots=True)
class OrgSwitching:
    """The org a session acts in, switched (POST /auth/org, the account area's switcher).

    ``orgs``: the session's active org, read as the per-request check reads it;
    ``hook``: the ``before_token`` hook, asked for the new access token; ``claims``: the
    claim sources its claims come from (signin's ``TokenPolicy.claims``)."""

    orgs: ActiveOrgs
    sessions: SessionRepository
    tokens: TokenIssuer
    clock: Clock
    claims: ClaimSources
    hook: TokenHook = NO_TOKEN_HOOK

    def switch(self, cmd: SwitchOrg) -> AccessToken:
        """The session acts in ``cmd.org`` (or in none) from now on, and a new access token
        says so; the refresh token stays, and its next access tokens name the org too.

        404 ``org_not_found`` unless the caller is a member of that live org (a non-member
        learns nothing of it); 403 ``mfa_setup_required`` when the org requires a second
        factor the account has not set up (docs/decisions/0370-an-org-that-requires-mfa.md)."""
        actor = cmd.actor
        org: ActiveOrg | None = None
        if cmd.org is not None:
            org = self.orgs.member_org(cmd.org, actor.user_id) if cmd.org else None
            if org is None:
                raise not_found()
            if actor.session is not None:  # support access acts where it may
                actor.session.check_acting_in(org.id, org_allows=org.support_access)
            check_second_factor(org, actor.factor)
        session = actor.session  # read with the account in this request's one round trip
        now = self.clock.now().replace(microsecond=0)
        if session is None or not self.sessions.set_org(session.id, org.id if org else None, now):
            raise Unauthenticated("The session has ended.", code="invalid_token")
        return session_access_token(
            actor,
            session,
            org,
            tokens=self.tokens,
            now=now,
            sources=self.claims,
            hook=self.hook,
            kind="org_switch",
        )
