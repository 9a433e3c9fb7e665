"""The composition root: settings -> adapters -> use cases -> Flask app.

This module is the table of contents: each capability's module (``bootstrap/accounts.py``,
``signin.py``, ``federation.py``, ``mail.py``, ``events.py``, ``provider.py``,
``resources.py``, ``migration.py``, ``orgs.py``, ``sso.py``, ``scim.py``, over
``platform.py``) makes that capability's adapters from its own settings and binds its use
cases; the signature of each binding names what it takes of the other capabilities. ``bind``
(``binding.py``) composes them, in the order they depend on each other, into ``Services``;
``build_app`` makes the Flask app over them, with the command line
(docs/decisions/0042-wiring-per-feature.md). Building the app imports none of the
capabilities' modules: a server binds its services on a warm-up thread once the app is
built (docs/decisions/0440-route-modules-on-first-use.md).

No global here is named as a submodule of bootstrap is (``mail``, ``signin``, ...) unless it
is that submodule: importing the submodule would replace it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from flask import Flask

from application.ports import NO_METRICS
from bootstrap.driving import driving_adapters
from bootstrap.metrics import measuring
from infrastructure.settings import Settings
from interfaces.cli import install_cli
from interfaces.shared.logs import configure_logging
from interfaces.shared.services import LazyServices, resume_collecting
from interfaces.shared.shell import ShellConfig, create_app

if TYPE_CHECKING:
    from application.services import Services
    from bootstrap.adapters import Adapters, build_adapters
    from bootstrap.telemetry import Tracing

__all__ = ["Adapters", "bind", "build_adapters", "build_app"]


def bind(settings: Settings, adapters: Adapters) -> Services:
    """The use cases of every capability, each bound to its own adapters and what it names of
    the others' (bootstrap/binding.py, imported with the first binding)."""
    from bootstrap.binding import bind as binding  # noqa: PLC0415 - see above

    return binding(settings, adapters)


def __getattr__(name: str) -> Any:
    """``Adapters`` and ``build_adapters``, imported when first named: the adapters' modules
    import every capability's use cases, which building the app does not need."""
    if name in ("Adapters", "build_adapters"):
        from bootstrap import adapters  # noqa: PLC0415 - see above

        return getattr(adapters, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def build_app(
    settings: Settings | None = None,
    adapters: Adapters | None = None,
    *,
    configure_logs: bool = True,
    fail_fast: bool = False,
    tracing: Tracing | None = None,
    resume_gc: bool = False,
    started: Callable[[], None] | None = None,
) -> Flask:
    """The service: ``adapters`` default to the production ones that ``settings`` name.

    Those are built on first use, and meanwhile on a background thread, so the process
    answers /healthz before the cloud SDKs are imported (docs/benchmarks.md, "Cold start").
    Call it after a fork, never before (gunicorn does: no ``preload_app``). ``fail_fast``:
    if those adapters cannot be built, the process exits as gunicorn's failed boot. ``tracing``:
    a test's tracer provider; by default the settings' (docs/operations.md, "Traces").
    ``resume_gc``: the caller disabled the cyclic garbage collector for the start; it is
    enabled again once the services are bound (wsgi.py). ``started``: called once they are
    bound (and, on the warm-up thread, Firestore probed)."""
    settings = settings or Settings()
    if os.environ.get("FLASK_RUN_FROM_CLI") == "true":
        # A command line, not a server: no webhook sweeper here; the servers' send what it
        # leaves (docs/operations.md, "Webhooks").
        events = settings.events.model_copy(update={"webhook_sweep_interval": 0.0})
        sso_settings = settings.sso.model_copy(update={"sso_certificate_sweep_interval": 0.0})
        settings = settings.model_copy(update={"events": events, "sso": sso_settings})
    if configure_logs:
        configure_logging(settings.service.log_level)
    if tracing is None and settings.telemetry.traces is not None:
        from bootstrap.telemetry import start  # noqa: PLC0415 - OpenTelemetry, only when on

        tracing = start(settings)
    # Made here, in the worker (after gunicorn's fork); None when metrics are off.
    measured = measuring(settings)
    metrics = measured.metrics if measured is not None else NO_METRICS
    services: Services | LazyServices
    if adapters is not None:
        if measured is not None:
            adapters = replace(adapters, platform=replace(adapters.platform, metrics=metrics))
        services = bind(settings, _traced(adapters, tracing))
    else:
        waited = tracing.hash_waited if tracing is not None else None

        def bound() -> Services:
            from bootstrap.adapters import build_adapters  # noqa: PLC0415 - with the binding

            made = build_adapters(settings, hash_waited=waited, metrics=metrics)
            return bind(settings, _traced(made, tracing))

        services = LazyServices(bound)
    app = create_app(
        services,
        ShellConfig(
            project=settings.service.google_cloud_project,
            max_body_bytes=settings.service.max_json_bytes,
            trusted_proxy_hops=settings.service.trusted_proxy_hops,
            production=settings.service.app_profile == "production",
            rate_limits=settings.service.rate_limit_enabled,
            trace_ids=tracing.trace_ids if tracing is not None else None,
        ),
        driving_adapters(settings),
        measured,
    )
    if tracing is not None:
        tracing.install(app)
    install_cli(app)
    if isinstance(services, LazyServices):
        # Once the app is built: the warm-up's imports would otherwise share the interpreter
        # with the app's own, and the worker would answer later (docs/benchmarks.md).
        services.warm_up(fatal=fail_fast, resume_gc=resume_gc, started=started)
        return app
    if resume_gc:
        resume_collecting()
    if started is not None:
        started()
    return app


def _traced(adapters: Adapters, tracing: Tracing | None) -> Adapters:
    return adapters if tracing is None else tracing.adapters(adapters)
