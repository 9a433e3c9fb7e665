"""Metrics through a real Prometheus (Debian's ``prometheus``): it scrapes /metrics of
gunicorn run as ``make run`` runs it (two workers), with the bearer token in its scrape
configuration, and its query API sees each sign-in exactly once, whichever worker served it
(docs/operations.md, "Metrics")."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.api import PASSWORD
from tests.support.metrics import SIGNINS, query, watch_queries
from tests.support.servers import serving, workers_serving
from tests.support.workers import local_dir

pytestmark = pytest.mark.e2e

TOKEN = "e2e-metrics-token-" + "0123456789abcdef" * 2
APP_PORT, PROMETHEUS_PORT = 25210, 25211


@pytest.fixture(scope="module")
def server_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gunicorn-tmp")


@pytest.fixture(scope="module")
def app_url(emulators: Any, server_tmp: Path) -> Iterator[str]:
    emulators.wipe()
    with serving(
        "gunicorn-metrics.log",
        PORT=str(APP_PORT),
        WEB_CONCURRENCY="2",
        METRICS_TOKEN=TOKEN,
        TMPDIR=str(server_tmp),
        unset=["PROMETHEUS_MULTIPROC_DIR"],  # gunicorn.conf.py makes the instance's own
    ) as url:
        deadline = time.monotonic() + 30
        while workers_serving(url) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        yield url
    # Stopped: the directory gunicorn.conf.py made for the instance is gone with it.
    assert list(server_tmp.glob("firegate-metrics-*")) == []


@pytest.fixture(scope="module")
def prometheus(app_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = shutil.which("prometheus")
    assert binary, "Debian's prometheus is installed by .ci/run (docs/testing.md)"
    home = tmp_path_factory.mktemp("prometheus")
    config = home / "prometheus.yml"
    config.write_text(
        "global:\n"
        "  scrape_interval: 1s\n"
        "  scrape_timeout: 1s\n"
        "scrape_configs:\n"
        "  - job_name: firegate\n"
        "    metrics_path: /metrics\n"
        "    authorization:\n"
        "      type: Bearer\n"
        f"      credentials: {TOKEN}\n"
        "    static_configs:\n"
        f"      - targets: ['{app_url.removeprefix('http://')}']\n"
    )
    log = local_dir() / "prometheus-e2e.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={home / 'data'}",
                f"--web.listen-address=127.0.0.1:{PROMETHEUS_PORT}",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{PROMETHEUS_PORT}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(url + "/-/ready", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("prometheus did not start:\n" + log.read_text()[-3000:])
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def scraped_after(prometheus: str, started: float) -> bool:
    """Prometheus has a scrape of the target that began after ``started`` (a Unix time)."""
    targets = requests.get(prometheus + "/api/v1/targets", timeout=5).json()["data"]
    for target in targets["activeTargets"]:
        if target["health"] == "up" and target["lastScrape"]:
            last = target["lastScrape"]
            stamp = time.mktime(time.strptime(last[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
            if stamp > started:
                return True
    return False


def settled(prometheus: str, expected: float) -> float | None:
    """The sign-ins Prometheus sees, once they are ``expected`` or 15 s have passed."""
    deadline = time.monotonic() + 15
    seen = query(prometheus, SIGNINS)
    while seen != expected and time.monotonic() < deadline:
        time.sleep(0.3)
        seen = query(prometheus, SIGNINS)
    return seen


def login(url: str, password: str = PASSWORD) -> int:
    # A new connection each time, so the logins spread over both workers.
    return requests.post(
        url + "/login",
        json={"username": "alice", "password": password},
        headers={"Connection": "close"},
        timeout=30,
    ).status_code


def test_a_sign_in_counts_once_in_prometheus_and_logins_over_both_workers_sum(
    app_url: str, prometheus: str, server_tmp: Path
) -> None:
    assert workers_serving(app_url) == 2
    created = requests.post(
        app_url + "/register",
        json={"username": "alice", "email": "alice@example.com", "password": PASSWORD},
        timeout=30,
    )
    assert created.status_code == 201, created.text
    # A scrape since the start: the series appears once a worker counts a sign-in.
    started = time.time()
    deadline = time.monotonic() + 15
    while not scraped_after(prometheus, started) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert query(prometheus, "up") == 1.0
    before = query(prometheus, SIGNINS) or 0.0

    assert login(app_url) == 200
    assert settled(prometheus, before + 1) == before + 1

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: login(app_url), range(12)))
    assert statuses == [200] * 12
    assert settled(prometheus, before + 13) == before + 13
    # Both workers counted some of them: each one's own file holds its part.
    assert counted_by_each_worker(server_tmp) == 2


def counted_by_each_worker(home: Path) -> int:
    """How many workers' files in the metrics directory that gunicorn.conf.py made for the
    instance (in its TMPDIR, ``home``) count a sign-in."""
    from prometheus_client.multiprocess import MultiProcessCollector

    directories = list(home.glob("firegate-metrics-*"))
    assert len(directories) == 1, directories
    counting = 0
    for path in directories[0].glob("counter_*.db"):
        merged = MultiProcessCollector.merge([str(path)], accumulate=False)  # type: ignore[no-untyped-call]
        for metric in merged:
            counting += any(
                sample.name == "firegate_signins_total"
                and sample.labels.get("outcome") == "succeeded"
                and sample.value > 0
                for sample in metric.samples
            )
    return counting


def test_every_query_of_what_to_watch_runs_in_prometheus(app_url: str, prometheus: str) -> None:
    # Each query of docs/operations.md's table is PromQL that Prometheus evaluates; the
    # sign-in failure ratio sees two failed logins (the second after the series is scraped,
    # so that its rate rises), and the latency by route has /login's.
    failed = 'sum(firegate_signins_total{outcome="failed"})'
    for expected in (1.0, 2.0):
        assert login(app_url, "not the password") == 401
        deadline = time.monotonic() + 15
        while query(prometheus, failed) != expected:
            assert time.monotonic() < deadline, f"{expected} failed sign-ins not scraped"
            time.sleep(0.3)
        time.sleep(1.5)  # another scrape of the same value
    queries = watch_queries()
    for promql in queries:
        answer = requests.get(prometheus + "/api/v1/query", params={"query": promql}, timeout=5)
        assert answer.status_code == 200, (promql, answer.text)
        assert answer.json()["status"] == "success", (promql, answer.text)
    ratio = query(prometheus, queries[0])
    assert "firegate_signins_total" in queries[0] and ratio is not None and 0 < ratio <= 1
    latency = next(q for q in queries if "http_request_duration_seconds_bucket" in q)
    routes = requests.get(prometheus + "/api/v1/query", params={"query": latency}, timeout=5)
    assert "/login" in {r["metric"].get("route") for r in routes.json()["data"]["result"]}
