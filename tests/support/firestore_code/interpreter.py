"""An abstract interpreter of the Python the adapters are written in: each function is read
as a set of worlds (one environment each); an assignment of a value with alternatives splits
a world, an ``if`` runs both ways, a loop over a literal tuple runs once per item (others
once), a call of a function of the modules read is read with its arguments, and a closure
handed to a function the modules do not hold is run once. What it meets of the world outside
(the client library) is left to the hooks a subclass overrides: ``_call_method``,
``_call_class``, ``_call_symbol``, ``_attribute`` and ``_fstring``."""

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
    Gen,
    Method,
    Module,
    Obj,
    Seq,
    Symbol,
    Typed,
    Value,
    bind,
    defaults_of,
    distinct,
    is_generator,
    items_of,
    keys_of,
    params_of,
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


class Interpreter:
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

    # -- functions -----------------------------------------------------------------------------

    def _read_function(self, func: Func, self_value: Value | None) -> None:
        """Read ``func`` as an entry: its parameters unknown (or of their annotated class)."""
        node = func.node
        entry = Entry(func.module, func.qualname, node.lineno, node.end_lineno or node.lineno)
        env: Env = {}
        params = params_of(node)
        if self_value is not None and params:
            env[params[0].arg] = self_value
            params = params[1:]
        for param in params:
            env[param.arg] = self._annotated(func.module, param.annotation)
        self._run(func, env, Frame(func.module, entry))

    def _call(self, func: Func, args: Args, frame: Frame) -> list[Value]:
        if frame.depth >= MAX_DEPTH or func.node in frame.calling:
            return [UNKNOWN]
        params = params_of(func.node)
        env: Env = dict(func.closure)
        if func.bound is not None and params:
            env[params[0].arg] = func.bound
            params = params[1:]
        defaults = defaults_of(func.node)
        for i, param in enumerate(params):
            if args.has(i, param.arg):
                env[param.arg] = args.get(i, param.arg)
            elif param.arg in defaults:
                at = frame.inner(func.module, func.node)
                env[param.arg] = self._only(defaults[param.arg], at)
            else:
                env[param.arg] = self._annotated(func.module, param.annotation)
        inner = frame.inner(func.module, func.node)
        self._run(func, env, inner)
        if is_generator(func.node):
            return [Gen(tuple(inner.yields))]
        return inner.returns or [Const(None)]

    def _run(self, func: Func, env: Env, frame: Frame) -> None:
        if isinstance(func.node, ast.Lambda):
            frame.returns.extend(self._eval(func.node.body, env, frame))
        else:
            self._block(func.node.body, [env], frame)

    def _annotated(self, module: Module, annotation: ast.expr | None) -> Value:
        if isinstance(annotation, ast.Name) and annotation.id in module.imports:
            source, name = module.imports[annotation.id]
            if name is not None and source.startswith("domain."):
                return Typed(f"{source}.{name}")
        return UNKNOWN

    # -- statements ----------------------------------------------------------------------------

    def _block(self, body: Sequence[ast.stmt], envs: list[Env], frame: Frame) -> list[Env]:
        for statement in body:
            if not envs:
                break
            if frame.depth == 0:
                frame.line = statement.lineno
            envs = distinct(self._statement(statement, envs, frame))
            if len(envs) > MAX_WORLDS:
                raise ReadingError(f"{frame.module.path}:{statement.lineno}: too many branches")
        return envs

    def _statement(self, node: ast.stmt, envs: list[Env], frame: Frame) -> list[Env]:  # noqa: PLR0911, PLR0912
        if isinstance(node, ast.Assign):
            for target in node.targets:
                envs = self._assign(target, node.value, envs, frame)
            return envs
        if isinstance(node, ast.AnnAssign | ast.AugAssign):
            if node.value is None:
                return envs
            value = node.value
            if isinstance(node, ast.AugAssign):
                value = ast.BinOp(left=_loaded(node.target), op=node.op, right=node.value)
            return self._assign(node.target, value, envs, frame)
        if isinstance(node, ast.Expr):
            for env in envs:
                self._eval(node.value, env, frame)
            return envs
        if isinstance(node, ast.Return):
            for env in envs:
                frame.returns.extend(self._eval(node.value, env, frame) if node.value else [])
            return []
        if isinstance(node, ast.If | ast.While | ast.For):
            return self._branches(node, envs, frame)
        if isinstance(node, ast.With):
            for env in envs:
                for item in node.items:
                    self._eval(item.context_expr, env, frame)
                    if item.optional_vars is not None:
                        bind(item.optional_vars, UNKNOWN, env)
            return self._block(node.body, envs, frame)
        if isinstance(node, ast.Try):
            return self._try(node, envs, frame)
        if isinstance(node, ast.FunctionDef):
            for env in envs:
                qualname = f"{frame.entry.function}.{node.name}"
                env[node.name] = Func(frame.module, node, qualname, None, tuple(env.items()))
            return envs
        return envs  # raise, pass, break, continue, del, assert, nonlocal, import, class

    def _branches(
        self, node: ast.If | ast.While | ast.For, envs: list[Env], frame: Frame
    ) -> list[Env]:
        """Each way through: the body taken (each item of a literal loop), and not taken."""
        taken: list[Env] = []
        for env in envs:
            if isinstance(node, ast.For):
                for iterable in self._eval(node.iter, env, frame):
                    for item in items_of(iterable) or [UNKNOWN]:
                        started = dict(env)
                        bind(node.target, item, started)
                        taken += self._block(node.body, [started], frame)
            else:
                self._eval(node.test, env, frame)
                taken += self._block(node.body, [dict(env)], frame)
        passed = self._block(node.orelse, [dict(env) for env in envs], frame)
        return taken + passed

    def _try(self, node: ast.Try, envs: list[Env], frame: Frame) -> list[Env]:
        tried = self._block(node.body, [dict(env) for env in envs], frame)
        handled: list[Env] = []
        for handler in node.handlers:
            starts = [dict(env) for env in envs + tried]
            for env in starts:
                if handler.name:
                    env[handler.name] = UNKNOWN
            handled += self._block(handler.body, starts, frame)
        done = self._block(node.orelse, tried, frame) + handled
        return self._block(node.finalbody, done, frame) if node.finalbody else done

    def _assign(
        self, target: ast.expr, value: ast.expr, envs: list[Env], frame: Frame
    ) -> list[Env]:
        out: list[Env] = []
        for env in envs:
            for alternative in self._eval(value, env, frame):
                world = dict(env)
                if isinstance(target, ast.Subscript):
                    self._set_item(target, alternative, world, frame)
                elif isinstance(target, ast.Attribute):
                    self._set_attribute(target, alternative, world, frame)
                else:
                    bind(target, alternative, world)
                out.append(world)
        return out

    def _set_item(self, target: ast.Subscript, value: Value, env: Env, frame: Frame) -> None:
        """``doc["key"] = value``: a dict gains the key (a computed one makes it dynamic)."""
        if not isinstance(target.value, ast.Name):
            return
        mapping = env.get(target.value.id)
        if isinstance(mapping, DictVal):
            for key in self._eval(target.slice, env, frame):
                mapping = mapping.with_field(text_of(key), keys_of(value))
            env[target.value.id] = mapping

    def _set_attribute(self, target: ast.Attribute, value: Value, env: Env, frame: Frame) -> None:
        """``self.x = value`` in the ``__init__`` being read: an attribute of its objects."""
        for owner in self._eval(target.value, env, frame):
            if isinstance(owner, Obj) and owner.cls.key == frame.init_of:
                attrs = self._attrs.setdefault(owner.cls.key, {})
                attrs.setdefault(target.attr, []).append(value)

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


def _loaded(target: ast.expr) -> ast.expr:
    """``target`` of an augmented assignment, read."""
    return ast.copy_location(ast.parse(ast.unparse(target), mode="eval").body, target)
