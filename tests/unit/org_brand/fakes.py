"""The org brand unit's fakes (what ``adapters(settings)`` gives the app on the fakes): the
orgs' brands and their names' claims in memory, with the store's rules (a key one org's)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from application.org_brand.brands import BrandCache
from bootstrap.org_brand import OrgBrandAdapters
from domain.org_brand.brand import Brand, brand_look_alike
from infrastructure.settings import Settings


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
    return OrgBrandAdapters(brands=InMemoryBrands(), brand_cache=BrandCache())
