"""An abstract interpreter of the Python the adapters are written in: each function is read
as a set of worlds (one environment each); an assignment of a value with alternatives splits
a world, an ``if`` runs both ways, a loop over a literal tuple runs once per item (others
once), a call of a function of the modules read is read with its arguments, and a closure
handed to a function the modules do not hold is run once (its expressions:
``expressions.py``)."""

from __future__ import annotations

import ast
from collections.abc import Sequence

from tests.support.firestore_code.expressions import (
    MAX_DEPTH,
    MAX_WORLDS,
    Entry,
    Expressions,
    Frame,
    ReadingError,
)
from tests.support.firestore_code.values import (
    UNKNOWN,
    Args,
    Const,
    DictVal,
    Env,
    Func,
    Gen,
    Module,
    Obj,
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


class Interpreter(Expressions):
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


def _loaded(target: ast.expr) -> ast.expr:
    """``target`` of an augmented assignment, read."""
    return ast.copy_location(ast.parse(ast.unparse(target), mode="eval").body, target)
