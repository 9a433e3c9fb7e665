"""The org brand unit's fakes (what ``adapters(settings)`` gives the app on the fakes): the
orgs' brands and their names' claims in memory, with the store's rules (a key one org's); the
orgs' senders, compare-and-set as Firestore's (infrastructure/firestore/org_brand/senders.py);
the orgs' sign-in hosts, each change under one lock as one Firestore commit is; DNS as zones
of records (``FakeTxtRecords`` for the senders', ``FakeHostRecords`` for the hosts')."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from application.org_brand.brands import BrandCache
from application.org_brand.hosts import HostCache
from bootstrap.org_brand import OrgBrandAdapters
from domain.errors import Unavailable
from domain.org_brand.brand import Brand, brand_look_alike
from domain.org_brand.hosts import SignInHost, active_already, host_taken
from domain.org_brand.sender import OrgSender
from infrastructure.settings import Settings
from tests.fakes.org_domains import FakeTxtRecords

# A logo, as an owner uploads it: a PNG's signature and some bytes, and its data: URI.
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
PNG = "data:image/png;base64," + base64.b64encode(PNG_BYTES).decode()


class FakeSenders:
    """``org_senders/{org_id}`` in a dictionary; a change applied under a lock, as the
    compare-and-set's winner's."""

    def __init__(self) -> None:
        self.senders: dict[str, OrgSender] = {}
        self._lock = threading.Lock()

    def get(self, org_id: str) -> OrgSender | None:
        return self.senders.get(org_id)

    def change(self, org_id: str, change: Callable[[OrgSender | None], OrgSender]) -> OrgSender:
        with self._lock:
            after = change(self.senders.get(org_id))
            self.senders[org_id] = after
            return after

    def delete(self, org_id: str) -> bool:
        with self._lock:
            return self.senders.pop(org_id, None) is not None

    def page(self, after: str | None, limit: int) -> list[OrgSender]:
        ids = sorted(i for i in self.senders if after is None or i > after)[:limit]
        return [self.senders[i] for i in ids]

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        self.delete(org_id)


@dataclass
class InMemoryBrands:
    """``brands`` by org id, ``claims`` by look-alike key (the org that holds it); ``reads``
    counts the brands read (the cache's tests)."""

    brands: dict[str, Brand] = field(default_factory=dict)
    claims: dict[str, str] = field(default_factory=dict)
    reads: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, org_id: str) -> Brand | None:
        self.reads += 1
        return self.brands.get(org_id)

    def put(self, brand: Brand) -> Brand:
        with self._lock:
            holder = self.claims.get(brand.look_alike)
            if holder is not None and holder != brand.org_id:
                raise brand_look_alike()
            before = self.brands.get(brand.org_id)
            if before is not None and before.look_alike != brand.look_alike:
                self.claims.pop(before.look_alike, None)
            self.claims[brand.look_alike] = brand.org_id
            self.brands[brand.org_id] = brand
            return brand

    def delete(self, org_id: str) -> bool:
        with self._lock:
            before = self.brands.pop(org_id, None)
            if before is not None:
                self.claims.pop(before.look_alike, None)
            return before is not None

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        self.delete(org_id)
        with self._lock:
            for key in [key for key, holder in self.claims.items() if holder == org_id]:
                del self.claims[key]


class FakeSignInHosts:
    """``SignInHostStore`` in dictionaries: the orgs' hosts by org, the claims by host."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.hosts: dict[str, SignInHost] = {}  # org id -> its host
        self.claims: dict[str, str] = {}  # host -> org id
        self.page_reads = 0  # ``page``'s reads: one each

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

    def page(self, after: str | None, limit: int) -> list[SignInHost]:
        with self.lock:
            self.page_reads += 1
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
    return OrgBrandAdapters(
        brands=InMemoryBrands(),
        brand_cache=BrandCache(),
        senders=FakeSenders(),
        sender_txt=FakeTxtRecords(),
        hosts=FakeSignInHosts(),
        host_records=FakeHostRecords(),
        host_cache=HostCache(),
    )
