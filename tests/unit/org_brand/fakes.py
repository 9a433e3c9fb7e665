"""The org brand unit's fakes (what ``adapters(settings)`` gives the app on the fakes): the
orgs' brands and their names' claims in memory, with the store's rules (a key one org's); the
orgs' senders, compare-and-set as Firestore's (infrastructure/firestore/org_brand/senders.py);
its DNS a dictionary's zone (``FakeTxtRecords``)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from application.org_brand.brands import BrandCache
from bootstrap.org_brand import OrgBrandAdapters
from domain.org_brand.brand import Brand, brand_look_alike
from domain.org_brand.sender import OrgSender
from infrastructure.settings import Settings
from tests.fakes.org_domains import FakeTxtRecords


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


def adapters(_settings: Settings) -> OrgBrandAdapters:
    return OrgBrandAdapters(
        brands=InMemoryBrands(),
        brand_cache=BrandCache(),
        senders=FakeSenders(),
        sender_txt=FakeTxtRecords(),
    )
