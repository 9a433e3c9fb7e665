"""An org's domains and the DNS records that verify them, in memory (the verified domains'
claims, each with what it reads like), each change under the store's lock as one Firestore
commit is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from application.orgs.joining.domains import LOOK_ALIKES_READ
from application.ports import NO_WRITES, StagedWrites
from domain.errors import Unavailable
from domain.orgs.domains import (
    DomainClaim,
    OrgDomain,
    domain_exists,
    domain_look_alike,
    domain_taken,
    no_such_domain,
)
from tests.fakes.kernel import InMemoryStore


class FakeOrgDomains:
    """The orgs' domains and the verified domains' claims in dictionaries, each change under
    the store's lock as one Firestore commit is."""

    def __init__(self, store: InMemoryStore | None = None) -> None:
        self.store = store or InMemoryStore()
        self.lock = self.store.lock
        self.domains: dict[tuple[str, str], OrgDomain] = {}  # (org id, domain) -> domain
        self.claims: dict[str, str] = {}  # verified domain -> org id
        self.holder_reads = 0  # the reads of a domain's claim (``holder``): one each

    def add(self, domain: OrgDomain) -> None:
        with self.lock:
            if (domain.org_id, domain.domain) in self.domains:
                raise domain_exists()
            self.domains[domain.org_id, domain.domain] = domain

    def get(self, org_id: str, domain: str) -> OrgDomain | None:
        with self.lock:
            return self.domains.get((org_id, domain))

    def list_for(self, org_id: str, limit: int) -> list[OrgDomain]:
        with self.lock:
            found = [d for (org, _), d in self.domains.items() if org == org_id]
            return sorted(found, key=lambda d: d.domain)[:limit]

    def verify(self, domain: OrgDomain, staged: StagedWrites = NO_WRITES) -> OrgDomain:
        with self.lock:
            stored = self.domains.get((domain.org_id, domain.domain))
            if stored is None:
                raise no_such_domain()
            if self.claims.get(domain.domain, domain.org_id) != domain.org_id:
                raise domain_taken()
            if stored.verified:
                return stored
            verified = replace(stored, status=domain.status, verified_at=domain.verified_at)
            self.domains[domain.org_id, domain.domain] = verified
            self.claims[domain.domain] = domain.org_id
            self.store.commit_staged(staged)
            return verified

    def delete(self, org_id: str, domain: str) -> bool:
        with self.lock:
            if self.domains.pop((org_id, domain), None) is None:
                return False
            if self.claims.get(domain) == org_id:
                del self.claims[domain]
            return True

    def holder(self, domain: str) -> str | None:
        with self.lock:
            self.holder_reads += 1
            return self.claims.get(domain)

    def look_alikes(self, domains: Sequence[str]) -> list[DomainClaim]:
        keys = {domain_look_alike(domain) for domain in domains}
        with self.lock:
            found = [
                DomainClaim(name, org_id)
                for name, org_id in sorted(self.claims.items())
                if domain_look_alike(name) in keys
            ]
        return found[:LOOK_ALIKES_READ]

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        with self.lock:
            for org, name in [key for key in self.domains if key[0] == org_id]:
                self.delete(org, name)


class FakeTxtRecords:
    """A zone in a dictionary: the TXT records at a name, each its strings joined; names in
    any case, as DNS compares them. A name made ``failing`` is one the resolver cannot
    answer for (503)."""

    def __init__(self) -> None:
        self.records: dict[str, list[str]] = {}
        self.failing: set[str] = set()
        self.looked_up: list[str] = []

    @staticmethod
    def _key(name: str) -> str:
        return name.lower().removesuffix(".")

    def publish(self, name: str, *values: str) -> None:
        """Add ``values`` to the records at ``name``."""
        self.records.setdefault(self._key(name), []).extend(values)

    def set_txt(self, name: str, *values: str) -> None:
        """The records at ``name`` are ``values`` (none: the name exists without any)."""
        self.records[self._key(name)] = list(values)

    def remove(self, name: str) -> None:
        self.records.pop(self._key(name), None)

    def fail(self, name: str) -> None:
        self.failing.add(self._key(name))

    def lookup(self, name: str) -> list[str]:
        self.looked_up.append(name)
        if self._key(name) in self.failing:
            raise Unavailable("The DNS resolver did not answer; try again.", retry_after=5)
        return list(self.records.get(self._key(name), []))
