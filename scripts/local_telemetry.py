"""`make run TELEMETRY=1`: the service's traces and metrics on this machine, shown as they come
(docs/operations.md, "Traces" and "Metrics").

Beside gunicorn, it runs the repository's OTLP receiver (scripts/otlp_receiver.py), which prints
each span to the terminal, and Debian's ``prometheus`` where it is installed, scraping
``/metrics`` with a token made for the run; every request is traced. Ports:
``TELEMETRY_OTLP_PORT`` (4318) and ``TELEMETRY_PROMETHEUS_PORT`` (9090), checked with the
others before anything starts. Prometheus keeps its configuration, data and log in
``TELEMETRY_DIR`` (``.local/prometheus``).
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import subprocess
import sys
from collections.abc import Mapping, MutableMapping
from pathlib import Path

from emulators import REPO_ROOT, parent_death_preexec

ON = ("1", "true", "yes", "on")
HOME = REPO_ROOT / ".local" / "prometheus"


def wanted(environ: Mapping[str, str]) -> bool:
    return environ.get("TELEMETRY", "").strip().lower() in ON


OTLP_PORT, PROMETHEUS_PORT = "TELEMETRY_OTLP_PORT", "TELEMETRY_PROMETHEUS_PORT"


def ports(environ: Mapping[str, str]) -> dict[str, int]:
    """The receiver's and Prometheus' ports, by their variables."""
    found: dict[str, int] = {}
    for variable, default in ((OTLP_PORT, "4318"), (PROMETHEUS_PORT, "9090")):
        value = environ.get(variable) or default
        if not value.isdigit():
            raise ValueError(f"{variable}={value!r} is not a port number")
        found[variable] = int(value)
    return found


def apply(environ: MutableMapping[str, str]) -> None:
    """Point the service at the receiver and turn its metrics on; what the environment
    already sets is kept."""
    otlp = ports(environ)[OTLP_PORT]
    defaults = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{otlp}",
        "OTEL_TRACES_SAMPLER": "parentbased_always_on",  # locally, every request
        "OTEL_BSP_SCHEDULE_DELAY": "500",  # ms: a request's spans print soon after it
        "OTEL_METRIC_EXPORT_INTERVAL": "10000",
        "METRICS_TOKEN": secrets.token_hex(32),
    }
    for name, value in defaults.items():
        if not environ.get(name):
            environ[name] = value


class LocalTelemetry:
    """The receiver and Prometheus, as child processes that die with this one."""

    def __init__(self, environ: Mapping[str, str], service_port: int) -> None:
        self._ports = ports(environ)
        self._home = Path(environ.get("TELEMETRY_DIR") or HOME)
        self._token = environ["METRICS_TOKEN"]
        self._service = service_port
        self._running: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        otlp, prom = self._ports[OTLP_PORT], self._ports[PROMETHEUS_PORT]
        receiver = REPO_ROOT / "scripts" / "otlp_receiver.py"
        self._spawn([sys.executable, str(receiver), "--port", str(otlp)], None)
        _say(
            f"METRICS_TOKEN of this run: {self._token}; /metrics answers "
            f"`curl -H 'Authorization: Bearer {self._token}' "
            f"http://localhost:{self._service}/metrics`"
        )
        binary = shutil.which("prometheus")
        if binary is None:
            _say("no prometheus here (apt-get install prometheus) to scrape it")
            return
        home = self._home
        home.mkdir(parents=True, exist_ok=True)
        config = home / "prometheus.yml"
        config.write_text(scrape_config(self._service, self._token))
        config.chmod(0o600)  # it holds the token
        log = home / "prometheus.log"
        self._spawn(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={home / 'data'}",
                f"--web.listen-address=127.0.0.1:{prom}",
            ],
            log,
        )
        _say(
            f"spans print here; Prometheus on http://127.0.0.1:{prom}/graph "
            f"(try firegate_signins_total), its log in {log}"
        )

    def _spawn(self, argv: list[str], log: Path | None) -> None:
        out = log.open("ab") if log is not None else None
        try:
            self._running.append(
                subprocess.Popen(
                    argv,
                    cwd=REPO_ROOT,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT if out is not None else None,
                    preexec_fn=parent_death_preexec,  # noqa: PLW1509
                )
            )
        finally:
            if out is not None:
                out.close()

    def stop(self) -> None:
        for proc in self._running:
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
        for proc in self._running:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        self._running.clear()


def started(environ: Mapping[str, str], service_port: int) -> LocalTelemetry:
    telemetry = LocalTelemetry(environ, service_port)
    telemetry.start()
    return telemetry


def scrape_config(port: int, token: str) -> str:
    return (
        "global:\n"
        "  scrape_interval: 5s\n"
        "scrape_configs:\n"
        "  - job_name: firegate\n"
        "    authorization:\n"
        "      type: Bearer\n"
        f"      credentials: {token}\n"
        "    static_configs:\n"
        f"      - targets: ['127.0.0.1:{port}']\n"
    )


def _say(text: str) -> None:
    print(f"run_local: telemetry: {text}", file=sys.stderr, flush=True)
