"""An org's verified domains: an admin adds a domain and gets the TXT record to publish;
verifying looks the record up and, when found, claims the domain for the org, which no other
org can then verify (docs/reference/orgs.md, "Verified domains";
docs/decisions/0367-where-a-domain-is-unique.md,
docs/decisions/0368-domain-verification-record.md). A domain that reads like another org's
is verified all the same, and named to both orgs
(docs/decisions/0641-look-alike-domains-are-named-never-refused.md).

The use cases find the org the path names and the caller's membership first: for a
non-member the org does not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from application.orgs.orgs import member_view
from application.orgs.ports import OrgRepository
from application.ports import NO_WRITES, Audit, AuditEvent, AuditLog, Clock, StagedWrites
from application.signin.authentication import Actor
from domain.errors import Conflict, DomainError, InvalidInput, Unavailable
from domain.ids import is_id
from domain.orgs.domains import (
    DomainClaim,
    OrgDomain,
    domain_name,
    domain_taken,
    no_such_domain,
)
from domain.orgs.roles import Permission

DOMAINS_MAX = 50  # the domains one org may have, pending or verified
LOOK_ALIKES_READ = 200  # the verified look-alikes read of some domains (50 orgs' each of 4)


class TxtRecords(Protocol):
    def lookup(self, name: str) -> list[str]:
        """The TXT records at ``name``, each its strings joined (``txt_text``); [] for a
        name that does not exist or has none; Unavailable when no resolver answers."""
        ...


class OrgDomains(Protocol):
    """``orgs/{org_id}/domains/{domain}`` (``OrgDomain``) and, for each verified one,
    ``verified_domains/{domain}`` ``{"org_id", "verified_at", "look_alike"}``: the claim
    that makes a verified domain one org's, with what it reads like
    (``domain_look_alike``)."""

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

    def look_alikes(self, domains: Sequence[str]) -> list[DomainClaim]:
        """The verified domains that read like one of ``domains`` (``domain_look_alike``),
        those verified among ``domains`` included, each with its org; by name, at most
        ``LOOK_ALIKES_READ``."""
        ...

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        """Delete a deleted org's domains and release its claims, ``batch_size`` domains a
        commit (the org's purge calls it)."""
        ...


@dataclass(frozen=True)
class OrgDomainRequest:
    """A domain route's request: the caller, the org as the path names it (id or slug), the
    domain as given (None: the org's list)."""

    actor: Actor
    org: str
    domain: str | None = None


def _named(value: str) -> str:
    """A domain named in a path: one that cannot be valid names no domain of the org."""
    try:
        return domain_name(value)
    except InvalidInput:
        raise no_such_domain() from None


def domain_or_none(text: str) -> str | None:
    """``text`` (an address's part after the '@', in any form: Unicode or A-labels, any case)
    as a domain is stored (``domain_name``); None for text that names no domain."""
    try:
        return domain_name(text)
    except InvalidInput:
        return None


def org_for_domain(domain: str, *, domains: OrgDomains) -> str | None:
    """The org that verified ``domain`` (``domain_or_none``'s text), or None: for routing
    sign-ins to the org's SSO and the domain policy's suggestions and joins. Only the exact
    domain counts, not its parents nor a look-alike. The caller reads the org: one deleted
    but not yet purged still holds its claims."""
    name = domain_or_none(domain)
    return domains.holder(name) if name is not None else None


@dataclass(frozen=True, kw_only=True, slots=True)
class DomainHoldersOf:
    """The orgs' verified domains as the accounts' address rule asks them
    (``application/accounts/addresses.py``)."""

    domains: OrgDomains

    def org_for(self, domain: str) -> str | None:
        return org_for_domain(domain, domains=self.domains)


@dataclass(frozen=True, kw_only=True, slots=True)
class VerifiedDomainsOf:
    """The orgs' verified domains as the units read them (``OrgDomainReads``, offered as
    ``ORG_DOMAINS``), from the domains' store."""

    domains: OrgDomains

    def verified(self, org_id: str) -> tuple[str, ...]:
        if not is_id(org_id):
            return ()  # no org has it (and Firestore refuses some such names outright)
        found = self.domains.list_for(org_id, DOMAINS_MAX)
        return tuple(sorted(domain.domain for domain in found if domain.verified))

    def holder(self, domain: str) -> str | None:
        return org_for_domain(domain, domains=self.domains)


@dataclass(frozen=True, kw_only=True, slots=True)
class VerifiedDomains:
    """An org's domains as its admins add, list, verify and delete them: each use case finds
    the org the path names and the caller's membership first (404 for a non-member, 403
    ``org_permission_denied`` for a member who may not manage the org).

    ``txt``: the DNS lookups that verify a domain."""

    orgs: OrgRepository
    domains: OrgDomains
    txt: TxtRecords
    clock: Clock
    audit: AuditLog

    def _admin(self, cmd: OrgDomainRequest) -> str:
        """The org's id, for a member who may manage it."""
        view = member_view(cmd.actor, cmd.org, orgs=self.orgs, permission=Permission.MANAGE_ORG)
        return view.org.id

    def add(self, cmd: OrgDomainRequest) -> OrgDomain:
        """A new pending domain with its record to publish (and the other orgs' verified
        domains that read like it: ``look_alike_of``): 409 ``domain_exists`` if the org has
        it, ``domain_taken`` if another org verified it, ``too_many_domains`` past
        ``DOMAINS_MAX``."""
        org_id, domains = self._admin(cmd), self.domains
        domain = OrgDomain.create(org_id, cmd.domain or "", cmd.actor.user_id, self.clock.now())
        holder = domains.holder(domain.domain)
        if holder is not None and holder != org_id:
            raise domain_taken()
        if len(domains.list_for(org_id, DOMAINS_MAX)) >= DOMAINS_MAX:
            raise Conflict(
                f"An organization has at most {DOMAINS_MAX} domains: delete one first.",
                code="too_many_domains",
                field="domain",
            )
        domains.add(domain)
        return domain.with_look_alikes(domains.look_alikes([domain.domain]))

    def list(self, cmd: OrgDomainRequest) -> list[OrgDomain]:
        """The org's domains by name, each naming the other orgs' look-alikes of it."""
        found = self.domains.list_for(self._admin(cmd), DOMAINS_MAX)
        claims = self.domains.look_alikes([d.domain for d in found]) if found else []
        return [domain.with_look_alikes(claims) for domain in found]

    def verify(self, cmd: OrgDomainRequest) -> OrgDomain:
        """Look the record up at both its names: found, the domain is verified and the org's
        (``org.domain_verified``); 409 ``domain_not_verified`` if neither name has it,
        ``domain_taken`` if another org verified it first; 503 if no resolver answered and
        the record was not found where one did. A verified domain is answered as it is.
        A domain reading like another org's verified one is verified all the same: both
        orgs are warned (``org.domain_look_alike``, ``_warn_of_look_alikes``)."""
        org_id = self._admin(cmd)
        found = self.domains.get(org_id, _named(cmd.domain or ""))
        if found is None:
            raise no_such_domain()
        if found.verified:
            return found.with_look_alikes(self.domains.look_alikes([found.domain]))
        failure: DomainError | None = None
        for name in found.lookup_names:
            try:
                records = self.txt.lookup(name)
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
                f"{found.alternative_name}. DNS changes can take a while to show: try again "
                "later.",
                code="domain_not_verified",
            )
        event = AuditEvent(Audit.ORG_DOMAIN_VERIFIED, user_id=cmd.actor.user_id, org_id=org_id)
        staged = self.audit.stage([event])
        verified = self.domains.verify(found.verified_now(self.clock.now()), staged)
        self.audit.committed(staged)
        # Read once the claim is committed: of two look-alikes verified at once, the later
        # commit's read finds the other, so both orgs are warned at least once.
        claims = self.domains.look_alikes([verified.domain])
        named = verified.with_look_alikes(claims)
        self._warn_of_look_alikes(named, claims, cmd.actor.user_id)
        return named

    def _warn_of_look_alikes(
        self, verified: OrgDomain, claims: Sequence[DomainClaim], verifier: str
    ) -> None:
        """``org.domain_look_alike`` on both orgs' logs for each other org's domain that
        reads like ``verified`` (of ``claims``): on this org's about the admin who verified
        it, naming the other domain; on the other org's about the admin who added theirs,
        naming this one."""
        for claim in claims:
            if claim.domain not in verified.look_alike_of:
                continue
            theirs = self.domains.get(claim.org_id, claim.domain)
            if theirs is None:
                continue  # released meanwhile
            for org_id, about, named in (
                (verified.org_id, verifier, claim.domain),
                (claim.org_id, theirs.created_by, verified.domain),
            ):
                event = Audit.ORG_DOMAIN_LOOK_ALIKE
                self.audit.record(AuditEvent(event, user_id=about, org_id=org_id, reason=named))

    def delete(self, cmd: OrgDomainRequest) -> None:
        """Remove the domain (and the org's claim of it, which another org may then verify);
        404 ``domain_not_found``."""
        org_id = self._admin(cmd)
        if not self.domains.delete(org_id, _named(cmd.domain or "")):
            raise no_such_domain()
