"""``make run TELEMETRY=1`` (scripts/local_telemetry.py): beside the service, the repository's
OTLP receiver prints a sign-in's spans in the terminal (every request traced), and Debian's
Prometheus, started for the run, counts the sign-in (docs/operations.md, "Traces")."""

from __future__ import annotations

import re
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.api import PASSWORD
from tests.support.metrics import SIGNINS, query
from tests.support.servers import ROOT, served
from tests.support.workers import local_dir

pytestmark = pytest.mark.e2e

OTLP_PORT, PROMETHEUS_PORT = 25212, 25213  # E1's block
LOG = "run-local-telemetry-e2e.log"
# scripts/otlp_receiver.py's line: trace, span, duration, name, "under" its parent.
SPAN_LINE = re.compile(
    r"^([0-9a-f]{32}) ([0-9a-f]{16}) +[0-9.]+ ms  (.+?)(?: under ([0-9a-f]{16}))?$"
)


def printed_spans(log: Path) -> list[tuple[str, str, str, str]]:
    """(trace, span, name, parent) of each span line the receiver printed."""
    found = []
    for line in log.read_text(errors="replace").splitlines():
        matched = SPAN_LINE.match(line)
        if matched:
            trace, span, name, parent = matched.groups()
            found.append((trace, span, name, parent or ""))
    return found


def test_make_run_with_telemetry_prints_a_sign_ins_spans_and_its_prometheus_counts_it(
    emulators: Any, tmp_path: Path
) -> None:
    assert shutil.which("prometheus"), "Debian's prometheus is installed by .ci/run"
    emulators.wipe()
    command = [sys.executable, str(ROOT / "scripts" / "run_local.py")]
    with served(
        LOG,
        command=command,
        TELEMETRY="1",
        TELEMETRY_OTLP_PORT=str(OTLP_PORT),
        TELEMETRY_PROMETHEUS_PORT=str(PROMETHEUS_PORT),
        TELEMETRY_DIR=str(tmp_path),
        WEB_CONCURRENCY="2",
        unset=[
            "METRICS_TOKEN",
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "OTEL_TRACES_SAMPLER",
            "PROMETHEUS_MULTIPROC_DIR",
        ],
    ) as (url, _):
        body = {"username": "watched", "email": "watched@example.com", "password": PASSWORD}
        assert requests.post(url + "/register", json=body, timeout=60).status_code == 201
        login = {"username": "watched", "password": PASSWORD}
        assert requests.post(url + "/auth/login", json=login, timeout=60).status_code == 200
        log = local_dir() / LOG
        deadline = time.monotonic() + 20
        spans = printed_spans(log)
        while not any(name == "POST /auth/login" for *_, name, _ in spans):
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.3)
            spans = printed_spans(log)
        (trace, span, _, _) = next(s for s in spans if s[2] == "POST /auth/login")
        deadline = time.monotonic() + 10
        while not any(s[0] == trace and s[3] == span and s[2] == "argon2 verify" for s in spans):
            assert time.monotonic() < deadline, spans
            time.sleep(0.3)
            spans = printed_spans(log)
        assert any(s[0] == trace and s[2].startswith("firestore ") for s in spans), spans
        # Prometheus scrapes every 5 s with the token made for the run.
        prometheus = f"http://127.0.0.1:{PROMETHEUS_PORT}"
        deadline = time.monotonic() + 40
        seen = None
        while seen != 1.0:
            assert time.monotonic() < deadline, (seen, (tmp_path / "prometheus.log").read_text())
            time.sleep(0.5)
            try:
                seen = query(prometheus, SIGNINS)
            except requests.RequestException:
                seen = None
        # The first screen names the run's metrics token and how to read /metrics with it.
        shown = re.search(
            r"METRICS_TOKEN of this run: ([0-9a-f]{64}); /metrics answers "
            r"`curl -H 'Authorization: Bearer \1' (http://localhost:\d+)/metrics`",
            log.read_text(),
        )
        assert shown, log.read_text()[-3000:]
        token, origin = shown.groups()
        assert origin == url.replace("127.0.0.1", "localhost")
        metrics = requests.get(
            f"{url}/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        assert metrics.status_code == 200 and "firegate_signins_total" in metrics.text
    text = log.read_text()
    assert "Prometheus on http://127.0.0.1:25213/graph" in text
