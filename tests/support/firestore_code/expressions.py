"""What an expression may be worth, in the interpreter's worlds: names (the modules' own,
followed across imports), attributes, objects and the attributes their ``__init__`` sets,
collections, dicts, comprehensions, and calls, each of its alternatives applied in turn. What
it meets of the world outside (the client library) is left to the hooks a subclass
overrides: ``_call_method``, ``_call_class``, ``_call_symbol``, ``_attribute`` and
``_fstring``."""

from __future__ import annotations

import ast
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from tests.support.firestore_code.model import Site
from tests.support.firestore_code.values import (
    UNKNOWN,
    Args,
    ClassRef,
    Const,
    DictVal,
    Env,
    Func,
    Method,
    Module,
    Obj,
    Seq,
    Symbol,
    Value,
    bind,
    items_of,
    keys_of,
    text_of,
)

MAX_WORLDS = 512  # more alternatives than this in one function: the reader says so, loudly
MAX_DEPTH = 8  # calls read one within another


class ReadingError(Exception):
    """The source holds more alternatives than the reader follows."""


@dataclass(frozen=True)
class Entry:
    """The function being read: what it runs is reported at its own line when that is in
    this function's text, else at the line of the statement that led to it (the call of a
    helper, of another module's function)."""

    module: Module
    function: str  # qualified name
    first: int
    last: int


@dataclass
class Frame:
    module: Module  # whose names the code being read sees
    entry: Entry
    line: int | None = None  # the entry's statement being read
    depth: int = 0
    calling: tuple[ast.AST, ...] = ()
    init_of: tuple[str, str] | None = None  # reading this class's __init__: its attributes
    returns: list[Value] = field(default_factory=list)
    yields: list[Value] = field(default_factory=list)

    def inner(self, module: Module, node: ast.AST) -> Frame:
        calling = (*self.calling, node)
        return Frame(module, self.entry, self.line, self.depth + 1, calling, self.init_of)

    def site(self, node: ast.expr) -> Site:
        entry = self.entry
        own = self.module is entry.module and entry.first <= node.lineno <= entry.last
        line = node.lineno if own or self.line is None else self.line
        return Site(entry.module.path, line, entry.function)


class Expressions:
    def __init__(self, modules: Mapping[str, tuple[str, str]]) -> None:
        self.modules = {name: Module.parse(name, *spec) for name, spec in modules.items()}
        self._globals: dict[tuple[str, str], list[Value]] = {}
        self._attrs: dict[tuple[str, str], dict[str, list[Value]]] = {}

    # -- hooks -------------------------------------------------------------------------------

    def _call_method(self, node: ast.Call, method: Method, args: Args, frame: Frame) -> Value:
        self._run_closures(args, frame)
        return UNKNOWN

    def _call_class(self, node: ast.Call, cls: ClassRef, args: Args, frame: Frame) -> Value:
        return Obj(cls)

    def _call_symbol(self, node: ast.Call, symbol: Symbol, args: Args, frame: Frame) -> Value:
        self._run_closures(args, frame)
        return UNKNOWN

    def _fstring(self, node: ast.JoinedStr, env: Env, frame: Frame) -> Value:
        for part in node.values:
            if isinstance(part, ast.FormattedValue):
                self._eval(part.value, env, frame)
        return UNKNOWN

    def _attribute(self, base: Value, name: str, frame: Frame) -> Value:
        if isinstance(base, Symbol):
            return Symbol(f"{base.name}.{name}")
        if isinstance(base, Obj):
            return self._object_attribute(base, name, frame)
        if isinstance(base, ClassRef):
            found = base.method(name)
            if found is None:
                return UNKNOWN
            return Func(base.module, found, f"{base.module.name}.{base.node.name}.{name}")
        return Method(base, name)

    def _run_closures(self, args: Args, frame: Frame) -> None:
        """A function the modules do not hold runs the closures it is given
        (``until_unchanged(attempt)``): each once, with unknown arguments."""
        for value in args.values():
            if isinstance(value, Func):
                self._call(value, Args(), frame)

    def _call(self, func: Func, args: Args, frame: Frame) -> list[Value]:
        """``func`` read with ``args``: its return values (the interpreter's)."""
        raise NotImplementedError

    # -- expressions ---------------------------------------------------------------------------

    def _only(self, node: ast.expr, frame: Frame) -> Value:
        values = self._eval(node, {}, frame)
        return values[0] if len(values) == 1 else UNKNOWN

    def _eval(self, node: ast.expr, env: Env, frame: Frame) -> list[Value]:
        """The values ``node`` may have, each once."""
        return list(dict.fromkeys(self._alternatives(node, env, frame)))

    def _alternatives(self, node: ast.expr, env: Env, frame: Frame) -> list[Value]:  # noqa: PLR0911, PLR0912
        if isinstance(node, ast.Constant):
            return [Const(node.value)]
        if isinstance(node, ast.Name):
            return [env[node.id]] if node.id in env else self._global(frame.module, node.id, frame)
        if isinstance(node, ast.Attribute):
            bases = self._eval(node.value, env, frame)
            return [self._attribute(base, node.attr, frame) for base in bases]
        if isinstance(node, ast.Call):
            return self._call_expression(node, env, frame)
        if isinstance(node, ast.Tuple | ast.List):
            return [Seq(items) for items in self._product(node.elts, env, frame)]
        if isinstance(node, ast.Dict):
            return [self._dict(node, env, frame)]
        if isinstance(node, ast.IfExp):
            self._eval(node.test, env, frame)
            return self._eval(node.body, env, frame) + self._eval(node.orelse, env, frame)
        if isinstance(node, ast.BoolOp):
            return [v for operand in node.values for v in self._eval(operand, env, frame)]
        if isinstance(node, ast.BinOp):
            return self._binop(node, env, frame)
        if isinstance(node, ast.JoinedStr):
            return [self._fstring(node, env, frame)]
        if isinstance(node, ast.ListComp | ast.GeneratorExp | ast.SetComp):
            return [Seq(tuple(self._comprehension(node.elt, node.generators, env, frame)))]
        if isinstance(node, ast.DictComp):
            self._comprehension(node.value, node.generators, env, frame)
            return [DictVal(dynamic=True)]
        if isinstance(node, ast.Subscript):
            return self._subscript(node, env, frame)
        if isinstance(node, ast.NamedExpr):
            values = self._eval(node.value, env, frame)
            env[node.target.id] = values[0] if len(values) == 1 else UNKNOWN
            return values
        if isinstance(node, ast.Lambda):
            qualname = f"{frame.entry.function}.<lambda>"
            return [Func(frame.module, node, qualname, None, tuple(env.items()))]
        if isinstance(node, ast.Yield | ast.YieldFrom):
            frame.yields.extend(self._eval(node.value, env, frame) if node.value else [])
            return [UNKNOWN]
        if isinstance(node, ast.Starred):
            return self._eval(node.value, env, frame)
        for child in ast.iter_child_nodes(node):  # comparisons, unary operators, awaits, ...
            if isinstance(child, ast.expr):
                self._eval(child, env, frame)
        return [UNKNOWN]

    def _product(
        self, nodes: Sequence[ast.expr], env: Env, frame: Frame
    ) -> list[tuple[Value, ...]]:
        choices = [self._eval(node, env, frame) for node in nodes]
        combos = list(itertools.islice(itertools.product(*choices), MAX_WORLDS + 1))
        if len(combos) > MAX_WORLDS:
            raise ReadingError(f"{frame.module.path}: too many alternatives")
        return combos

    def _dict(self, node: ast.Dict, env: Env, frame: Frame) -> DictVal:
        found = DictVal()
        for key, value in zip(node.keys, node.values, strict=True):
            values = self._eval(value, env, frame)
            if key is None:  # {**other}
                for spread in values:
                    other = spread if isinstance(spread, DictVal) else DictVal(dynamic=True)
                    found = found.merged(other)
                continue
            held = frozenset().union(*(keys_of(v) for v in values))
            for name in self._eval(key, env, frame):
                found = found.with_field(text_of(name), held)
        return found

    def _binop(self, node: ast.BinOp, env: Env, frame: Frame) -> list[Value]:
        out: list[Value] = []
        for left in self._eval(node.left, env, frame):
            for right in self._eval(node.right, env, frame):
                if (
                    isinstance(node.op, ast.Add)
                    and isinstance(left, Seq)
                    and isinstance(right, Seq)
                ):
                    out.append(Seq(left.items + right.items))
                elif (
                    isinstance(node.op, ast.BitOr)
                    and isinstance(left, DictVal)
                    and isinstance(right, DictVal)
                ):
                    out.append(left.merged(right))
                else:
                    out.append(UNKNOWN)
        return out

    def _comprehension(
        self, element: ast.expr, generators: list[ast.comprehension], env: Env, frame: Frame
    ) -> list[Value]:
        worlds = [dict(env)]
        for generator in generators:
            bound: list[Env] = []
            for world in worlds:
                for iterable in self._eval(generator.iter, world, frame):
                    for item in items_of(iterable) or [UNKNOWN]:
                        inner = dict(world)
                        bind(generator.target, item, inner)
                        for condition in generator.ifs:
                            self._eval(condition, inner, frame)
                        bound.append(inner)
            worlds = bound
        return [value for world in worlds for value in self._eval(element, world, frame)]

    def _subscript(self, node: ast.Subscript, env: Env, frame: Frame) -> list[Value]:
        self._eval(node.slice, env, frame)
        index = node.slice.value if isinstance(node.slice, ast.Constant) else None
        out: list[Value] = []
        for base in self._eval(node.value, env, frame):
            if (
                isinstance(base, Seq)
                and isinstance(index, int)
                and -len(base.items) <= index < len(base.items)
            ):
                out.append(base.items[index])
            else:
                out.append(UNKNOWN)
        return out

    # -- names, objects and calls --------------------------------------------------------------

    def _global(self, module: Module, name: str, frame: Frame) -> list[Value]:
        key = (module.name, name)
        if key not in self._globals:
            self._globals[key] = [UNKNOWN]  # a name defined by itself reads as unknown
            self._globals[key] = self._resolve(module, name, frame)
        return self._globals[key]

    def _resolve(self, module: Module, name: str, frame: Frame) -> list[Value]:  # noqa: PLR0911
        if name in module.defs:
            node = module.defs[name]
            if isinstance(node, ast.ClassDef):
                return [ClassRef(module, node)]
            return [Func(module, node, f"{module.name}.{name}")]
        if name in module.assigned:
            expression, index = module.assigned[name]
            at = Frame(module, frame.entry, frame.line, frame.depth, frame.calling)
            values = self._eval(expression, {}, at)
            if index is None:
                return values
            return [
                v.items[index] if isinstance(v, Seq) and index < len(v.items) else UNKNOWN
                for v in values
            ]
        if name in module.imports:
            source, imported = module.imports[name]
            if imported is not None and source in self.modules:
                return self._global(self.modules[source], imported, frame)
            return [Symbol(f"{source}.{imported}" if imported else source)]
        return [Symbol(f"builtins.{name}")]

    def _object_attribute(self, obj: Obj, name: str, frame: Frame) -> Value:
        found = obj.cls.method(name)
        if found is not None:
            qualname = f"{obj.cls.module.name}.{obj.cls.node.name}.{name}"
            return Func(obj.cls.module, found, qualname, obj)
        values = set(self._class_attributes(obj, frame).get(name, []))
        return values.pop() if len(values) == 1 else UNKNOWN

    def _class_attributes(self, obj: Obj, frame: Frame) -> dict[str, list[Value]]:
        """What ``__init__`` sets on ``self``, its parameters at their defaults."""
        key = obj.cls.key
        if key not in self._attrs:
            self._attrs[key] = {}
            init = obj.cls.method("__init__")
            if init is not None:
                func = Func(obj.cls.module, init, f"{key[0]}.{key[1]}.__init__", obj)
                self._call(
                    func, Args(), Frame(obj.cls.module, frame.entry, frame.line, init_of=key)
                )
        return self._attrs[key]

    def _call_expression(self, node: ast.Call, env: Env, frame: Frame) -> list[Value]:
        callees = self._eval(node.func, env, frame)
        positional = self._product(node.args, env, frame)
        names = [keyword.arg for keyword in node.keywords]
        keywords = self._product([keyword.value for keyword in node.keywords], env, frame)
        out: list[Value] = []
        for callee, given, values in itertools.product(callees, positional, keywords):
            args = Args(given, {n: v for n, v in zip(names, values, strict=True) if n})
            out.extend(self._apply(node, callee, args, frame))
        return out or [UNKNOWN]

    def _apply(self, node: ast.Call, callee: Value, args: Args, frame: Frame) -> list[Value]:
        if isinstance(callee, Func):
            return self._call(callee, args, frame)
        if isinstance(callee, Method):
            return [self._call_method(node, callee, args, frame)]
        if isinstance(callee, ClassRef):
            return [self._call_class(node, callee, args, frame)]
        if isinstance(callee, Symbol):
            return [self._call_symbol(node, callee, args, frame)]
        self._run_closures(args, frame)
        return [UNKNOWN]
