"""The abstract values the interpreter computes with, and the modules it reads."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any


class Unknown:
    def __repr__(self) -> str:
        return "?"


UNKNOWN = Unknown()


@dataclass(frozen=True)
class Const:
    value: Any


@dataclass(frozen=True)
class Seq:
    """A tuple or a list; a comprehension, as its element's values."""

    items: tuple[Value, ...]

    @cached_property
    def _hash(self) -> int:
        return hash(self.items)

    def __hash__(self) -> int:  # once: ``distinct`` hashes the worlds that hold it, often
        return self._hash


@dataclass(frozen=True)
class DictVal:
    """A dict's keys, each with the keys of the maps its value holds."""

    fields: tuple[tuple[str, frozenset[str]], ...] = ()
    dynamic: bool = False  # some keys are computed

    @cached_property
    def _hash(self) -> int:
        return hash((self.fields, self.dynamic))

    def __hash__(self) -> int:  # once, as Seq's
        return self._hash

    def keys(self) -> frozenset[str]:
        return frozenset(name for name, _ in self.fields)

    def with_field(self, name: str | None, keys: frozenset[str]) -> DictVal:
        if name is None:
            return DictVal(self.fields, dynamic=True)
        kept = tuple(item for item in self.fields if item[0] != name)
        return DictVal((*kept, (name, keys)), self.dynamic)

    def merged(self, other: DictVal) -> DictVal:
        merged = self
        for name, keys in other.fields:
            merged = merged.with_field(name, keys)
        return DictVal(merged.fields, merged.dynamic or other.dynamic)


@dataclass(frozen=True)
class Coll:
    name: str | None  # the collection group's id; None: not resolved
    group: bool = False


@dataclass(frozen=True)
class Doc:
    coll: Coll


@dataclass(frozen=True)
class PathStr:
    """A document's path, as a string whose collection is known ("sessions/{id}")."""

    coll: Coll


@dataclass(frozen=True)
class FilterVal:
    field: str | None
    op: str | None


@dataclass(frozen=True)
class QueryVal:
    coll: Coll
    filters: tuple[tuple[str | None, str | None], ...] = ()
    orders: tuple[tuple[str | None, bool | None], ...] = ()  # (field, descending)


@dataclass(frozen=True)
class Symbol:
    """Something from outside the modules read (``firestore.FieldFilter``, ``asdict``)."""

    name: str


@dataclass(frozen=True)
class Typed:
    """A parameter annotated with a class of the domain."""

    name: str


@dataclass(frozen=True)
class Gen:
    """What calling a generator function gives: the values it yields."""

    items: tuple[Value, ...]

    @cached_property
    def _hash(self) -> int:
        return hash(self.items)

    def __hash__(self) -> int:  # once, as Seq's
        return self._hash


@dataclass(frozen=True)
class Func:
    module: Module
    node: ast.FunctionDef | ast.Lambda
    qualname: str
    bound: Value | None = None  # ``self`` of a method
    closure: tuple[tuple[str, Value], ...] = ()


@dataclass(frozen=True)
class ClassRef:
    module: Module
    node: ast.ClassDef

    @property
    def key(self) -> tuple[str, str]:
        return (self.module.name, self.node.name)

    def method(self, name: str) -> ast.FunctionDef | None:
        for item in self.node.body:
            if isinstance(item, ast.FunctionDef) and item.name == name:
                return item
        return None


@dataclass(frozen=True)
class Obj:
    cls: ClassRef


@dataclass(frozen=True)
class Method:
    """An attribute of a value the interpreter does not model, looked up to be called."""

    receiver: Value
    name: str


Value = (
    Unknown
    | Const
    | Seq
    | DictVal
    | Coll
    | Doc
    | PathStr
    | FilterVal
    | QueryVal
    | Symbol
    | Typed
    | Gen
    | Func
    | ClassRef
    | Obj
    | Method
)
Env = dict[str, Value]


@dataclass(frozen=True)
class Args:
    positional: tuple[Value, ...] = ()
    named: Mapping[str, Value] = field(default_factory=dict)

    def has(self, index: int, name: str) -> bool:
        return index < len(self.positional) or name in self.named

    def get(self, index: int, name: str) -> Value:
        if index < len(self.positional):
            return self.positional[index]
        return self.named.get(name, UNKNOWN)

    def values(self) -> Iterator[Value]:
        yield from self.positional
        yield from self.named.values()


# -- modules -----------------------------------------------------------------------------------


@dataclass(eq=False)
class Module:
    name: str
    path: str
    tree: ast.Module
    imports: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    defs: dict[str, ast.FunctionDef | ast.ClassDef] = field(default_factory=dict)
    assigned: dict[str, tuple[ast.expr, int | None]] = field(default_factory=dict)

    def __hash__(self) -> int:
        return hash(self.name)

    @classmethod
    def parse(cls, name: str, path: str, source: str) -> Module:
        module = cls(name, path, ast.parse(source))
        for node in module.tree.body:
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    module.imports[alias.asname or alias.name] = (node.module, alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    module.imports[alias.asname or alias.name] = (alias.name, None)
            elif isinstance(node, ast.FunctionDef | ast.ClassDef):
                module.defs[node.name] = node
            elif isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        module.assigned[target.id] = (node.value, None)
                    elif isinstance(target, ast.Tuple):
                        for i, element in enumerate(target.elts):
                            if isinstance(element, ast.Name):
                                module.assigned[element.id] = (node.value, i)
        return module


# -- helpers -----------------------------------------------------------------------------------


def text_of(value: Value) -> str | None:
    return value.value if isinstance(value, Const) and isinstance(value.value, str) else None


def items_of(value: Value) -> list[Value]:
    return list(value.items) if isinstance(value, Seq | Gen) else []


def keys_of(value: Value) -> frozenset[str]:
    """The keys of the maps ``value`` is or holds."""
    if isinstance(value, DictVal):
        return value.keys()
    if isinstance(value, Seq):
        return frozenset().union(*(keys_of(item) for item in value.items))
    return frozenset()


def bind(target: ast.expr, value: Value, env: Env) -> None:
    if isinstance(target, ast.Name):
        env[target.id] = value
    elif isinstance(target, ast.Tuple | ast.List):
        items = (
            value.items if isinstance(value, Seq) and len(value.items) == len(target.elts) else ()
        )
        for i, element in enumerate(target.elts):
            bind(element, items[i] if items else UNKNOWN, env)
    elif isinstance(target, ast.Starred):
        bind(target.value, UNKNOWN, env)


def distinct(envs: list[Env]) -> list[Env]:
    """The worlds, each once."""
    seen: dict[frozenset[tuple[str, Value]], Env] = {}
    for env in envs:
        seen.setdefault(frozenset(env.items()), env)
    return list(seen.values())


def params_of(node: ast.FunctionDef | ast.Lambda) -> list[ast.arg]:
    return [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]


def defaults_of(node: ast.FunctionDef | ast.Lambda) -> dict[str, ast.expr]:
    positional = [*node.args.posonlyargs, *node.args.args]
    with_default = positional[len(positional) - len(node.args.defaults) :]
    found = dict(zip((p.arg for p in with_default), node.args.defaults, strict=True))
    for param, default in zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True):
        if default is not None:
            found[param.arg] = default
    return found


def is_static(node: ast.FunctionDef) -> bool:
    return any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in node.decorator_list)


@cache  # each function's body is walked once, however often it is called
def is_generator(node: ast.FunctionDef | ast.Lambda) -> bool:
    if isinstance(node, ast.Lambda):
        return False
    return any(isinstance(n, ast.Yield | ast.YieldFrom) for n in own_nodes(node))


def own_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a function's body, not those of the functions defined in it."""
    for child in ast.iter_child_nodes(node):
        yield child
        if not isinstance(child, ast.FunctionDef | ast.Lambda | ast.ClassDef):
            yield from own_nodes(child)
