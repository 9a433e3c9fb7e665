"""An org's domains in ``orgs/{org_id}/domains/{domain}`` and the verified ones' claims in
``verified_domains/{domain}`` (application/orgs/joining/domains.py, docs/reference/orgs.md,
docs/decisions/0367-where-a-domain-is-unique.md).

Verifying is one commit that creates the claim and marks the domain, guarded by the domain's
update time as read (``optimistic.py``): of thirty orgs verifying one domain at once, one
commit creates the claim and the others fail on it (AlreadyExists), read again and find it
another org's. The documents' ids are the names themselves (``domain_name``: a-z, 0-9, '-'
and '.', never '/' or Firestore's reserved forms), so the org's domains list in name order
with no index.

A verified domain also claims what it reads like (``domain_look_alike``) in
``verified_domain_look_alikes/{key}`` ``{"org_id", "domains"}``, in the same commit: an org
never verifies a look-alike of another org's domain (``glaß-x.net`` beside ``glass-x.net``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from application.ports import NO_WRITES, StagedWrites
from domain.orgs.domains import (
    DomainStatus,
    OrgDomain,
    domain_exists,
    domain_look_alike,
    domain_look_alike_taken,
    domain_taken,
    no_such_domain,
)
from infrastructure.firestore.client import BOUNDED, claim_id, read_document, run_query
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.events.security_events import write_staged
from infrastructure.firestore.optimistic import unchanged_since, until_unchanged
from infrastructure.firestore.reads import Stale
from infrastructure.firestore.sdk import exceptions, firestore

ORGS, DOMAINS, VERIFIED_DOMAINS = "orgs", "domains", "verified_domains"
LOOK_ALIKES = "verified_domain_look_alikes"
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
        self._looks = client.collection(LOOK_ALIKES)

    def _domains(self, org_id: str) -> firestore.CollectionReference:
        domains: firestore.CollectionReference = self._orgs.document(org_id).collection(DOMAINS)
        return domains

    def _look_alike(self, domain: str) -> firestore.DocumentReference:
        return self._looks.document(claim_id(domain_look_alike(domain)))

    def _snapshots(self, org_id: str, domain: str) -> tuple[Snapshot, Snapshot, Snapshot]:
        """The domain's document, its claim and its look-alike's claim, read in one round trip
        (with their update times, for the commit's preconditions)."""
        refs = [
            self._domains(org_id).document(domain),
            self._claims.document(domain),
            self._look_alike(domain),
        ]
        found = {snap.reference.path: snap for snap in self._client.get_all(refs, **BOUNDED)}
        return found[refs[0].path], found[refs[1].path], found[refs[2].path]

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
            snap, claim, look = self._snapshots(domain.org_id, domain.domain)
            holder = (claim.to_dict() or {}).get("org_id") if claim.exists else None
            looks = look.to_dict() or {} if look.exists else {}
            if not snap.exists:
                raise no_such_domain()
            if holder is not None and holder != domain.org_id:
                raise domain_taken()
            if looks and looks.get("org_id") != domain.org_id:
                raise domain_look_alike_taken()
            stored = domain_from_doc(snap.to_dict() or {})
            named = sorted({*looks.get("domains", ()), domain.domain})
            if stored.verified and holder == domain.org_id and named == looks.get("domains"):
                return stored  # verified already (or our own commit, its answer lost)
            verified = replace(stored, status=domain.status, verified_at=domain.verified_at)
            batch = self._client.batch()
            if holder is None:
                batch.create(
                    self._claims.document(domain.domain),
                    {"org_id": domain.org_id, "verified_at": verified.verified_at},
                )
            look_claim = {"org_id": domain.org_id, "domains": named}
            if look.exists:
                batch.update(look.reference, look_claim, option=unchanged_since(look))
            else:
                batch.create(look.reference, look_claim)
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
            snap, claim, look = self._snapshots(org_id, domain)
            if not snap.exists:
                return False
            batch = self._client.batch()
            batch.delete(self._domains(org_id).document(domain), option=unchanged_since(snap))
            if claim.exists and (claim.to_dict() or {}).get("org_id") == org_id:
                batch.delete(self._claims.document(domain), option=unchanged_since(claim))
            _release_look_alike(batch, look, org_id, domain)
            try:
                batch.commit(**BOUNDED)
            except (exceptions.NotFound, exceptions.FailedPrecondition):
                raise Stale from None
            return True

        return until_unchanged(attempt)

    def look_alike_holder(self, domain: str) -> str | None:
        claim = read_document(self._client, self._look_alike(domain))
        return claim.get("org_id") if claim is not None else None

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
            verified = [
                name for name, data in found if data.get("status") == DomainStatus.VERIFIED.value
            ]
            looks = self._client.get_all([self._look_alike(name) for name in verified], **BOUNDED)
            for look in looks:
                if look.exists and (look.to_dict() or {}).get("org_id") == org_id:
                    batch.delete(look.reference)
            for name, _ in found:
                batch.delete(self._domains(org_id).document(name))
            for name in verified:
                batch.delete(self._claims.document(name))
            batch.commit(**BOUNDED)


def _release_look_alike(
    batch: firestore.WriteBatch, look: Snapshot, org_id: str, domain: str
) -> None:
    """The domain's name off its look-alike's claim, which goes with its last name."""
    data = look.to_dict() or {} if look.exists else {}
    if data.get("org_id") != org_id:
        return
    left = [name for name in data.get("domains", ()) if name != domain]
    if left:
        batch.update(
            look.reference, {"org_id": org_id, "domains": left}, option=unchanged_since(look)
        )
    else:
        batch.delete(look.reference, option=unchanged_since(look))
