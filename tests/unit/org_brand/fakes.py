"""The org brand unit's fakes (what ``adapters(settings)`` gives the app on the fakes): the
orgs' sign-in hosts in memory, each change under one lock as one Firestore commit is, and a
zone of DNS records."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from bootstrap.org_brand import OrgBrandAdapters
from domain.errors import Unavailable
from domain.org_brand.hosts import SignInHost, active_already, host_taken
from infrastructure.settings import Settings


class FakeSignInHosts:
    """``SignInHostStore`` in dictionaries: the orgs' hosts by org, the claims by host."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.hosts: dict[str, SignInHost] = {}  # org id -> its host
        self.claims: dict[str, str] = {}  # host -> org id
        self.claim_reads = 0  # ``org_of``'s reads: one each

    def get(self, org_id: str) -> SignInHost | None:
        with self.lock:
            return self.hosts.get(org_id)

    def put(self, host: SignInHost) -> SignInHost:
        with self.lock:
            holder = self.claims.get(host.host)
            if holder is not None and holder != host.org_id:
                raise host_taken()
            current = self.hosts.get(host.org_id)
            if current is not None and current.host == host.host:
                return current
            if current is not None and current.active:
                raise active_already(current.host)
            if current is not None:
                self.claims.pop(current.host, None)
            self.claims[host.host] = host.org_id
            self.hosts[host.org_id] = host
            return host

    def delete(self, org_id: str) -> SignInHost | None:
        with self.lock:
            found = self.hosts.pop(org_id, None)
            if found is not None and self.claims.get(found.host) == org_id:
                del self.claims[found.host]
            return found

    def save(self, host: SignInHost) -> SignInHost | None:
        with self.lock:
            current = self.hosts.get(host.org_id)
            if current is None or (current.host, current.token) != (host.host, host.token):
                return None
            self.hosts[host.org_id] = host
            return host

    def org_of(self, host: str) -> str | None:
        with self.lock:
            self.claim_reads += 1
            org_id = self.claims.get(host)
            found = self.hosts.get(org_id) if org_id is not None else None
            return org_id if found is not None and found.active else None

    def page(self, after: str | None, limit: int) -> list[SignInHost]:
        with self.lock:
            ids = sorted(org for org in self.hosts if after is None or org > after)
            return [self.hosts[org] for org in ids[:limit]]


@dataclass
class FakeHostRecords:
    """DNS as a zone: TXT records and CNAMEs by name; ``failing``: no resolver answers."""

    txt: dict[str, list[str]] = field(default_factory=dict)
    cnames: dict[str, str] = field(default_factory=dict)
    failing: bool = False

    def lookup(self, name: str) -> list[str]:
        if self.failing:
            raise Unavailable("The DNS resolver did not answer; try again shortly.")
        return list(self.txt.get(name, []))

    def cname(self, name: str) -> str | None:
        if self.failing:
            raise Unavailable("The DNS resolver did not answer; try again shortly.")
        return self.cnames.get(name)

    def publish(self, host: SignInHost, target: str) -> None:
        """Both of ``host``'s records, as its org would publish them."""
        self.cnames[host.host] = target
        self.txt[host.txt_name] = [host.txt_value]


def adapters(_settings: Settings) -> OrgBrandAdapters:
    return OrgBrandAdapters(hosts=FakeSignInHosts(), host_records=FakeHostRecords())
