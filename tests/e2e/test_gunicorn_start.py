"""gunicorn as the image runs it (gunicorn.conf.py), its hooks noted by a test's
configuration that adds two to the real one: the master forks each worker with the service's
modules imported and no thread of its own, nor any cloud client library; each worker, the
first ones and one that replaces a worker at its ``max_requests``, builds its own app and
binds its services after the fork (docs/operations.md, "Workers and threads")."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.servers import ROOT, free_port, served

pytestmark = pytest.mark.e2e

NOTED = """
import json, os, runpy, sys

globals().update(
    {name: value for name, value in runpy.run_path(CONF).items() if not name.startswith("__")}
)
max_requests = 3  # a worker replaced after three requests: a new fork of the same master
CLOUD = ("google.cloud", "google.api_core", "grpc", "firebase_admin", "redis")
OURS = ("bootstrap.binding", "bootstrap.adapters", "application.signin.sessions", "wsgi")


def _note(**fields):
    with open(NOTES, "a", encoding="utf-8") as out:
        out.write(json.dumps(fields) + "\\n")


def pre_fork(server, worker):
    _note(
        hook="pre_fork",
        pid=os.getpid(),
        tasks=len(os.listdir("/proc/self/task")),
        modules=sorted(m for m in sys.modules if m in OURS or m.startswith(CLOUD)),
    )


def post_worker_init(worker):
    _note(
        hook="post_worker_init",
        pid=os.getpid(),
        parent=os.getppid(),
        services=type(worker.wsgi.extensions["firegate"]).__name__,
        tasks=len(os.listdir("/proc/self/task")),
    )
"""


def notes(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def workers_started(path: Path, count: int, seconds: float = 30) -> list[dict[str, Any]]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = notes(path)
        if sum(1 for note in found if note["hook"] == "post_worker_init") >= count:
            return found
        time.sleep(0.1)
    raise AssertionError(f"fewer than {count} workers started: {notes(path)}")


def test_workers_fork_from_a_master_without_threads_and_bind_their_own_services(
    tmp_path: Path,
) -> None:
    record = tmp_path / "notes.jsonl"
    config = tmp_path / "gunicorn.noted.py"
    config.write_text(
        f"CONF = {str(ROOT / 'gunicorn.conf.py')!r}\nNOTES = {str(record)!r}\n" + NOTED,
        encoding="utf-8",
    )
    port = free_port()
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    with served(
        "gunicorn-start.log",
        command=[gunicorn, "-c", str(config), "--bind", f"127.0.0.1:{port}"],
        PORT=str(port),
        WEB_CONCURRENCY="2",
        FIRESTORE_EMULATOR_HOST=f"127.0.0.1:{free_port()}",  # nothing here reads Firestore
        RATE_LIMIT_ENABLED="false",
    ) as (url, proc):
        workers_started(record, 2)
        for _ in range(8):  # past one worker's max_requests, whichever worker answers
            answer = requests.get(url + "/healthz", headers={"Connection": "close"}, timeout=10)
            assert answer.status_code == 200
        found = workers_started(record, 3)
        master = proc.pid

    forks = [note for note in found if note["hook"] == "pre_fork"]
    workers = [note for note in found if note["hook"] == "post_worker_init"]
    assert len(forks) >= 3
    for fork in forks:  # the first two workers' and the replacement's
        assert fork["pid"] == master
        assert fork["tasks"] == 1  # the master has no thread when it forks
        # The service's modules, imported before the first fork; no app built, no cloud
        # client library imported, even after its workers served requests.
        assert fork["modules"] == [
            "application.signin.sessions",
            "bootstrap.adapters",
            "bootstrap.binding",
        ]
    for worker in workers:
        assert worker["parent"] == master and worker["pid"] != master
        assert worker["services"] == "Services"  # bound as the worker built its app
        assert worker["tasks"] > 1  # its own threads (argon2's, the sweeps'), after the fork
