"""gunicorn's master, before it forks (gunicorn.conf.py, ``on_starting``): it checks the
settings, then imports the service's modules, so that every worker starts with them; and it
makes nothing a worker must make for itself: no cloud client library imported, no thread
started, no socket opened, no app built (docs/operations.md, "Workers and threads").
tests/e2e/test_gunicorn_start.py shows it in a running gunicorn."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.settings import TEST_MFA_KEY, TEST_SECRET

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]

# The hook run as gunicorn's master runs it, in a new interpreter; then what the process holds.
MASTER = """
import gc, json, os, runpy, sys, threading
from types import SimpleNamespace

import flask

hook = runpy.run_path("gunicorn.conf.py")["on_starting"]
warned = []
hook(SimpleNamespace(log=SimpleNamespace(warning=lambda *args: warned.append(args))))
fds = []
for fd in os.listdir("/proc/self/fd"):
    try:
        fds.append(os.readlink(f"/proc/self/fd/{fd}"))
    except OSError:  # the listing's own descriptor, closed by now
        pass
print(json.dumps({
    "modules": sorted(sys.modules),
    "threads": threading.active_count(),
    "tasks": len(os.listdir("/proc/self/task")),
    "sockets": [fd for fd in fds if fd.startswith("socket:")],
    "apps": sum(1 for o in gc.get_objects() if isinstance(o, flask.Flask)),
    "gc": gc.isenabled(),
}))
"""


def master(**env: str) -> subprocess.CompletedProcess[str]:
    environ = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT / "src"),  # as gunicorn's pythonpath setting puts it
        "APP_PROFILE": "local",
        "JWT_SECRET": TEST_SECRET,
        "MFA_ENCRYPTION_KEY": TEST_MFA_KEY,
        "GOOGLE_CLOUD_PROJECT": "demo-test",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", MASTER],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_master_imports_the_service_and_makes_nothing_of_a_workers() -> None:
    done = master()
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    modules = set(found["modules"])
    # The service's modules: the composition root, every capability's use cases and
    # adapters, the app shell; the workers forked after it inherit them.
    assert {
        "bootstrap",
        "bootstrap.adapters",
        "bootstrap.binding",
        "application.signin.sessions",
        "application.provider.grants",
        "domain.accounts.users",
        "infrastructure.firestore.accounts.users",
        "infrastructure.accounts.argon2_hasher",
        "interfaces.shared.shell",
    } <= modules
    # No cloud client library: each worker imports its own, after the fork.
    cloud = ("google.cloud", "google.api_core", "grpc", "firebase_admin", "redis")
    assert [m for m in modules if m.startswith(cloud)] == []
    assert "wsgi" not in modules and found["apps"] == 0  # no app built, no service bound
    assert found["threads"] == 1 and found["tasks"] == 1  # no thread, native ones included
    assert found["sockets"] == []
    assert found["gc"] is True  # the collector as Python starts it


def test_a_refused_configuration_stops_the_master_before_it_imports_the_service() -> None:
    done = master(APP_PROFILE="production", JWT_SECRET="")
    assert done.returncode == 3
    assert done.stderr.startswith("firegate: ")  # the message alone, no traceback
    assert "Traceback" not in done.stderr
