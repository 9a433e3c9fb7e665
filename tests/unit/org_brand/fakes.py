"""The org brand unit's fakes: the orgs' senders in memory, compare-and-set as Firestore's
(infrastructure/firestore/org_brand/senders.py), and ``adapters(settings)``, the unit on fakes
(its DNS a dictionary's zone, ``FakeTxtRecords``)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from bootstrap.org_brand import OrgBrandAdapters
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


def adapters(_settings: Settings) -> OrgBrandAdapters:
    return OrgBrandAdapters(senders=FakeSenders(), sender_txt=FakeTxtRecords())
