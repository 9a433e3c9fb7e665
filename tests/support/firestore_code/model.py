"""What the reader finds: queries, where they run, and writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SRC = ROOT / "src"


@dataclass(frozen=True)
class Filter:
    field: str
    op: str  # "==", "in", "<", "<=", ">", ">=", "!=", "not-in", "array_contains", ...


@dataclass(frozen=True)
class Order:
    field: str
    descending: bool = False


@dataclass(frozen=True)
class Query:
    collection: str  # the collection group's id: the last segment of its path
    filters: tuple[Filter, ...] = ()
    orders: tuple[Order, ...] = ()
    group: bool = False  # a collection-group query (every collection of that id)

    def __str__(self) -> str:
        parts = [f"{f.field} {f.op}" for f in self.filters]
        parts += [f"order {o.field}{' desc' if o.descending else ''}" for o in self.orders]
        scope = "group " if self.group else ""
        return f"{scope}{self.collection}: " + (", ".join(parts) or "all")


@dataclass(frozen=True)
class Site:
    path: str  # relative to the repository
    line: int
    function: str  # the adapter's function or method whose call runs it

    def __str__(self) -> str:
        return f"{self.path}:{self.line} ({self.function})"


@dataclass(frozen=True)
class Written:
    """A write of a document of ``collection``: the fields it names, each with the keys of
    the maps it holds (a map, or a list of maps); ``dynamic`` when some names are computed."""

    collection: str
    fields: tuple[tuple[str, frozenset[str]], ...]
    dynamic: bool = False


@dataclass
class Reading:
    queries: dict[Query, set[Site]] = field(default_factory=dict)
    writes: dict[Written, set[Site]] = field(default_factory=dict)
    unread: list[Site] = field(default_factory=list)  # query calls read in no context

    def fields_written(self) -> dict[str, dict[str, frozenset[str]]]:
        """Per collection, each field any write names, with the keys of the maps it holds."""
        found: dict[str, dict[str, frozenset[str]]] = {}
        for written in self.writes:
            fields = found.setdefault(written.collection, {})
            for name, keys in written.fields:
                fields[name] = fields.get(name, frozenset()) | keys
        return found
