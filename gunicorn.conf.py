"""gunicorn settings for Cloud Run and local runs (docs/operations.md, "Workers and threads").

Every value can be overridden with the environment variable named beside it.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from typing import TYPE_CHECKING

from gunicorn.glogging import Logger

if TYPE_CHECKING:
    from infrastructure.settings import Settings

chdir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "src")
pythonpath = chdir
wsgi_app = "wsgi:app"
bind = [f"0.0.0.0:{os.environ.get('PORT', '8000')}"]
# Requests wait on Firestore most of the time: a thread pool per worker overlaps that
# waiting; the worker count follows the CPUs. 2 x 8 measured against 1x8, 2x4, 3x4 and 4x2 on
# 2 vCPUs (bench/_settings.py; docs/decisions/0001-gunicorn-workers-and-threads.md): the best
# GET /user throughput at 32 connections and login throughput, at the same memory as 2 x 4
# (with MALLOC_ARENA_MAX=64, which the image sets: docs/decisions/0004-malloc-arenas.md).
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# Cloud Run sends SIGTERM and kills 10 s later: finish in-flight requests within 8 s.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "8"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# An idle connection is kept longer than a device-flow client waits between polls (at most
# 60 s, RFC 8628): a poller's reused connection is never closed under its request, which its
# HTTP library would not send again (a POST). gthread keeps idle connections in its poller,
# not in a thread.
keepalive = 65
accesslog = None  # the app writes one structured line per request itself


class NoAccessLog(Logger):
    """gunicorn's logger without its access line. With ``logconfig_dict`` set, gunicorn
    builds the access line's fields for every request even with ``accesslog`` off: about 2 %
    of a GET /user's CPU (docs/benchmarks.md)."""

    @property
    def access_log_enabled(self) -> bool:
        return False

    def access(self, resp: object, req: object, environ: object, request_time: object) -> None:
        return None


logger_class = NoAccessLog
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
forwarded_allow_ips = "*"  # TRUSTED_PROXY_HOPS in the app decides what to believe
proxy_allow_ips = "127.0.0.1"
limit_request_line = 8190
control_socket_disable = True


# gunicorn's own lines (start-up, signals, worker crashes) as JSON too, like the app's.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "{levelname}{message}{name}",
            "style": "{",
            "rename_fields": {"levelname": "severity", "name": "logger"},
        }
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stdout",
        }
    },
    "root": {"level": "INFO", "handlers": ["stdout"]},
    "loggers": {
        "gunicorn.error": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        # The app logs each request itself, structured and without the query string.
        "gunicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
    },
}


def on_starting(server: object) -> None:
    """In the master, once, before it forks the workers: the settings checked, then the
    service's modules imported (docs/operations.md, "Workers and threads"). Each worker then
    builds its app from the modules it inherits (src/wsgi.py) and makes its own clients,
    threads and sockets. Importing ``bootstrap`` makes none of them: no cloud client library
    is imported (each worker imports its own), no thread started, no socket opened
    (tests/unit/test_gunicorn_master_start.py).

    The service's modules are imported in the hooks: gunicorn reads this file before it puts
    src/ on the path (``pythonpath``)."""
    settings = _check_settings(server)
    import bootstrap  # noqa: F401, PLC0415 - see above
    from bootstrap.units import import_units  # noqa: PLC0415 - see above

    import_units(settings)


def _check_settings(server: object) -> Settings:
    from pydantic import ValidationError  # noqa: PLC0415

    from bootstrap.units import check_units  # noqa: PLC0415
    from infrastructure.dev_secrets import development_secrets  # noqa: PLC0415
    from infrastructure.settings import Settings  # noqa: PLC0415

    # All workers must share one signing secret, one MFA key and one push token: the local
    # profile makes those that are not configured here, in the master, once (each worker
    # would otherwise make its own). `make run` has made them already.
    made = development_secrets(os.environ)
    os.environ.update(made)
    if made:
        names = ", ".join(made)
        # Through gunicorn's logger: one JSON line like every other (docs/operations.md).
        getattr(server, "log").warning(  # noqa: B009 - typed as object above
            "firegate: %s unset; generated for all workers of this run", names
        )
    # Refuse a bad configuration once, in the master, with the message alone, instead of a
    # traceback per worker followed by gunicorn's "worker failed to boot".
    try:
        settings = Settings()
        check_units(settings)  # UNITS_OFF names units only; the units' own settings
    except ValidationError as exc:
        problems = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        print(f"firegate: {problems}", file=sys.stderr)
        sys.exit(3)
    except ValueError as exc:
        print(f"firegate: {exc}", file=sys.stderr)
        sys.exit(3)
    if settings.telemetry.metrics_token is not None:
        _metrics_directory()
    return settings


# Prometheus metrics (docs/operations.md, "Metrics"): each worker writes its values to files
# in one directory of this instance, and /metrics sums them, whichever worker answers. Made
# here, in the master, before any worker (and before prometheus_client is imported anywhere),
# and removed at exit; PROMETHEUS_MULTIPROC_DIR, if set, is used instead, emptied first.
_MADE_METRICS_DIRECTORY: list[str] = []


def _metrics_directory() -> None:
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        os.makedirs(given, exist_ok=True)
        for name in os.listdir(given):
            if name.endswith(".db"):
                os.unlink(os.path.join(given, name))
        return
    made = tempfile.mkdtemp(prefix="firegate-metrics-")
    _MADE_METRICS_DIRECTORY.append(made)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = made


def child_exit(server: object, worker: object) -> None:
    # A worker gone: its gauges leave the live sums (its counters stay counted).
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess  # noqa: PLC0415

        multiprocess.mark_process_dead(getattr(worker, "pid"))  # type: ignore[no-untyped-call]  # noqa: B009


def on_exit(server: object) -> None:
    for made in _MADE_METRICS_DIRECTORY:
        shutil.rmtree(made, ignore_errors=True)
