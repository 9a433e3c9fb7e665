"""OpenAPI 3.1 generated from the routes' pydantic models (spectree), and Swagger UI at /docs.

Routes declare their models with ``doc(...)``; firegate parses requests itself (see
parsing.py) so that 400 and 422 are told apart exactly as docs/reference/index.md says, hence
``skip_validation=True``: spectree only documents.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, jsonify
from flask_swagger_ui import get_swaggerui_blueprint

from interfaces.http.schemas.common import Problem
from interfaces.shared.problems import PROBLEM_JSON

if TYPE_CHECKING:
    from spectree import SpecTree

BEARER: dict[str, list[str]] = {"bearerAuth": []}
# The login API's refresh: a refresh token as the bearer credential, or none (the token
# then goes in the body). Swagger UI's "Authorize" sends what was pasted there.
REFRESH_BEARER_OR_BODY: list[dict[str, list[str]]] = [BEARER, {}]


def _spec() -> SpecTree:
    """One for each document, made when it is first asked for, like the wrappers. spectree
    keeps the first document it generates, and the models of every route it wrapped: one for
    two apps would describe the first app's routes in the second's document. spectree is
    imported then too (docs/decisions/0530-protocol-stacks-loaded-when-used.md)."""
    from spectree import SecurityScheme, SpecTree  # noqa: PLC0415
    from spectree.models import SecureType, SecuritySchemeData  # noqa: PLC0415

    return SpecTree(
        "flask",
        title="firegate",
        version="0.1.0",
        description="User accounts and authentication REST service.",
        mode="strict",
        openapi_version="3.1.0",
        validation_error_status=422,
        validation_error_model=Problem,
        naming_strategy=lambda model: model.__name__,
        nested_naming_strategy=lambda _parent, child: child,
        security_schemes=[
            SecurityScheme(
                name="bearerAuth",
                data=SecuritySchemeData(
                    type=SecureType.HTTP,
                    scheme="bearer",
                    bearer_format="JWT",
                    description=(
                        "An access token from POST /login; for the login API's "
                        "POST /api/v1/token/refresh, a refresh token"
                    ),
                ),
            )
        ],
    )


# Path parameters of our own converters (spectree knows only werkzeug's), by name.
PATH_PARAMETERS: dict[str, dict[str, Any]] = {}

# JSON request models that may be left out entirely (the route has defaults for all).
_OPTIONAL_BODIES: set[str] = set()
# Each documented view function -> what makes spectree's documenting wrapper of it, for a spec.
_DOCUMENTATION: dict[Callable[..., Any], Callable[[SpecTree], Callable[..., Any]]] = {}
# Each documented view function -> the arguments of its ``doc(...)``.
_ARGUMENTS: dict[Callable[..., Any], dict[str, Any]] = {}


def doc(
    *,
    responses: dict[int, Any],
    auth: bool = False,
    tags: tuple[str, ...] = (),
    optional_body: bool = False,
    security: list[dict[str, list[str]]] | None = None,
    **models: Any,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Document a route: its request models and each status it can answer with.

    ``optional_body``: the ``json`` model's body may be omitted (wherever that model is used).
    ``security``: the credentials it takes, when not ``auth``'s access token.
    """
    if optional_body:
        _OPTIONAL_BODIES.add(models["json"].__name__)
    statuses = dict(responses)
    if auth or security:
        statuses.setdefault(401, Problem)
    if models.get("json") is not None or models.get("form") is not None:
        statuses.setdefault(400, Problem)
        statuses.setdefault(413, Problem)
        statuses.setdefault(422, Problem)
    if models.get("query") is not None:
        statuses.setdefault(400, Problem)  # a repeated parameter (parsing.parse_query)
        statuses.setdefault(422, Problem)
    statuses.setdefault(503, Problem)

    def documented(view: Callable[..., Any], spec: SpecTree) -> Callable[..., Any]:
        from spectree import Response as Responses  # noqa: PLC0415

        resp = Responses(**{f"HTTP_{code}": model for code, model in statuses.items()})
        wrap = spec.validate(
            skip_validation=True,
            resp=resp,
            security=security or (BEARER if auth else {}),
            tags=tags,
            **models,
        )
        wrapped: Callable[..., Any] = wrap(view)
        return wrapped

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        # spectree's wrapper does nothing useful here (validation is skipped) but would cost
        # every request a copy of the body and a second Response, and read streamed
        # downloads whole: the app serves the route unwrapped, and the wrapper is served only
        # to spectree, from a copy of the routes (see ``_documented_routes``). It is made
        # when the document is first asked for: making it builds the models' schemas, a
        # good part of a cold start otherwise.
        _DOCUMENTATION[view] = partial(documented, view)
        _ARGUMENTS[view] = {
            "responses": responses,
            "auth": auth,
            "optional_body": optional_body,
            "security": security,
            **models,
        }
        return view

    return decorate


def documented_like(
    view: Callable[..., Any], *, tags: tuple[str, ...]
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``doc(...)`` with the models and statuses of ``view``'s, under other ``tags``."""
    return doc(**{**_ARGUMENTS[view], "tags": tags})


def same_as(view: Callable[..., Any], *, summary: str, tags: tuple[str, ...]) -> Callable[..., Any]:
    """A view that answers exactly as ``view`` does, documented like it under ``tags`` and
    ``summary``: another path to one route's code."""

    def same(*args: Any, **kwargs: Any) -> Any:
        return view(*args, **kwargs)

    same.__name__ = same.__qualname__ = view.__name__
    same.__doc__ = summary
    return documented_like(view, tags=tags)(same)


def streamed(
    documented: Callable[[Callable[..., Any]], Callable[..., Any]],
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """For routes whose body is streamed (downloads): documented by ``documented`` (a
    ``doc(...)``). spectree's wrapper reads every response whole (``get_data()``) even with
    validation skipped; ``doc()`` leaves every route unwrapped, so this only marks the
    streamed routes."""
    return documented


def install_docs(app: Flask) -> None:
    document: dict[str, Any] = {}

    @app.get("/openapi.json")
    def openapi_document() -> Response:
        if not document:
            document.update(_document(app))
        return jsonify(document)

    ui = get_swaggerui_blueprint(
        "/docs",
        "/openapi.json",
        config={"app_name": "firegate API", "persistAuthorization": True},
    )
    app.register_blueprint(ui)
    app.add_url_rule("/docs", "docs", app.view_functions["swagger_ui.show"])


# The documents generated in this process, by the routes they describe: apps with the same
# routes (the tests make thousands) have the same document, which takes ~0.4 s to generate.
_DOCUMENTS: dict[tuple[tuple[Any, ...], ...], dict[str, Any]] = {}


def _document(app: Flask) -> dict[str, Any]:
    """The document of ``app``'s routes; never changed once made (answers are copies)."""
    routes = _documented_routes_key(app)
    found = _DOCUMENTS.get(routes)
    if found is None:
        spec = _spec()
        shadow = _documented_routes(app, spec)
        spec.register(shadow)
        with shadow.app_context():
            found = _DOCUMENTS.setdefault(routes, _finish(spec.spec))
    return found


def _documented_routes_key(app: Flask) -> tuple[tuple[Any, ...], ...]:
    """What the document is made from: each rule, its methods and endpoint and how its view is
    documented (spectree's strict mode leaves a view without ``doc(...)`` out), and the
    converters' names."""
    return (
        *sorted(
            (
                rule.rule,
                tuple(sorted(rule.methods or ())),
                rule.endpoint,
                id(_DOCUMENTATION.get(app.view_functions[rule.endpoint])),
            )
            for rule in app.url_map.iter_rules()
        ),
        tuple(sorted(app.url_map.converters)),
    )


def _documented_routes(app: Flask, spec: SpecTree) -> Flask:
    """A never-served app with ``app``'s routes, each view replaced by spectree's wrapper
    of it: the app ``spec`` generates the document from."""
    shadow = Flask(app.import_name, static_folder=None)
    shadow.url_map.converters.update(app.url_map.converters)
    for rule in app.url_map.iter_rules():
        shadow.url_map.add(rule.empty())
        view = app.view_functions[rule.endpoint]
        documented = _DOCUMENTATION.get(view)
        shadow.view_functions[rule.endpoint] = documented(spec) if documented else view
    return shadow


def _finish(generated: dict[str, Any]) -> dict[str, Any]:
    """What spectree cannot express: problem+json errors, form-encoded login, bodies that
    may be omitted."""
    for operations in generated["paths"].values():
        for operation in operations.values():
            for response in operation.get("responses", {}).values():
                content = response.get("content", {})
                schema = content.get("application/json", {}).get("schema", {})
                if schema.get("$ref", "").rpartition("/")[2].endswith("Problem"):  # LoginProblem
                    content[PROBLEM_JSON] = content.pop("application/json")
            body = operation.get("requestBody", {}).get("content", {})
            form = body.get("multipart/form-data", {}).get("schema", {})
            if form.get("$ref", "").endswith("/LoginForm"):
                body["application/x-www-form-urlencoded"] = body.pop("multipart/form-data")
            for parameter in operation.get("parameters", ()):
                if parameter.get("schema") is None:  # a converter of ours, e.g. dog_name
                    parameter["schema"] = PATH_PARAMETERS.get(parameter["name"], {"type": "string"})
            model = body.get("application/json", {}).get("schema", {}).get("$ref", "")
            if model.rpartition("/")[2] in _OPTIONAL_BODIES:
                operation["requestBody"]["required"] = False
    return generated
