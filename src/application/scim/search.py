"""A search of an org's directory, its users or its groups: a page in id order, or the records
a filter's keys find, each checked against the filter (docs/reference/scim.md, "Limits")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from application.scim.ports import KEY_BYTES_MAX, KEYS_MAX, POSITION_MAX, OrgRecords
from domain.errors import InvalidInput
from domain.orgs.orgs import Org

SCAN_MAX = 2000  # the records a filter no key narrows may go through; past it, 400 tooMany


@dataclass(frozen=True)
class Search[T]:
    """A search of an org's users or groups."""

    org: Org
    start: int  # 1-based (SCIM's ``startIndex``)
    count: int
    # The keys whose records hold every match (None: no key narrows the filter, or none)
    keys: tuple[str, ...] | None = None
    # The filter itself, checked on each record the keys found; None: no filter
    matches: Callable[[T], bool] | None = None


@dataclass(frozen=True)
class Found[T]:
    total: int
    items: list[T]


def search_records[T](cmd: Search[T], *, records: OrgRecords[T]) -> Found[T]:
    """A page of the org's users (or groups) that match: without a filter, the page at
    ``start`` in id order; with one, the records its keys find (one indexed query), each
    checked against the filter. A filter no key narrows goes through at most SCAN_MAX
    records (400 ``too_many`` past them). A ``start`` or ``count`` past POSITION_MAX, which
    no query takes, is 400 ``out_of_range`` (below 1 and 0 they are read as 1 and 0, as RFC
    7644 §3.4.2.4 says)."""
    for field, value in (("startIndex", cmd.start), ("count", cmd.count)):
        if value > POSITION_MAX:
            raise InvalidInput.field(field, f"At most {POSITION_MAX}.", "out_of_range")
    offset, count = max(cmd.start, 1) - 1, max(cmd.count, 0)
    if cmd.matches is None:
        return Found(records.count(cmd.org.id), records.page(cmd.org.id, offset, count))
    if cmd.keys is not None and _queryable(cmd.keys):
        found = records.matching(cmd.org.id, cmd.keys, SCAN_MAX + 1) if cmd.keys else []
    else:
        found = records.page(cmd.org.id, 0, SCAN_MAX + 1)
    if len(found) > SCAN_MAX:
        raise InvalidInput.field(
            "filter", f"This filter would go through over {SCAN_MAX} users: narrow it.", "too_many"
        )
    matching = [user for user in found if cmd.matches(user)]
    return Found(len(matching), matching[offset : offset + count])


def _queryable(keys: tuple[str, ...]) -> bool:
    """Whether one indexed query can look ``keys`` up: few enough, none too long (a longer
    one, from a filter's value longer than any record holds, goes through the records)."""
    return len(keys) <= KEYS_MAX and all(len(k.encode()) <= KEY_BYTES_MAX for k in keys)
