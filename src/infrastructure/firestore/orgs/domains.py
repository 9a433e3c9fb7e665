"""An org's domains in ``orgs/{org_id}/domains/{domain}`` and the verified ones' claims in
``verified_domains/{domain}`` (application/orgs/joining/domains.py, docs/reference/orgs.md,
docs/decisions/0367-where-a-domain-is-unique.md).

Verifying is one commit that creates the claim and marks the domain, guarded by the domain's
update time as read (``optimistic.py``): of thirty orgs verifying one domain at once, one
commit creates the claim and the others fail on it (AlreadyExists), read again and find it
another org's. The documents' ids are the names themselves (``domain_name``: a-z, 0-9, '-'
and '.', never '/' or Firestore's reserved forms), so the org's domains list in name order
with no index.

A claim holds what its domain reads like (``domain_look_alike``) as ``look_alike``: the
verified look-alikes of some domains are one query of the claims (``in``, 30 keys at a time),
so that both orgs are named to each other (docs/decisions/
0641-look-alike-domains-are-named-never-refused.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from application.orgs.joining.domains import LOOK_ALIKES_READ
from application.ports import NO_WRITES, StagedWrites
from domain.orgs.domains import (
    DomainClaim,
    DomainStatus,
    OrgDomain,
    domain_exists,
    domain_look_alike,
    domain_taken,
    no_such_domain,
)
from infrastructure.firestore.client import BOUNDED, read_document, run_query
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.events.security_events import write_staged
from infrastructure.firestore.optimistic import unchanged_since, until_unchanged
from infrastructure.firestore.reads import Stale
from infrastructure.firestore.sdk import exceptions, firestore

ORGS, DOMAINS, VERIFIED_DOMAINS = "orgs", "domains", "verified_domains"
IN_MAX = 30  # the values of one ``in`` filter
if TYPE_CHECKING:
    Snapshot = firestore.DocumentSnapshot[firestore.DocumentReference]


def domain_to_doc(domain: OrgDomain) -> dict[str, Any]:
    return {
        "org_id": domain.org_id,
        "domain": domain.domain,
        "token": domain.token,
        "status": domain.status.value,
        "created_at": domain.created_at,
        "created_by": domain.created_by,
        "verified_at": domain.verified_at,
    }


def domain_from_doc(data: dict[str, Any]) -> OrgDomain:
    return OrgDomain(
        org_id=data["org_id"],
        domain=data["domain"],
        token=data["token"],
        status=DomainStatus(data["status"]),
        created_at=data["created_at"],
        created_by=data["created_by"],
        verified_at=data.get("verified_at"),
    )


@translates_errors
class FirestoreOrgDomains:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._orgs = client.collection(ORGS)
        self._claims = client.collection(VERIFIED_DOMAINS)

    def _domains(self, org_id: str) -> firestore.CollectionReference:
        domains: firestore.CollectionReference = self._orgs.document(org_id).collection(DOMAINS)
        return domains

    def _snapshots(self, org_id: str, domain: str) -> tuple[Snapshot, Snapshot]:
        """The domain's document and its claim, read in one round trip (with their update
        times, for the commit's preconditions)."""
        refs = [self._domains(org_id).document(domain), self._claims.document(domain)]
        found = {snap.reference.path: snap for snap in self._client.get_all(refs, **BOUNDED)}
        return found[refs[0].path], found[refs[1].path]

    def add(self, domain: OrgDomain) -> None:
        try:
            self._domains(domain.org_id).document(domain.domain).create(
                domain_to_doc(domain), **BOUNDED
            )
        except exceptions.AlreadyExists:
            raise domain_exists() from None

    def get(self, org_id: str, domain: str) -> OrgDomain | None:
        data = read_document(self._client, self._domains(org_id).document(domain))
        return domain_from_doc(data) if data is not None else None

    def list_for(self, org_id: str, limit: int) -> list[OrgDomain]:
        found = run_query(self._client, self._domains(org_id).limit(limit))
        return [domain_from_doc(data) for _, data in found]

    def verify(self, domain: OrgDomain, staged: StagedWrites = NO_WRITES) -> OrgDomain:
        def attempt() -> OrgDomain:
            snap, claim = self._snapshots(domain.org_id, domain.domain)
            holder = (claim.to_dict() or {}).get("org_id") if claim.exists else None
            if not snap.exists:
                raise no_such_domain()
            if holder is not None and holder != domain.org_id:
                raise domain_taken()
            stored = domain_from_doc(snap.to_dict() or {})
            if stored.verified and holder == domain.org_id:
                return stored  # verified already (or our own commit, its answer lost)
            verified = replace(stored, status=domain.status, verified_at=domain.verified_at)
            batch = self._client.batch()
            if holder is None:
                batch.create(
                    self._claims.document(domain.domain),
                    {
                        "org_id": domain.org_id,
                        "verified_at": verified.verified_at,
                        "look_alike": domain.look_alike,
                    },
                )
            batch.update(
                self._domains(domain.org_id).document(domain.domain),
                domain_to_doc(verified),
                option=unchanged_since(snap),
            )
            write_staged(self._client, batch, staged)
            try:
                batch.commit(**BOUNDED)
            except (exceptions.AlreadyExists, exceptions.NotFound, exceptions.FailedPrecondition):
                raise Stale from None  # claimed or deleted meanwhile: the next read says
            return verified

        return until_unchanged(attempt)

    def delete(self, org_id: str, domain: str) -> bool:
        def attempt() -> bool:
            snap, claim = self._snapshots(org_id, domain)
            if not snap.exists:
                return False
            batch = self._client.batch()
            batch.delete(self._domains(org_id).document(domain), option=unchanged_since(snap))
            if claim.exists and (claim.to_dict() or {}).get("org_id") == org_id:
                batch.delete(self._claims.document(domain), option=unchanged_since(claim))
            try:
                batch.commit(**BOUNDED)
            except (exceptions.NotFound, exceptions.FailedPrecondition):
                raise Stale from None
            return True

        return until_unchanged(attempt)

    def look_alikes(self, domains: Sequence[str]) -> list[DomainClaim]:
        keys = sorted({domain_look_alike(domain) for domain in domains})
        found: list[DomainClaim] = []
        for start in range(0, len(keys), IN_MAX):
            some = keys[start : start + IN_MAX]
            query = self._claims.where(
                filter=firestore.FieldFilter("look_alike", "in", some)
            ).limit(LOOK_ALIKES_READ)
            found += [
                DomainClaim(name, data["org_id"]) for name, data in run_query(self._client, query)
            ]
        return sorted(found, key=lambda claim: claim.domain)[:LOOK_ALIKES_READ]

    def holder(self, domain: str) -> str | None:
        claim = read_document(self._client, self._claims.document(domain))
        return claim.get("org_id") if claim is not None else None

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        """Delete a deleted org's domains and release its claims, ``batch_size`` domains a
        commit (for the org's purge, ``FirestoreOrgRepository.purge``)."""
        while True:
            found = run_query(self._client, self._domains(org_id).limit(batch_size))
            if not found:
                return
            batch = self._client.batch()
            for name, data in found:
                batch.delete(self._domains(org_id).document(name))
                if data.get("status") == DomainStatus.VERIFIED.value:
                    batch.delete(self._claims.document(name))
            batch.commit(**BOUNDED)
