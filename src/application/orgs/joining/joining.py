"""Joining an org by its verified domain (its ``domain_policy``): the orgs a person may join by
themselves, joining one, and the automatic join of ``auto_join`` when an address is proven
(docs/reference/orgs.md, "Joining by domain";
docs/decisions/0380-joining-an-org-by-its-domain.md).

A person may join an org when their proven address is on one of its verified domains, they
are not a member, and the org's policy is ``suggest`` or ``auto_join``. To anyone else the
org does not exist (404 ``org_not_found``), as for every non-member.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from application.accounts.accounts import UserRepository
from application.orgs.joining.domains import OrgDomains, org_for_domain
from application.orgs.orgs import OrgMembership
from application.orgs.ports import OrgRepository
from application.ports import Audit, AuditEvent, AuditLog, Clock
from application.signin.authentication import Actor
from domain.accounts.users import User
from domain.errors import Conflict
from domain.orgs.orgs import DomainPolicy, Membership, Org, OrgRole
from domain.orgs.roles import Granter
from domain.signin.active_org import not_found

log = logging.getLogger("firegate.orgs")

JOINED = "domain"  # org.member_added's reason: the person joined by themselves
AUTO_JOINED = "auto_join"  # ... or was joined when their address was proven


def _domain_org(user: User | None, *, orgs: OrgRepository, domains: OrgDomains) -> Org | None:
    """The live org that verified the domain of the account's proven address; None if the
    account is gone or disabled, its address unproven, or no org holds its domain."""
    if user is None or not user.active or user.email is None or not user.email_verified:
        return None
    org_id = org_for_domain(user.email.value.rpartition("@")[2], domains=domains)
    return orgs.get(org_id) if org_id is not None else None


def _account(actor: Actor, users: UserRepository) -> User | None:
    """The account as the request's authentication read it, else as stored."""
    return actor.user if actor.user is not None else users.get(actor.user_id)


@dataclass(frozen=True)
class SuggestedOrgs:
    actor: Actor


@dataclass(frozen=True)
class JoinOrg:
    actor: Actor
    org: str  # an id or a slug


def _already_member() -> Conflict:
    return Conflict("You are a member of this organization already.", code="already_member")


def _still_open(org: Org) -> None:
    """The policy as the join's commit finds it: a join racing a change to ``none`` loses."""
    if not org.open_to_its_domains:
        raise not_found()


def _still_auto_join(org: Org) -> None:
    if org.domain_policy is not DomainPolicy.AUTO_JOIN:
        raise not_found()


def _add(
    org: Org,
    user_id: str,
    reason: str,
    check: Callable[[Org], None],
    *,
    orgs: OrgRepository,
    clock: Clock,
    audit: AuditLog,
) -> Membership:
    """The person added as a ``member`` with ``org.member_added`` in the same commit, if
    ``check`` passes on the org as the commit finds it."""
    event = AuditEvent(Audit.ORG_MEMBER_ADDED, user_id=user_id, org_id=org.id, reason=reason)
    staged = audit.stage([event])
    membership = orgs.add_member(
        org.id,
        user_id,
        (OrgRole.MEMBER.value,),
        clock.now(),
        staged,
        granter=Granter.domain(),
        check=check,
    )
    audit.committed(staged)
    return membership


@dataclass(frozen=True, kw_only=True, slots=True)
class OrgJoining:
    """A person joins by themselves an org that verified the domain of their proven
    address, where its policy is ``suggest`` or ``auto_join``.

    ``users``: the caller's account, when the request's authentication did not read
    it."""

    orgs: OrgRepository
    domains: OrgDomains
    users: UserRepository
    clock: Clock
    audit: AuditLog

    def suggested(self, cmd: SuggestedOrgs) -> list[Org]:
        """The orgs the caller may join by their proven address's domain: ``suggest``, and
        ``auto_join`` ones they are not in (they were proven before the policy, or left);
        none they are a member of. At most one today (a domain is one org's)."""
        orgs = self.orgs
        org = _domain_org(_account(cmd.actor, self.users), orgs=orgs, domains=self.domains)
        if org is None or not org.open_to_its_domains:
            return []
        if orgs.membership(org.id, cmd.actor.user_id) is not None:
            return []
        return [org]

    def join(self, cmd: JoinOrg) -> OrgMembership:
        """The caller joins, as a ``member``, an org ``suggested`` offers them; 409
        ``already_member`` for a member (however many joins run at once: one makes the
        membership); 404 ``org_not_found`` for any org not offered to them."""
        orgs = self.orgs
        named = orgs.find(cmd.org)
        org = _domain_org(_account(cmd.actor, self.users), orgs=orgs, domains=self.domains)
        if named is None or org is None or org.id != named.id or not org.open_to_its_domains:
            if named is not None and orgs.membership(named.id, cmd.actor.user_id) is not None:
                raise _already_member()  # the org exists for its members
            raise not_found()
        membership = _add(
            org,
            cmd.actor.user_id,
            JOINED,
            _still_open,
            orgs=orgs,
            clock=self.clock,
            audit=self.audit,
        )
        return OrgMembership(org, membership)


@dataclass(frozen=True, kw_only=True, slots=True)
class AutoJoin:
    """``auto_join``: an account whose address is newly proven joins the org that verified
    its domain with that policy (``AccountHooks.proven``)."""

    orgs: OrgRepository
    domains: OrgDomains
    clock: Clock
    audit: AuditLog

    def join_by_domain(self, user: User) -> Membership | None:
        """The account whose address was just proven joins, as a member, the org that
        verified its domain with ``auto_join``; None when there is none, or it is a member
        already. One read (the domain's claim) for an address on a domain no org
        verified."""
        org = _domain_org(user, orgs=self.orgs, domains=self.domains)
        if org is None or org.domain_policy is not DomainPolicy.AUTO_JOIN:
            return None
        try:
            return _add(
                org,
                user.id,
                AUTO_JOINED,
                _still_auto_join,
                orgs=self.orgs,
                clock=self.clock,
                audit=self.audit,
            )
        except Conflict as exc:
            if exc.code == "already_member":
                return None
            raise

    def address_proven(self, user: User) -> None:
        """What follows an address newly proven, wherever it was (the verification link, a
        password reset's link, a provider's verified sign-in, an org invitation): its
        ``auto_join``. The proof is committed already; a join that fails is logged, not
        raised, and the person still finds the org among their suggestions."""
        try:
            self.join_by_domain(user)
        except Exception as error:  # the proof stands; the suggestion remains
            log.warning("auto_join of %s not made (%s)", user.id, type(error).__name__)
