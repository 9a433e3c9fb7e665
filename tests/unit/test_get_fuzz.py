"""Every GET route of the app under any path and query (docs/reference/): its path's
variables and any of the query parameters the service reads (``next``, ``token``, ``cursor``,
``limit``, ``lang`` …) with any values, from an anonymous browser, an admin's signed-in
browser and an admin's bearer token: never a 5xx and never an exception through Flask.

schemathesis (tests/e2e/test_fuzz_openapi.py) fuzzes the operations the OpenAPI document
describes; the pages, the provider's and the sign-in flows' GET routes are not in it. This
takes every rule of the app's URL map, on the fakes, with hypothesis."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.app import World
from tests.support.fuzz import (
    QUERY_NAMES,
    Browsers,
    fuzz,
    get_case,
    path_parts,
    query_values,
    rules_of,
)

pytestmark = pytest.mark.unit


class GetWorld(World):
    def __init__(self) -> None:
        super().__init__()
        self.browsers = Browsers(self.app)
        self.rules = rules_of(self.app, "GET")


@pytest.fixture(scope="module")
def world() -> GetWorld:
    return GetWorld()


@fuzz(1500)
@given(
    which=st.integers(0, 10_000),
    parts=st.lists(path_parts, min_size=3, max_size=3),
    query=st.lists(st.tuples(st.sampled_from(QUERY_NAMES), query_values), max_size=4),
    who=st.sampled_from(["anonymous", "browser", "bearer"]),
)
def test_every_get_route_answers_any_path_and_query(
    world: GetWorld,
    which: int,
    parts: list[str],
    query: list[tuple[str, str]],
    who: str,
) -> None:
    get_case(world.browsers, world.rules, which=which, parts=parts, query=query, who=who)
