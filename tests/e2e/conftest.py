from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import RELAXED_RATE_LIMITS, TEST_SECRET

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def gunicorn_url(emulators: Any) -> Iterator[str]:
    """The real service under gunicorn (the production command line), on the emulators."""
    port = free_port()
    env = {
        **os.environ,
        "APP_PROFILE": "local",
        "JWT_SECRET": TEST_SECRET,
        "GOOGLE_CLOUD_PROJECT": "demo-firegate",
        "PORT": str(port),
        "LOG_LEVEL": "INFO",  # the log file is read by a test
        **RELAXED_RATE_LIMITS,  # the failed-login throttle keeps its real defaults
    }
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    log = (ROOT / ".local").joinpath("gunicorn-e2e.log")
    log.parent.mkdir(exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [gunicorn, "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            raise RuntimeError("gunicorn did not start:\n" + log.read_text()[-3000:])
        time.sleep(0.1)
    yield url
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=15)
