"""Every query in src/ against firestore.indexes.json and its rule: an index serves each
query, no hot collection keeps a sequential field indexed, a composite index holding one
starts with a field that spreads writes, every expiry has its TTL policy; and the checker's own
tests, on planted code (docs/decisions/0356-queries-held-against-their-indexes.md)."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support.firestore_code import (
    SRC,
    Filter,
    Order,
    Query,
    Reading,
    read_adapters,
    source_modules,
)
from tests.support.firestore_indexes import (
    IndexConfig,
    composite_problems,
    exemption_problems,
    index_entries,
    load_config,
    parse_config,
    query_problems,
    serving,
    stale_problems,
    ttl_problems,
)
from tests.support.taken_out import taken_out

pytestmark = pytest.mark.unit

ADAPTERS = SRC / "infrastructure" / "firestore"
PLANTED = "infrastructure.firestore.planted"


@pytest.fixture(scope="module")
def reading() -> Reading:
    return read_adapters()


@pytest.fixture(scope="module")
def config() -> IndexConfig:
    return load_config()


def test_the_checker_reads_every_query_of_the_adapters(reading: Reading) -> None:
    assert [str(site) for site in reading.unread] == []
    # What it reads is what the adapters ask: a library query, a REST Select built in
    # branches, one read through a helper of another module, the sweeper's.
    desc = (Order("at", descending=True), Order("__name__", descending=True))
    assert Query("security_events", (Filter("user_id", "=="), Filter("type", "==")), desc) in (
        reading.queries
    )
    assert Query("security_events", (Filter("user_id", "=="),), desc) in reading.queries
    assert Query("personal_tokens", (Filter("user_id", "=="),)) in reading.queries
    sweeper = Query(
        "webhook_deliveries",
        (Filter("shard", "in"), Filter("status", "=="), Filter("next_attempt_at", "<=")),
        (Order("next_attempt_at"),),
    )
    assert sweeper in reading.queries
    assert len(reading.queries) >= 40


def test_every_query_has_its_index(reading: Reading, config: IndexConfig) -> None:
    assert query_problems(reading, config) == []


def test_no_hot_collection_keeps_a_sequential_field_indexed(
    reading: Reading, config: IndexConfig
) -> None:
    assert exemption_problems(reading.fields_written(), config) == []


def test_composite_indexes_holding_a_sequential_field_start_with_one_that_spreads_writes(
    config: IndexConfig,
) -> None:
    assert composite_problems(config) == []


def test_every_expiry_has_its_ttl_policy_exempt_from_indexing(
    reading: Reading, config: IndexConfig
) -> None:
    assert ttl_problems(reading.fields_written(), config) == []


def test_no_override_or_composite_index_is_left_over(reading: Reading, config: IndexConfig) -> None:
    # A unit's collections, where scripts/remove_unit.py took it out of this copy: its
    # indexes stay in the file, unread (tests/support/taken_out.py).
    gone = taken_out().collections
    kept = IndexConfig(
        composites=[c for c in config.composites if c.collection not in gone],
        overrides={key: o for key, o in config.overrides.items() if key[0] not in gone},
    )
    assert stale_problems(reading, kept) == []


# Calls outside the adapters that look like queries and are not.
NOT_FIRESTORE = {("infrastructure/outbound_http.py", "certifi.where")}


def test_no_query_is_made_outside_the_firestore_adapters() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if path.is_relative_to(ADAPTERS):
            continue
        shown = str(path.relative_to(SRC))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                called = ast.unparse(node.func)
                query_like = node.func.attr in {"where", "order_by", "collection_group"}
                if query_like and (shown, called) not in NOT_FIRESTORE:
                    found.append(f"{shown}:{node.lineno}: {called}")
            elif isinstance(node, ast.Constant) and _a_rest_query(node.value):
                found.append(f"{shown}:{node.lineno}: a REST query")
    assert found == []


def _a_rest_query(value: object) -> bool:
    return isinstance(value, str) and ("structuredQuery" in value or ":runQuery" in value)


# -- the checker itself, on planted code --------------------------------------------------------


def planted(source: str) -> Reading:
    """What the checker reads in ``source``, a module planted among the adapters (whose
    helpers it may call)."""
    modules = source_modules() | {PLANTED: ("planted.py", source)}
    return read_adapters(modules, entries=[PLANTED])


def config_of(**data: Any) -> IndexConfig:
    return parse_config({"indexes": [], "fieldOverrides": []} | data)


def composite(collection: str, *fields: str) -> dict[str, Any]:
    """A composite index; a field named "x desc" descends."""
    return {
        "collectionGroup": collection,
        "queryScope": "COLLECTION",
        "fields": [
            {
                "fieldPath": f.split()[0],
                "order": "DESCENDING" if f.endswith(" desc") else "ASCENDING",
            }
            for f in fields
        ],
    }


def exempt(collection: str, field: str, *, ttl: bool = False) -> dict[str, Any]:
    return {"collectionGroup": collection, "fieldPath": field, "ttl": ttl, "indexes": []}


RECENT_THINGS = """
from google.cloud import firestore

class Things:
    def __init__(self, client):
        self._things = client.collection("things")

    def recent(self, owner_id, after):
        query = self._things.where(filter=firestore.FieldFilter("owner_id", "==", owner_id))
        query = query.order_by("created_at", direction=firestore.Query.DESCENDING)
        if after is not None:
            query = query.start_after(after)
        return [snap.id for snap in query.limit(10).stream()]
"""


def test_a_planted_query_without_its_index_is_reported() -> None:
    reading = planted(RECENT_THINGS)
    (problem,) = query_problems(reading, config_of())
    assert problem.startswith("no index serves `things: owner_id ==, order created_at desc`")
    assert "planted.py:13 (infrastructure.firestore.planted.Things.recent)" in problem
    assert "a composite index of (owner_id) then (created_at descending)" in problem
    indexed = config_of(indexes=[composite("things", "owner_id", "created_at desc")])
    assert query_problems(reading, indexed) == []
    ascending = config_of(indexes=[composite("things", "owner_id", "created_at")])
    assert len(query_problems(reading, ascending)) == 1  # the other direction serves nothing


def test_the_checker_follows_rest_selects_built_in_branches_and_helpers() -> None:
    reading = planted(
        """
from infrastructure.firestore.client import delete_in_batches, run_query
from infrastructure.firestore.reads import Select
from google.cloud import firestore

def newest(client, user_id, kind):
    where = (("user_id", user_id),)
    if kind is not None:
        where += (("kind", kind),)
    query = Select("things", where, order_by=(("at", True), ("__name__", True)), limit=5)
    return run_query(client, query)

def forget(client, user_id):
    owned = client.collection("things")
    owned = owned.where(filter=firestore.FieldFilter("user_id", "==", user_id))
    delete_in_batches(client, owned, 100)
"""
    )
    desc = (Order("at", descending=True), Order("__name__", descending=True))
    assert set(reading.queries) == {
        Query("things", (Filter("user_id", "=="),), desc),
        Query("things", (Filter("user_id", "=="), Filter("kind", "==")), desc),
        Query("things", (Filter("user_id", "=="),)),
    }
    sites = {str(site) for sites in reading.queries.values() for site in sites}
    assert "planted.py:11 (infrastructure.firestore.planted.newest)" in sites
    assert "planted.py:16 (infrastructure.firestore.planted.forget)" in sites  # its caller's line


def test_a_hot_sequential_field_left_indexed_is_reported() -> None:
    reading = planted(
        """
def add(client, thing):
    client.collection("things").document(thing.id).create(
        {"owner_id": thing.owner_id, "created_at": thing.created_at,
         "expires_at": thing.expires_at, "log": [{"at": thing.created_at}]}
    )
"""
    )
    written = reading.fields_written()
    assert written == {
        "things": {
            "owner_id": frozenset(),
            "created_at": frozenset(),
            "expires_at": frozenset(),
            "log": frozenset({"at"}),
        }
    }
    problems = exemption_problems(written, config_of())
    assert [p.split()[0] for p in problems] == [
        "things.created_at",
        "things.expires_at",
        "things.log",  # maps holding a time
    ]
    assert ttl_problems(written, config_of()) == [
        'things.expires_at is an expiry without a TTL policy (fieldOverrides, "ttl": true)'
    ]
    exempted = config_of(
        fieldOverrides=[
            exempt("things", "created_at"),
            exempt("things", "expires_at", ttl=True),
            exempt("things", "log"),
        ]
    )
    assert exemption_problems(written, exempted) == []
    assert ttl_problems(written, exempted) == []


def test_a_query_resting_on_a_hot_sequential_fields_own_index_is_reported() -> None:
    reading = planted(
        """
def oldest(client):
    return list(client.collection("things").order_by("created_at").limit(5).stream())
"""
    )
    assert serving(next(iter(reading.queries)), config_of()) == "single-field created_at ascending"
    (problem,) = query_problems(reading, config_of())
    assert "rests on the single-field index of the sequential created_at" in problem
    gone = config_of(fieldOverrides=[exempt("things", "created_at")])
    (problem,) = query_problems(reading, gone)
    assert problem.startswith("no index serves `things: order created_at`")


def test_a_composite_index_of_a_sequential_field_must_start_with_one_that_spreads_writes() -> None:
    sweeper = composite("things", "status", "next_attempt_at")
    (problem,) = composite_problems(config_of(indexes=[sweeper]))
    assert "starts with status, which does not spread writes" in problem
    sharded = composite("things", "shard", "status", "next_attempt_at")
    assert composite_problems(config_of(indexes=[sharded])) == []
    tasks = composite("dogs", "is_adopted", "create_date")  # a cold collection, named so
    assert composite_problems(config_of(indexes=[tasks])) == []


def test_a_query_the_checker_cannot_read_is_reported() -> None:
    reading = planted(
        """
import os
from google.cloud import firestore

def by(client, value):
    name = os.environ["FIELD"]
    query = client.collection("things").where(filter=firestore.FieldFilter(name, "==", value))
    return list(query.stream())
"""
    )
    assert reading.queries == {}
    assert {str(site) for site in reading.unread} == {
        "planted.py:7 (infrastructure.firestore.planted.by)",
        "planted.py:8 (infrastructure.firestore.planted.by)",
    }


def test_an_index_no_query_uses_is_reported(reading: Reading) -> None:
    # the core's collection, whichever units the tree has
    config = config_of(
        indexes=[composite("users", "role", "title")],
        fieldOverrides=[exempt("users", "colour")],
    )
    assert stale_problems(reading, config) == [
        "the field override of users.colour names a field no adapter writes",
        "no query uses the composite index users (role ascending, title ascending)",
    ]
    twice = config_of(indexes=[composite("users", "role", "created_at")] * 2)
    assert stale_problems(reading, twice)[-1] == (
        "the composite index users (role ascending, created_at ascending) is listed 2 times"
    )


def test_index_entries_are_counted_as_firestore_keeps_them() -> None:
    at = datetime(2026, 11, 27, tzinfo=UTC)
    document = {"org": "o", "tags": ["a", "b", "a"], "meta": {"x": 1, "y": [1]}, "at": at}
    # two a plain field, its subfields' a map's, one a distinct element an array's
    assert index_entries("things", document, config_of()) == 2 + 2 + (2 + 1) + 2
    ascending = {"order": "ASCENDING", "queryScope": "COLLECTION"}
    by_org = composite("things", "org")
    by_org["fields"].append({"fieldPath": "tags", "arrayConfig": "CONTAINS"})
    config = config_of(
        indexes=[by_org],
        fieldOverrides=[
            exempt("things", "at"),
            exempt("things", "meta"),
            {"collectionGroup": "things", "fieldPath": "org", "indexes": [ascending]},
        ],
    )
    assert index_entries("things", document, config) == 1 + 2 + 2  # org, tags, the composite
