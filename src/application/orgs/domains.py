"""An org's verified domains: an admin adds a domain and gets the TXT record to publish;
verifying looks the record up and, when found, claims the domain for the org, which no other
org can then verify (docs/reference/orgs.md, "Verified domains";
docs/decisions/0367-where-a-domain-is-unique.md,
docs/decisions/0368-domain-verification-record.md).

The use cases take the org's id and the caller's roles in it: whoever calls them has found
the org and the membership already (a non-member never gets here: for them the org does not
exist).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from application.accounts.authentication import Actor
from application.orgs.orgs import member_view
from application.orgs.ports import OrgRepository
from application.ports import NO_WRITES, Audit, AuditEvent, AuditLog, Clock, StagedWrites
from domain.errors import Conflict, DomainError, InvalidInput, Unavailable
from domain.orgs.domains import OrgDomain, domain_name, domain_taken, no_such_domain
from domain.orgs.orgs import Permission, require

DOMAINS_MAX = 50  # the domains one org may have, pending or verified


class TxtRecords(Protocol):
    def lookup(self, name: str) -> list[str]:
        """The TXT records at ``name``, each its strings joined (``txt_text``); [] for a
        name that does not exist or has none; Unavailable when no resolver answers."""
        ...


class OrgDomains(Protocol):
    """``orgs/{org_id}/domains/{domain}`` (``OrgDomain``) and, for each verified one,
    ``verified_domains/{domain}`` ``{"org_id", "verified_at"}``: the claim that makes a
    verified domain one org's."""

    def add(self, domain: OrgDomain) -> None:
        """Store a new pending domain of its org; Conflict ``domain_exists`` if the org has
        it already."""
        ...

    def get(self, org_id: str, domain: str) -> OrgDomain | None:
        """The org's domain by its name (as ``domain_name`` makes it); None if absent."""
        ...

    def list_for(self, org_id: str, limit: int) -> list[OrgDomain]:
        """Up to ``limit`` of the org's domains, by name."""
        ...

    def verify(self, domain: OrgDomain, staged: StagedWrites = NO_WRITES) -> OrgDomain:
        """Mark ``domain`` (verified, as stored) and claim its name for its org in one
        commit with what ``staged`` writes, under any concurrency; Conflict ``domain_taken``
        if another org holds the claim, NotFound ``domain_not_found`` if it was deleted."""
        ...

    def delete(self, org_id: str, domain: str) -> bool:
        """Remove the org's domain and, if the org holds it, its claim, in one commit; False
        if the org had no such domain."""
        ...

    def holder(self, domain: str) -> str | None:
        """The id of the org that verified ``domain``; None if none did."""
        ...

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        """Delete a deleted org's domains and release its claims, ``batch_size`` domains a
        commit (the org's purge calls it)."""
        ...


@dataclass(frozen=True)
class AddOrgDomain:
    actor_id: str  # the admin's user id
    org_id: str
    roles: tuple[str, ...]  # the admin's roles in the org
    domain: str  # as given


@dataclass(frozen=True)
class ListOrgDomains:
    org_id: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class OrgDomainCommand:
    """Verify or delete one of the org's domains."""

    actor_id: str
    org_id: str
    roles: tuple[str, ...]
    domain: str  # as given in the path


def _named(value: str) -> str:
    """A domain named in a path: one that cannot be valid names no domain of the org."""
    try:
        return domain_name(value)
    except InvalidInput:
        raise no_such_domain() from None


def add_domain(cmd: AddOrgDomain, *, domains: OrgDomains, clock: Clock) -> OrgDomain:
    """A new pending domain with its record to publish: 409 ``domain_exists`` if the org has
    it, ``domain_taken`` if another org verified it (its record is public in DNS anyway),
    ``too_many_domains`` past ``DOMAINS_MAX``."""
    require(cmd.roles, Permission.MANAGE_ORG)
    domain = OrgDomain.create(cmd.org_id, cmd.domain, cmd.actor_id, clock.now())
    holder = domains.holder(domain.domain)
    if holder is not None and holder != cmd.org_id:
        raise domain_taken()
    if len(domains.list_for(cmd.org_id, DOMAINS_MAX)) >= DOMAINS_MAX:
        raise Conflict(
            f"An organization has at most {DOMAINS_MAX} domains: delete one first.",
            code="too_many_domains",
            field="domain",
        )
    domains.add(domain)
    return domain


def list_domains(cmd: ListOrgDomains, *, domains: OrgDomains) -> list[OrgDomain]:
    require(cmd.roles, Permission.MANAGE_ORG)
    return domains.list_for(cmd.org_id, DOMAINS_MAX)


def verify_domain(
    cmd: OrgDomainCommand,
    *,
    domains: OrgDomains,
    txt: TxtRecords,
    clock: Clock,
    audit: AuditLog,
) -> OrgDomain:
    """Look the record up at both its names: found, the domain is verified and the org's
    (``org.domain_verified``); 409 ``domain_not_verified`` if neither name has it,
    ``domain_taken`` if another org verified it first; 503 if no resolver answered and the
    record was not found where one did. A verified domain is answered as it is."""
    require(cmd.roles, Permission.MANAGE_ORG)
    found = domains.get(cmd.org_id, _named(cmd.domain))
    if found is None:
        raise no_such_domain()
    if found.verified:
        return found
    failure: DomainError | None = None
    for name in found.lookup_names:
        try:
            records = txt.lookup(name)
        except Unavailable as exc:
            failure = exc
            continue
        if found.proven_by(records):
            break
    else:
        if failure is not None:
            raise failure
        raise Conflict(
            f"No TXT record {found.record_value!r} was found at {found.record_name} or "
            f"{found.alternative_name}. DNS changes can take a while to show: try again later.",
            code="domain_not_verified",
        )
    event = AuditEvent(Audit.ORG_DOMAIN_VERIFIED, user_id=cmd.actor_id, org_id=cmd.org_id)
    staged = audit.stage([event])
    verified = domains.verify(found.verified_now(clock.now()), staged)
    audit.committed(staged)
    return verified


def delete_domain(cmd: OrgDomainCommand, *, domains: OrgDomains) -> None:
    """Remove the domain (and the org's claim of it, which another org may then verify);
    404 ``domain_not_found``."""
    require(cmd.roles, Permission.MANAGE_ORG)
    if not domains.delete(cmd.org_id, _named(cmd.domain)):
        raise no_such_domain()


def org_for_domain(domain: str, *, domains: OrgDomains) -> str | None:
    """The org that verified ``domain`` (an address's part after the '@', in any form:
    Unicode or A-labels, any case), or None: for routing sign-ins to the org's SSO and the
    domain policy's suggestions and joins. Only the exact domain counts, not its parents.
    The caller reads the org: one deleted but not yet purged still holds its claims."""
    try:
        name = domain_name(domain)
    except InvalidInput:
        return None
    return domains.holder(name)


@dataclass(frozen=True)
class OrgDomainRequest:
    """A domain route's request: the caller, the org as the path names it (id or slug), the
    domain as given (None: the org's list)."""

    actor: Actor
    org: str
    domain: str | None = None


def _admin(cmd: OrgDomainRequest, orgs: OrgRepository) -> tuple[str, tuple[str, ...]]:
    """The org's id and the caller's roles: 404 for a non-member, 403 for a member who may not
    manage the org."""
    view = member_view(cmd.actor, cmd.org, orgs=orgs, permission=Permission.MANAGE_ORG)
    return view.org.id, view.membership.roles


def add_org_domain(
    cmd: OrgDomainRequest, *, orgs: OrgRepository, domains: OrgDomains, clock: Clock
) -> OrgDomain:
    org_id, roles = _admin(cmd, orgs)
    added = AddOrgDomain(cmd.actor.user_id, org_id, roles, cmd.domain or "")
    return add_domain(added, domains=domains, clock=clock)


def list_org_domains(
    cmd: OrgDomainRequest, *, orgs: OrgRepository, domains: OrgDomains
) -> list[OrgDomain]:
    org_id, roles = _admin(cmd, orgs)
    return list_domains(ListOrgDomains(org_id, roles), domains=domains)


def verify_org_domain(
    cmd: OrgDomainRequest,
    *,
    orgs: OrgRepository,
    domains: OrgDomains,
    txt: TxtRecords,
    clock: Clock,
    audit: AuditLog,
) -> OrgDomain:
    org_id, roles = _admin(cmd, orgs)
    named = OrgDomainCommand(cmd.actor.user_id, org_id, roles, cmd.domain or "")
    return verify_domain(named, domains=domains, txt=txt, clock=clock, audit=audit)


def delete_org_domain(cmd: OrgDomainRequest, *, orgs: OrgRepository, domains: OrgDomains) -> None:
    org_id, roles = _admin(cmd, orgs)
    delete_domain(
        OrgDomainCommand(cmd.actor.user_id, org_id, roles, cmd.domain or ""), domains=domains
    )


@dataclass(frozen=True)
class OrgDomainServices:
    add: Callable[[OrgDomainRequest], OrgDomain]
    list: Callable[[OrgDomainRequest], list[OrgDomain]]
    verify: Callable[[OrgDomainRequest], OrgDomain]
    delete: Callable[[OrgDomainRequest], None]
