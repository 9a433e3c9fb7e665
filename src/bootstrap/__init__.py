"""The composition root: settings -> adapters -> use cases -> Flask app.

This module is the table of contents: each capability's module (``bootstrap/accounts.py``,
``hooks.py``, ``signin.py``, ``federation.py``, ``mail.py``, ``events.py``, ``clients.py``,
``provider.py``, ``resources.py``, ``migration.py``, ``orgs.py``, ``sso.py``, ``scim.py``, over
``platform.py``) makes that capability's adapters from its own settings (sign-in's in
``signin_adapters.py``, beside it) and, in its ``wire``, its record of ``Services``; the
signature of each names what it takes of the other capabilities. ``loans.py`` makes what
they lend one another first; ``bind`` (``binding.py``) calls each ``wire`` in the capability
order; ``build_app`` makes the Flask app over them, with the command line
(docs/contributing.md, "Wiring").

Importing this package makes nothing: gunicorn's master imports it before it forks the
workers, and each worker then calls ``build_app``, which makes the clients, threads and
sockets of that worker (docs/decisions/0453-one-import-in-the-master.md).

No global here is named as a submodule of bootstrap is (``mail``, ``signin``, ...) unless it
is that submodule: importing the submodule would replace it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from flask import Flask

from application.ports import NO_METRICS
from bootstrap.adapters import Adapters, build_adapters
from bootstrap.binding import bind
from bootstrap.driving import driving_adapters
from bootstrap.metrics import GAUGES, measuring, refreshing
from bootstrap.unit import Unit
from bootstrap.units import check_units, every_unit
from domain.slots import Filling, filled
from infrastructure.settings import Settings
from interfaces.cli import install_cli
from interfaces.shared.logs import configure_logging
from interfaces.shared.problems import PROBLEM_PARTS
from interfaces.shared.shell import ShellConfig, create_app

if TYPE_CHECKING:
    from bootstrap.telemetry import Tracing

__all__ = ["Adapters", "bind", "build_adapters", "build_app"]


def shell_fills(units: Sequence[Unit[Any]], adapters: Adapters) -> tuple[Filling[Any], ...]:
    """What the units fill in the shell's and the driving adapters' slots: the service's
    units', then those of any other unit ``adapters`` place (a test's own: the service's
    place none)."""
    named = {unit.name for unit in units}
    others = [placed.unit for placed in adapters.units if placed.unit.name not in named]
    return tuple(filling for unit in (*units, *others) for filling in unit.fills)


def build_app(
    settings: Settings | None = None,
    adapters: Adapters | None = None,
    *,
    configure_logs: bool = True,
    tracing: Tracing | None = None,
) -> Flask:
    """The service, its use cases bound to ``adapters``: by default the production ones that
    ``settings`` name, made here. Call it in the process that serves, after any fork (a
    gunicorn worker: ``wsgi.py``): the adapters make their clients and threads in it. A
    binding that fails raises, and a worker that raises while it boots stops gunicorn.
    ``tracing``: a test's tracer provider; by default the settings' (docs/operations.md,
    "Traces")."""
    settings = settings or Settings()
    check_units(settings)  # what gunicorn's master checked, checked again where it did not run
    command_line = os.environ.get("FLASK_RUN_FROM_CLI") == "true"
    if command_line:
        # A command line, not a server: no webhook sweeper here; the servers' send what it
        # leaves (docs/operations.md, "Webhooks").
        settings = settings.with_values(
            webhook_sweep_interval=0.0, sso_certificate_sweep_interval=0.0
        )
    if configure_logs:
        configure_logging(settings.service.log_level, command_line=command_line)
    if tracing is None and settings.telemetry.traces is not None:
        # OpenTelemetry is an optional dependency: imported only when traces are on.
        from bootstrap.telemetry import start  # noqa: PLC0415

        tracing = start(settings)
    measured = measuring(settings)  # None when metrics are off
    metrics = measured.metrics if measured is not None else NO_METRICS
    if adapters is None:
        waited = tracing.hash_waited if tracing is not None else None
        adapters = build_adapters(settings, hash_waited=waited, metrics=metrics)
    elif measured is not None:
        adapters = replace(adapters, platform=replace(adapters.platform, metrics=metrics))
    services = bind(settings, _traced(adapters, tracing))
    units = every_unit(settings)
    if measured is not None:
        clock = adapters.platform.clock
        gauges = [gauge(services, metrics, clock) for gauge in filled(units, GAUGES)]
        measured = replace(measured, refresh=refreshing(gauges))
    app = create_app(
        services,
        ShellConfig(
            project=settings.service.google_cloud_project,
            max_body_bytes=settings.service.max_json_bytes,
            trusted_proxy_hops=settings.service.trusted_proxy_hops,
            production=settings.service.app_profile == "production",
            rate_limits=settings.service.rate_limit_enabled,
            trace_ids=tracing.trace_ids if tracing is not None else None,
            problem_parts=filled(units, PROBLEM_PARTS),
            fills=shell_fills(units, adapters),
        ),
        driving_adapters(settings),
        measured,
    )
    if tracing is not None:
        tracing.install(app)
    install_cli(
        app,
        groups=[group for unit in units for group in unit.cli_groups],
        commands=[part for unit in units for part in unit.cli],
    )
    return app


def _traced(adapters: Adapters, tracing: Tracing | None) -> Adapters:
    return adapters if tracing is None else tracing.adapters(adapters)
