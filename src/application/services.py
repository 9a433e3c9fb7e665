"""The service objects the driving adapters (the JSON API, the pages, the command line) call:
each capability's record of its groups of use cases (``application/<capability>/services.py``)
and each unit's use-case objects, every one built once with its ports and reached by its
type, ``services().of(OrgServices).roles.put(cmd)``: mypy types it as ``OrgServices``, and
go-to-definition leads from ``roles.put`` to the method. No capability is named here, so a
new one, or a unit, adds no line to this module. ``bind`` (``bootstrap/binding.py``) collects
the records (docs/decisions/0456-service-objects.md,
docs/decisions/0750-services-reached-by-their-type.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from application.ports import NO_METRICS, Metrics, RequestCounter

if TYPE_CHECKING:
    from application.jobs import PushedJobs


@dataclass(frozen=True, kw_only=True, slots=True)
class PlatformServices:
    """What the platform offers the driving adapters beside the capabilities."""

    jobs: PushedJobs  # the push endpoint of the background jobs
    ready: Callable[[], bool]  # the readiness probe: Firestore answers
    request_counter: RequestCounter  # behind the per-address request limits
    metrics: Metrics = NO_METRICS  # the adapters' metrics (NO_METRICS when off)


def by_type(records: Iterable[object]) -> dict[type, object]:
    """``records`` by their type, which names each once."""
    found: dict[type, object] = {}
    for record in records:
        kind = type(record)
        if kind in found:
            raise ValueError(f"two service records of one type: {kind.__name__}")
        found[kind] = record
    return found


@dataclass(frozen=True, kw_only=True, slots=True)
class Services:
    """The platform's services, a field (the kernel's own), and every capability's record
    and unit's use-case objects, each reached by its type (``of``)."""

    platform: PlatformServices
    records: Mapping[type, object] = field(default_factory=dict)  # made by ``by_type``

    @classmethod
    def collect(cls, *records: object, platform: PlatformServices) -> Services:
        return cls(platform=platform, records=by_type(records))

    def of[T](self, kind: type[T]) -> T:
        """The record, or the unit's use-case object, of type ``kind``."""
        found = self.records.get(kind)
        if not isinstance(found, kind):
            raise LookupError(f"no capability or unit of this service offers {kind.__name__}")
        return found

    def with_records(self, *records: object) -> Services:
        """These services with ``records`` in place of those of their types (a test's)."""
        for record in records:
            self.of(type(record))
        return replace(self, records={**self.records, **by_type(records)})
