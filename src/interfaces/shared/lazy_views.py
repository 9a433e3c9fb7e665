"""Routes registered from a table, their modules imported by their first request.

A route module (its view functions, their request and response models, the use cases'
commands they name) is most of what a worker would import to build the app. The app's URL
map is complete from the start, made from a table of the rules that registering the
modules' blueprints makes (each rule, its endpoint, methods and options, and the module and
name of its view function); each rule's view stands in for the real one, which the rule's
first request imports (docs/decisions/0440-route-modules-on-first-use.md).

The table is generated from the modules themselves (``scripts/route_table.py``), and a test
fails when it no longer matches what registering them makes.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from flask import Blueprint, Flask
from flask.blueprints import BlueprintSetupState

# (name, rule, endpoint, methods, options): the view is the module's global ``name``, or
# with no name the view of ``endpoint`` in the module's blueprint ``bp`` (a view made by a
# call, not defined under a name); options are the rule's keyword arguments that differ from
# their defaults (strict_slashes, defaults, ...; provide_automatic_options False where the
# view answers OPTIONS itself).
RuleRow = tuple[str, str, str, tuple[str, ...], dict[str, Any]]
# A module's rules, and the module: a table is a sequence of them, in the app's order.
TableRow = tuple[str, tuple[RuleRow, ...]]
View = Callable[..., Any]


class LazyView:
    """Stands in for one view function until a request of its rule imports its module."""

    def __init__(
        self, module: str, name: str, endpoint: str, converters: Mapping[str, type]
    ) -> None:
        self.module = module
        self.name = name
        self.endpoint = endpoint
        self.__name__ = self.__qualname__ = name or endpoint.rpartition(".")[2]
        self.__module__ = module
        self._converters = converters
        self._view: View | None = None

    def resolved(self) -> View:
        view = self._view
        if view is None:  # the import lock makes one import of the module, whoever asks
            module = importlib.import_module(self.module)
            if self.name:
                view = getattr(module, self.name)
            else:
                view = blueprint_views(module.bp, self._converters)[self.endpoint]
            self._view = view
        return view

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolved()(*args, **kwargs)


def resolved(view: View) -> View:
    """The view function ``view`` stands for: itself unless it is a ``LazyView``."""
    return view.resolved() if isinstance(view, LazyView) else view


def register_lazily(app: Flask, rows: Iterable[TableRow]) -> None:
    """Add ``rows``' rules to ``app`` in their order, each with a view that imports its
    module on its first request."""
    for module, rules in rows:
        for name, rule, endpoint, methods, options in rules:
            view = LazyView(module, name, endpoint, app.url_map.converters)
            app.add_url_rule(rule, endpoint, view, methods=methods, **options)


def table_rows(app: Flask, modules: Sequence[str], *, by_module: bool = False) -> list[TableRow]:
    """The rows that ``register_lazily`` needs to make ``app``'s rules, in ``app``'s order
    (``scripts/route_table.py`` writes them down). ``modules``: those that add the rules to
    their blueprint ``bp`` as they are imported. A view is found as a global of its module,
    under its own name, or else in the blueprint of the module that defines it (of the
    blueprint's own module, if that is not one of ``modules``). ``by_module``: the rules in
    the order of ``modules`` instead (where modules share a blueprint, ``app``'s order is
    the order they were first imported in, which varies)."""
    owners = {importlib.import_module(module).bp.name: module for module in modules}
    found: list[tuple[str, RuleRow]] = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        module, name = view.__module__, view.__name__
        if getattr(importlib.import_module(module), name, None) is not view:
            module = module if module in modules else owners[rule.endpoint.partition(".")[0]]
            name = ""
        automatic = bool(getattr(rule, "provide_automatic_options", False))
        methods = set(rule.methods or ())
        if automatic:
            methods.discard("OPTIONS")
        if "GET" in methods:
            methods.discard("HEAD")  # werkzeug adds it to every GET
        options: dict[str, Any] = {} if automatic else {"provide_automatic_options": False}
        if rule.strict_slashes is False:
            options["strict_slashes"] = False
        if rule.defaults:
            options["defaults"] = dict(rule.defaults)
        if rule.redirect_to is not None:
            options["redirect_to"] = rule.redirect_to
        found.append((module, (name, rule.rule, rule.endpoint, tuple(sorted(methods)), options)))
    if by_module:
        found.sort(key=lambda row: modules.index(row[0]))  # stable: each module's own order
    rows: list[TableRow] = []
    for module, row in found:
        if rows and rows[-1][0] == module:
            rows[-1] = (module, (*rows[-1][1], row))
        else:
            rows.append((module, (row,)))
    return rows


def blueprints_app(modules: Iterable[str], converters: Mapping[str, type]) -> Flask:
    """An app with the blueprint ``bp`` of each of ``modules`` registered, in their order."""
    app = Flask(__name__, static_folder=None)
    app.url_map.converters.update(converters)
    for module in modules:
        app.register_blueprint(importlib.import_module(module).bp)
    return app


def blueprint_views(blueprint: Blueprint, converters: Mapping[str, type]) -> dict[str, View]:
    """The views of the routes added to ``blueprint`` so far, by endpoint, found without
    registering it (a registered blueprint takes no more routes, and the pages' modules add
    theirs to one blueprint as each is imported)."""
    app = Flask(__name__, static_folder=None)
    app.url_map.converters.update(converters)
    state = BlueprintSetupState(blueprint, app, {}, first_registration=False)
    for deferred in blueprint.deferred_functions:
        deferred(state)
    return dict(app.view_functions)


def table_source(doc: str, tables: Mapping[str, Sequence[TableRow]]) -> str:
    """A module that holds ``tables``, each a tuple of rows, under the docstring ``doc``."""
    lines = [f'"""{doc}"""', "", "from interfaces.shared.lazy_views import TableRow", ""]
    for name, rows in tables.items():
        lines += ["", f"{name}: tuple[TableRow, ...] = ("]
        for module, rules in rows:
            lines += [f"    ({module!r}, ("]
            lines += [f"        {rule!r}," for rule in rules]
            lines += ["    )),"]
        lines += [")"]
    return "\n".join(lines) + "\n"
