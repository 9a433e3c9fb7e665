"""The interpreter taught Firestore: the client library's collections, documents, queries and
writes, and the ``FirestoreReads`` port's ``Select`` and ``Write``; every function and method of
the modules read is an entry."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
from collections.abc import Iterable, Mapping
from pathlib import Path

from bootstrap.accounts_rules import user_parts
from tests.support.firestore_code.expressions import Frame
from tests.support.firestore_code.interpreter import Interpreter
from tests.support.firestore_code.model import (
    ROOT,
    SRC,
    Filter,
    Order,
    Query,
    Reading,
    Site,
    Written,
)
from tests.support.firestore_code.values import (
    UNKNOWN,
    Args,
    ClassRef,
    Coll,
    Const,
    DictVal,
    Doc,
    Env,
    FilterVal,
    Func,
    Method,
    Module,
    Obj,
    PathStr,
    QueryVal,
    Seq,
    Symbol,
    Typed,
    Value,
    is_static,
    text_of,
)
from tests.support.settings import make_settings

PACKAGE = "infrastructure.firestore"
REST = "infrastructure.firestore.reads"
# Calls that build or run a query: each must be read in some context (``Reading.unread``).
QUERY_METHODS = frozenset({"where", "order_by", "collection_group", "stream"})
QUERY_NAMES = frozenset({"Select", "FieldFilter"})
# The client library's spelling of a Select, and its run, for any Select: each is read where
# it is made.
NOT_QUERIES = frozenset(
    {
        "infrastructure.firestore.library_reads.library_query",
        "infrastructure.firestore.library_reads.LibraryReads.query",
    }
)
SAME_QUERY = frozenset(
    {
        "limit",
        "limit_to_last",
        "select",
        "offset",
        "start_after",
        "start_at",
        "end_before",
        "end_at",
    }
)
RUN = frozenset({"stream", "get"})
WRITES = frozenset({"create", "set", "update"})


class Reader(Interpreter):
    def __init__(self, modules: Mapping[str, tuple[str, str]]) -> None:
        super().__init__(modules)
        self.reading = Reading()
        self._query_calls: dict[ast.Call, Site] = {}
        self._read_calls: set[ast.Call] = set()

    def read(self, entries: Iterable[str] | None = None) -> Reading:
        for name in self.modules if entries is None else entries:
            module = self.modules[name]
            self._note_query_calls(module)
            for node in module.tree.body:
                if isinstance(node, ast.FunctionDef):
                    self._read_function(Func(module, node, f"{module.name}.{node.name}"), None)
                elif isinstance(node, ast.ClassDef):
                    self._read_class(ClassRef(module, node))
        self.reading.unread = [
            site
            for call, site in self._query_calls.items()
            if call not in self._read_calls and site.function not in NOT_QUERIES
        ]
        return self.reading

    def _read_class(self, cls: ClassRef) -> None:
        for item in cls.node.body:
            if isinstance(item, ast.FunctionDef):
                qualname = f"{cls.module.name}.{cls.node.name}.{item.name}"
                self._read_function(
                    Func(cls.module, item, qualname), None if is_static(item) else Obj(cls)
                )

    def _note_query_calls(self, module: Module) -> None:
        def visit(node: ast.AST, function: str) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.Call) and _builds_a_query(child):
                    self._query_calls[child] = Site(module.path, child.lineno, function)
                if isinstance(child, ast.FunctionDef | ast.ClassDef):
                    visit(child, f"{function}.{child.name}")
                else:
                    visit(child, function)

        visit(module.tree, module.name)

    # -- the hooks -------------------------------------------------------------------------------

    def _attribute(self, base: Value, name: str, frame: Frame) -> Value:
        if isinstance(base, Doc) and name == "path":
            return PathStr(base.coll)
        return super()._attribute(base, name, frame)

    def _fstring(self, node: ast.JoinedStr, env: Env, frame: Frame) -> Value:
        """``f"{SESSIONS}/{session_id}"``: the path of a document of that collection."""
        super()._fstring(node, env, frame)
        head, *rest = node.values
        if isinstance(head, ast.FormattedValue) and rest and isinstance(rest[0], ast.Constant):
            heads = self._eval(head.value, env, frame)
            name = text_of(heads[0]) if len(heads) == 1 else None
            if name is not None and str(rest[0].value).startswith("/"):
                return PathStr(Coll(name))
        return UNKNOWN

    def _call_class(self, node: ast.Call, cls: ClassRef, args: Args, frame: Frame) -> Value:
        qualname = f"{cls.module.name}.{cls.node.name}"
        if qualname == f"{REST}.Select":
            return self._select(node, args)
        if qualname == f"{REST}.Write":
            path = args.get(0, "path")
            if isinstance(path, PathStr):
                self._written(path.coll, args.get(1, "fields"), frame, node)
            return UNKNOWN
        return super()._call_class(node, cls, args, frame)

    def _call_symbol(self, node: ast.Call, symbol: Symbol, args: Args, frame: Frame) -> Value:
        if symbol.name.endswith("firestore.FieldFilter"):
            name, op = text_of(args.get(0, "field_path")), text_of(args.get(1, "op_string"))
            if name is not None and op is not None:
                self._read_calls.add(node)
            return FilterVal(name, op)
        typed = args.get(0, "obj")
        if symbol.name == "dataclasses.asdict" and isinstance(typed, Typed):
            module, _, name = typed.name.rpartition(".")
            cls = getattr(importlib.import_module(module), name)
            return DictVal(tuple((f.name, frozenset()) for f in dataclasses.fields(cls)))
        return super()._call_symbol(node, symbol, args, frame)

    def _call_method(self, node: ast.Call, method: Method, args: Args, frame: Frame) -> Value:
        receiver, name = method.receiver, method.name
        if name in {"collection", "collection_group"} and args.positional:
            # A collection of the database or of a document ("datasets/{id}/chunks"): its
            # indexes are its group's, whose id is the last segment of its path.
            path = text_of(args.positional[0])
            if path is not None and name == "collection_group":
                self._read_calls.add(node)
            return Coll(path.rsplit("/", 1)[-1] if path else None, name == "collection_group")
        if name == "document":
            if isinstance(receiver, Coll):
                return Doc(receiver)
            given = args.get(0, "document_path")
            return Doc(given.coll) if isinstance(given, PathStr) else UNKNOWN
        query = QueryVal(receiver) if isinstance(receiver, Coll) else receiver
        if isinstance(query, QueryVal):
            return self._query_method(node, query, name, args, frame)
        if name in WRITES:
            # ``doc.update(fields)``, ``batch.update(doc, fields)``, ``reader.update(path, ...)``
            target, fields = (
                (receiver, args.get(0, ""))
                if isinstance(receiver, Doc)
                else (
                    args.get(0, ""),
                    args.get(1, ""),
                )
            )
            if isinstance(target, Doc | PathStr):
                self._written(target.coll, fields, frame, node)
                return UNKNOWN
        return super()._call_method(node, method, args, frame)

    # -- queries and writes ----------------------------------------------------------------------

    def _query_method(
        self, node: ast.Call, query: QueryVal, name: str, args: Args, frame: Frame
    ) -> Value:
        if name == "where":
            condition = args.named.get("filter")
            if condition is None and len(args.positional) >= 2:
                condition = FilterVal(text_of(args.positional[0]), text_of(args.positional[1]))
            if not isinstance(condition, FilterVal):
                condition = FilterVal(None, None)
            filters = (*query.filters, (condition.field, condition.op))
            return self._built(node, QueryVal(query.coll, filters, query.orders))
        if name == "order_by":
            given = args.has(1, "direction")
            direction = args.get(1, "direction") if given else Const("ASCENDING")
            order = (text_of(args.get(0, "field_path")), _descending(direction))
            return self._built(node, QueryVal(query.coll, query.filters, (*query.orders, order)))
        if name in SAME_QUERY:
            return query
        if name in RUN:
            found = resolved(query)
            if found is not None:
                self._read_calls.add(node)
                self.reading.queries.setdefault(found, set()).add(frame.site(node))
        return UNKNOWN

    def _select(self, node: ast.Call, args: Args) -> Value:
        """``Select(collection, where, order_by=..., start_after=..., limit=...)``."""
        path = text_of(args.get(0, "collection"))
        where, order_by = args.get(1, "where"), args.get(2, "order_by")
        filters: list[tuple[str | None, str | None]] = []
        for pair in _pairs(where if args.has(1, "where") else Seq(())):
            filters.append((text_of(pair[0]) if pair else None, "=="))
        orders: list[tuple[str | None, bool | None]] = []
        for pair in _pairs(order_by if args.has(2, "order_by") else Seq(())):
            descending = pair[1].value if len(pair) > 1 and isinstance(pair[1], Const) else None
            orders.append(
                (
                    text_of(pair[0]) if pair else None,
                    descending if isinstance(descending, bool) else None,
                )
            )
        coll = Coll(path.rsplit("/", 1)[-1] if path else None)
        return self._built(node, QueryVal(coll, tuple(filters), tuple(orders)))

    def _built(self, node: ast.Call, query: QueryVal) -> QueryVal:
        if resolved(query) is not None:
            self._read_calls.add(node)
        return query

    def _written(self, coll: Coll, fields: Value, frame: Frame, node: ast.Call) -> None:
        if coll.name is None:
            return
        if isinstance(fields, DictVal):
            written = Written(coll.name, tuple(sorted(fields.fields)), fields.dynamic)
        else:
            written = Written(coll.name, (), dynamic=True)
        self.reading.writes.setdefault(written, set()).add(frame.site(node))


def resolved(query: QueryVal) -> Query | None:
    """The query, when its collection, fields, operators and directions are all known."""
    if query.coll.name is None:
        return None
    filters, orders = [], []
    for name, op in query.filters:
        if name is None or op is None:
            return None
        filters.append(Filter(name, op))
    for name, descending in query.orders:
        if name is None or descending is None:
            return None
        orders.append(Order(name, descending))
    return Query(query.coll.name, tuple(filters), tuple(orders), query.coll.group)


def _pairs(value: Value) -> list[tuple[Value, ...]]:
    """The (field, value) or (field, descending) pairs of a Select; one unknown when unknown."""
    if not isinstance(value, Seq):
        return [()]
    return [item.items if isinstance(item, Seq) else () for item in value.items]


def _descending(direction: Value) -> bool | None:
    if isinstance(direction, Symbol) and direction.name.endswith(
        ("Query.DESCENDING", "Query.ASCENDING")
    ):
        return direction.name.endswith("DESCENDING")
    text = text_of(direction)
    return text.upper() == "DESCENDING" if text is not None else None


def _builds_a_query(node: ast.Call) -> bool:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr in QUERY_METHODS or func.attr in QUERY_NAMES
    return isinstance(func, ast.Name) and func.id in QUERY_NAMES


def source_modules(root: Path = SRC, package: str = PACKAGE) -> dict[str, tuple[str, str]]:
    """Each module of ``package`` under ``root``: its dotted name, path and source."""
    found = {}
    for path in sorted((root / package.replace(".", "/")).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        found[name] = (str(shown), path.read_text(encoding="utf-8"))
    return found


def read_adapters(
    modules: Mapping[str, tuple[str, str]] | None = None, entries: Iterable[str] | None = None
) -> Reading:
    """The queries and writes of ``modules`` (default: src/infrastructure/firestore, with the
    units' user parts), read from the functions of ``entries`` (default: all of them)."""
    if modules is not None:
        return Reader(modules).read(entries)
    reading = Reader(source_modules()).read(entries)
    for written, site in user_part_writes():
        reading.writes.setdefault(written, set()).add(site)
    return reading


def user_part_writes() -> list[tuple[Written, Site]]:
    """The fields of ``users/{uid}`` the units' user parts write: the accounts' mapping writes
    them as each part's ``stored`` gives them (``**user.parts``, keys the reader cannot name;
    docs/decisions/0735-user-parts.md). Each part writes every field of its own, whatever its
    values: its default record names them all."""
    found = []
    for kind in user_parts(make_settings()):
        fields = tuple((name, frozenset[str]()) for name in kind.read({}).stored("-"))
        source = Path(inspect.getsourcefile(kind) or "")
        _, line = inspect.getsourcelines(kind)
        site = Site(str(source.relative_to(ROOT)), line, f"{kind.__name__}.stored")
        found.append((Written("users", fields), site))
    return found
