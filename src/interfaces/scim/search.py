"""A SCIM search request as a search of the org's records: the keys of its filter, the
filter itself to check each record found, its page
(docs/decisions/0472-scim-filters-within-twenty-index-entries.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from scim2_models import Resource, SearchRequest

from application.scim.search import Search
from domain.orgs.orgs import Org
from interfaces.scim.filters import Keyed, index_keys
from interfaces.scim.protocol import MAX_RESULTS

T = TypeVar("T")


def search_of[T](
    org: Org,
    search_request: SearchRequest[Any],
    keyed: Keyed,
    resource_of: Callable[[T], Resource[Any]],
) -> Search[T]:
    found_filter = search_request.filter
    keys = index_keys(found_filter.ast, keyed) if found_filter is not None else None
    return Search(
        org,
        start=search_request.start_index or 1,
        count=search_request.count if search_request.count is not None else MAX_RESULTS,
        keys=tuple(sorted(keys)) if keys is not None else None,
        matches=(
            (lambda record: found_filter.match(resource_of(record)))
            if found_filter is not None
            else None
        ),
    )
