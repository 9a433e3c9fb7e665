"""firestore.indexes.json, and the rules a query and the data model are held to against it
(docs/operations.md, "Firestore"; docs/decisions/0356-queries-held-against-their-indexes.md).

Which index serves a query, as Firestore chooses: none for a plain read of a collection in
document order; the single-field indexes of its fields for equalities only (merged); the
single-field index of its one field for a range or an order on one field; else a composite
index of its equality fields (in any order) followed by its orders, in their directions
(an inequality's field ordered after the explicit orders when none names it; the document id
last, in the last order's direction, unless the query orders it otherwise).

The rule for a collection written per request ("hot": every one not named in ``COLD``): a
field of sequential values (a time, an expiry; ``sequential``) has its single-field index
exempted, so no query may rest on it; a composite index that holds one starts with a field
that spreads writes (an account, an org, an owner, a shard: ``SPREADS``). Every expiry a collection
is written with has its TTL policy, itself exempt from indexing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.firestore_code import Order, Query, Reading
from tests.support.units import absent_units

ROOT = Path(__file__).resolve().parents[2]
INDEXES = ROOT / "firestore.indexes.json"

# Collections not written per request, which keep their sequential fields indexed, and why.
COLD: dict[str, str] = {
    "oauth_clients": "written when an admin or a client registers one; the admins' list is "
    "in order of creation",
    "webhook_endpoints": "written by admins; their list is in order of creation",
    "upstream_providers": "written by admins",
    "domains": "an org's domains, added and verified by its admins",
    "verified_domains": "written when an org's admin verifies a domain",
    "dogs": "the template resource of the dogs API, whose public list is in order of "
    "creation across all owners: a new dog is one of at most ~500 a second",
}
# Fields whose values spread writes over the index: the first field of a composite index that
# holds a sequential one is one of them.
# ``key``: the units' outbox entries' destination (a stream), as an org spreads its own.
SPREADS = frozenset({"user_id", "owner_id", "id_user", "shard", "org_id", "key"})
# A time, an expiry: any field so named, or holding maps with a field so named.
SEQUENTIAL_NAME = re.compile(r"(^|_)(at|date|time|since|until|start)$|^expires")
ALSO_SEQUENTIAL = frozenset({("mfa", "last_step")})  # the TOTP time step last used
NOT_SEQUENTIAL = frozenset({("tasks", "due_date")})  # chosen by people, in any order
TTL_NAME = re.compile(r"^expires(_at)?$")
NO_TTL: dict[tuple[str, str], str] = {}  # an expiry that must not delete its document, and why

EQUALITY = frozenset({"==", "in", "array_contains", "array_contains_any"})
CONTAINS = frozenset({"array_contains", "array_contains_any"})
NAME = "__name__"


def sequential(collection: str, name: str, keys: Iterable[str] = ()) -> bool:
    """Whether the values of ``collection``'s field ``name`` (holding maps with ``keys``)
    grow with time across the collection."""
    if (collection, name) in NOT_SEQUENTIAL:
        return False
    if (collection, name) in ALSO_SEQUENTIAL:
        return True
    return bool(SEQUENTIAL_NAME.search(name)) or any(SEQUENTIAL_NAME.search(k) for k in keys)


# -- firestore.indexes.json --------------------------------------------------------------------


@dataclass(frozen=True)
class IndexField:
    path: str
    mode: str  # "ASCENDING", "DESCENDING" or "CONTAINS"


@dataclass(frozen=True)
class Composite:
    collection: str
    group: bool
    fields: tuple[IndexField, ...]

    def __str__(self) -> str:
        fields = ", ".join(f"{f.path} {f.mode.lower()}" for f in self.fields)
        return f"{'group ' if self.group else ''}{self.collection} ({fields})"


@dataclass(frozen=True)
class Override:
    indexes: tuple[tuple[str, bool], ...]  # (mode, collection-group scope) of each kept index
    ttl: bool


@dataclass
class IndexConfig:
    composites: list[Composite] = field(default_factory=list)
    overrides: dict[tuple[str, str], Override] = field(default_factory=dict)

    def single_field(self, collection: str, path: str, mode: str, group: bool = False) -> bool:
        """Whether the single-field index of ``path`` in ``mode`` exists: automatic for a
        collection's queries unless an override says otherwise; for a collection group's,
        only where an override asks for it."""
        override = self.overrides.get((collection, path))
        if override is None:
            return not group
        return (mode, group) in override.indexes

    def exempt(self, collection: str, path: str) -> bool:
        override = self.overrides.get((collection, path))
        return override is not None and not override.indexes


def parse_config(data: Mapping[str, Any]) -> IndexConfig:
    config = IndexConfig()
    for index in data.get("indexes", []):
        fields = tuple(
            IndexField(f["fieldPath"], "CONTAINS" if "arrayConfig" in f else f["order"])
            for f in index["fields"]
        )
        group = index.get("queryScope", "COLLECTION") == "COLLECTION_GROUP"
        config.composites.append(Composite(index["collectionGroup"], group, fields))
    for override in data.get("fieldOverrides", []):
        kept = tuple(
            (
                "CONTAINS" if "arrayConfig" in kept else kept["order"],
                kept.get("queryScope", "COLLECTION") == "COLLECTION_GROUP",
            )
            for kept in override.get("indexes", [])
        )
        key = (override["collectionGroup"], override["fieldPath"])
        config.overrides[key] = Override(kept, bool(override.get("ttl", False)))
    return config


def load_config(path: Path = INDEXES) -> IndexConfig:
    return parse_config(json.loads(path.read_text(encoding="utf-8")))


# -- which index serves a query ----------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What a query needs: nothing, single-field indexes (``singles``), or a composite."""

    query: Query
    singles: tuple[IndexField, ...] = ()
    equalities: tuple[IndexField, ...] = ()  # a composite's first fields, in any order
    orders: tuple[IndexField, ...] = ()  # then these, in this order

    @property
    def composite(self) -> bool:
        return bool(self.equalities or self.orders)


def plan(query: Query) -> Plan:
    equal = {
        f.field: ("CONTAINS" if f.op in CONTAINS else "ASCENDING")
        for f in query.filters
        if f.op in EQUALITY
    }
    ranges = sorted({f.field for f in query.filters if f.op not in EQUALITY})
    orders = [o for o in query.orders if o.field not in equal]
    named = [o.field for o in orders]
    orders += [Order(r) for r in ranges if r not in named]  # an inequality orders implicitly
    name_order = None
    if orders and orders[-1].field == NAME:
        name_order = orders.pop()
    suffix = [IndexField(o.field, _mode(o)) for o in orders]
    if name_order is not None and suffix and _mode(name_order) != suffix[-1].mode:
        suffix.append(IndexField(NAME, _mode(name_order)))  # not the implicit direction
    if any(f.path == NAME for f in suffix[:-1]):
        suffix = [f for f in suffix if f.path != NAME] + [IndexField(NAME, suffix[-1].mode)]
    if not suffix:
        return Plan(query, singles=tuple(IndexField(p, m) for p, m in sorted(equal.items())))
    if not equal and len(suffix) == 1:
        return Plan(query, singles=tuple(suffix))
    equalities = tuple(IndexField(p, m) for p, m in sorted(equal.items()))
    return Plan(query, equalities=equalities, orders=tuple(suffix))


def _mode(order: Order) -> str:
    return "DESCENDING" if order.descending else "ASCENDING"


def serving(query: Query, config: IndexConfig) -> str | None:
    """The index that serves ``query``, described; None when none does."""
    needed = plan(query)
    if not needed.composite:
        missing = [
            f
            for f in needed.singles
            if not config.single_field(query.collection, f.path, f.mode, query.group)
        ]
        if missing:
            return None
        if not needed.singles:
            return "no index (document order)"
        return "single-field " + ", ".join(f"{f.path} {f.mode.lower()}" for f in needed.singles)
    for composite in config.composites:
        if _serves(composite, needed):
            return f"composite {composite}"
    return None


def _serves(composite: Composite, needed: Plan) -> bool:
    query = needed.query
    if composite.collection != query.collection or composite.group != query.group:
        return False
    count = len(needed.equalities)
    fields = composite.fields
    if len(fields) != count + len(needed.orders):
        return False
    head = {f.path: f.mode == "CONTAINS" for f in fields[:count]}
    wanted = {f.path: f.mode == "CONTAINS" for f in needed.equalities}
    return head == wanted and fields[count:] == needed.orders


# -- the rules ---------------------------------------------------------------------------------


def query_problems(reading: Reading, config: IndexConfig) -> list[str]:
    """Each query no index serves, or one a hot collection serves from the single-field
    index of a sequential field."""
    problems = []
    for query, sites in sorted(reading.queries.items(), key=lambda item: str(item[0])):
        where = ", ".join(sorted(str(site) for site in sites))
        needed = plan(query)
        if serving(query, config) is None:
            problems.append(f"no index serves `{query}` ({where}): needs {_described(needed)}")
        elif query.collection not in COLD and not needed.composite:
            hot = [f.path for f in needed.singles if sequential(query.collection, f.path)]
            if hot:
                problems.append(
                    f"`{query}` ({where}) rests on the single-field index of the sequential "
                    f"{', '.join(hot)}: use a composite index that starts with a field that "
                    "spreads writes (an account, an owner, a shard)"
                )
    return problems


def _described(needed: Plan) -> str:
    if not needed.composite:
        return "the single-field indexes of " + ", ".join(
            f"{f.path} {f.mode.lower()}" for f in needed.singles
        )
    equal = ", ".join(f.path for f in needed.equalities)
    ordered = ", ".join(f"{f.path} {f.mode.lower()}" for f in needed.orders)
    return f"a composite index of ({equal}) then ({ordered})"


def exemption_problems(
    written: Mapping[str, Mapping[str, frozenset[str]]], config: IndexConfig
) -> list[str]:
    """Each sequential field of a hot collection whose single-field index is kept."""
    return [
        f"{collection}.{name} holds sequential values and keeps its single-field index: "
        "exempt it in firestore.indexes.json (fieldOverrides, indexes [])"
        for collection, fields in sorted(written.items())
        if collection not in COLD
        for name, keys in sorted(fields.items())
        if sequential(collection, name, keys) and not config.exempt(collection, name)
    ]


def composite_problems(config: IndexConfig) -> list[str]:
    """Each composite index of a hot collection holding a sequential field whose first field
    does not spread writes."""
    problems = []
    for composite in config.composites:
        if composite.collection in COLD:
            continue
        held = [f.path for f in composite.fields if sequential(composite.collection, f.path)]
        first = composite.fields[0].path
        if held and first not in SPREADS:
            problems.append(
                f"the composite index {composite} holds the sequential {', '.join(held)} but "
                f"starts with {first}, which does not spread writes ({', '.join(sorted(SPREADS))})"
            )
    return problems


def ttl_problems(
    written: Mapping[str, Mapping[str, frozenset[str]]], config: IndexConfig
) -> list[str]:
    """Each expiry without its TTL policy, and each TTL policy on no expiry or left indexed."""
    problems = []
    for collection, fields in sorted(written.items()):
        for name in sorted(fields):
            has_ttl = (override := config.overrides.get((collection, name))) and override.ttl
            if TTL_NAME.match(name) and not has_ttl and (collection, name) not in NO_TTL:
                problems.append(
                    f"{collection}.{name} is an expiry without a TTL policy (fieldOverrides, "
                    '"ttl": true)'
                )
    by_collection: dict[str, list[str]] = {}
    for (collection, name), override in sorted(config.overrides.items()):
        if not override.ttl:
            continue
        by_collection.setdefault(collection, []).append(name)
        if not TTL_NAME.match(name):
            problems.append(f"the TTL policy of {collection}.{name} is on no expiry")
        if override.indexes:
            problems.append(f"the TTL field {collection}.{name} keeps single-field indexes")
    problems += [
        f"{collection} has more than one TTL policy: {', '.join(names)}"
        for collection, names in by_collection.items()
        if len(names) > 1
    ]
    return problems


def left_by_a_unit(collection: str, written: Mapping[str, object]) -> bool:
    """A collection no adapter writes at all, in a tree a documented unit was taken out of:
    that unit's configuration, left for whoever removes it for good (tests/support/units.py;
    never in the suite's tree, where every unit is in)."""
    return bool(absent_units()) and collection not in written


def stale_problems(reading: Reading, config: IndexConfig) -> list[str]:
    """Each override of a field no adapter writes, each composite index no query uses, and
    each listed twice."""
    written = reading.fields_written()
    problems = [
        f"the field override of {collection}.{name} names a field no adapter writes"
        for collection, name in sorted(config.overrides)
        if name not in written.get(collection, {}) and not left_by_a_unit(collection, written)
    ]
    used = {
        str(composite)
        for query in reading.queries
        for composite in config.composites
        if _serves(composite, plan(query))
    }
    problems += [
        f"no query uses the composite index {composite}"
        for composite in config.composites
        if str(composite) not in used
    ]
    problems += [
        f"the composite index {composite} is listed {config.composites.count(composite)} times"
        for composite in dict.fromkeys(config.composites)
        if config.composites.count(composite) > 1
    ]
    return problems


def all_problems(reading: Reading, config: IndexConfig) -> list[str]:
    written = reading.fields_written()
    return [
        *(f"the checker cannot read the query at {site}" for site in reading.unread),
        *query_problems(reading, config),
        *exemption_problems(written, config),
        *composite_problems(config),
        *ttl_problems(written, config),
        *stale_problems(reading, config),
    ]


# -- index entries -----------------------------------------------------------------------------


def index_entries(collection: str, document: Mapping[str, Any], config: IndexConfig) -> int:
    """How many index entries Firestore keeps for ``document`` of ``collection`` under
    ``config``: a field without an override two (ascending and descending), a map's subfields
    each theirs, an array one per distinct element (array-contains); an overridden field one per
    index it keeps (an array-contains one per element), none when exempt; and a composite index
    one per document holding its fields (times the elements of its array field)."""
    return _single_field_entries(collection, document, config, "") + sum(
        _composite_entries(composite, document)
        for composite in config.composites
        if composite.collection == collection
    )


def _distinct(value: list[Any]) -> int:
    return len({json.dumps(element, sort_keys=True, default=str) for element in value})


def _single_field_entries(
    collection: str, document: Mapping[str, Any], config: IndexConfig, prefix: str
) -> int:
    total = 0
    for name, value in document.items():
        path = prefix + name
        override = config.overrides.get((collection, path))
        if override is not None:
            for mode, _ in override.indexes:
                contains = mode == "CONTAINS"
                total += (_distinct(value) if isinstance(value, list) else 0) if contains else 1
        elif isinstance(value, dict):
            total += _single_field_entries(collection, value, config, path + ".")
        elif isinstance(value, list):
            total += _distinct(value)
        else:
            total += 2
    return total


def _composite_entries(composite: Composite, document: Mapping[str, Any]) -> int:
    entries = 1
    for index_field in composite.fields:
        if index_field.path == NAME:
            continue
        if index_field.path not in document:
            return 0
        value = document[index_field.path]
        if index_field.mode == "CONTAINS":
            entries *= _distinct(value) if isinstance(value, list) else 0
    return entries
