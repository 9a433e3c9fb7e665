"""The service as it runs: gunicorn (the production command line) and its command line,
started by the tests on the emulators."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.support.cli_process import run_command
from tests.support.settings import NO_RANGE_API, RELAXED_RATE_LIMITS, TEST_MFA_KEY, TEST_SECRET
from tests.support.workers import local_dir

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def reserved_port() -> socket.socket:
    """A socket bound to a free port (``getsockname()[1]``), for a port chosen long before its
    server starts (its URL registered somewhere first): while it is bound, no outgoing
    connection of this machine takes the port as its own (the same ephemeral range). Close
    it just before the server starts."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


def answers(url: str, proc: subprocess.Popen[bytes], *, seconds: float) -> bool:
    """Whether ``url`` answers 200 within ``seconds``, while ``proc`` (what serves it) runs."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return True
        except requests.RequestException:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.1)


@contextmanager
def serving(
    log_name: str,
    *,
    command: Sequence[str] = (),
    unset: Sequence[str] = (),
    **env: str,
) -> Iterator[str]:
    """The real service under gunicorn (the production command line) on the emulators.

    ``env`` overrides the local test defaults and ``unset`` removes variables; ``command``
    replaces the gunicorn command line (it binds ``$PORT``); yields the base URL, stops the
    server after (SIGTERM to the command's process group). ``PORT`` in ``env``: one chosen
    beforehand (for a PUBLIC_URL that names it).
    """
    with served(log_name, command=command, unset=unset, **env) as (url, _):
        yield url


@contextmanager
def served(
    log_name: str,
    *,
    command: Sequence[str] = (),
    unset: Sequence[str] = (),
    **env: str,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``serving``, yielding the process too (its group is gunicorn's: a test may kill it)."""
    port = int(env["PORT"]) if "PORT" in env else free_port()
    environment = {
        **os.environ,
        "APP_PROFILE": "local",
        "JWT_SECRET": TEST_SECRET,
        "MFA_ENCRYPTION_KEY": TEST_MFA_KEY,
        "GOOGLE_CLOUD_PROJECT": "demo-firegate",
        "PORT": str(port),
        "LOG_LEVEL": "INFO",
        "EMULATOR_DATA_DIR": "off",  # run_local keeps no data for the tests
        "BREACHED_PASSWORDS_URL": NO_RANGE_API,
        **RELAXED_RATE_LIMITS,  # the failed-login throttle keeps its real defaults
        **env,
    }
    for name in unset:
        environment.pop(name, None)
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    log = local_dir() / log_name
    with log.open("wb") as out:
        proc = subprocess.Popen(
            list(command) or [gunicorn, "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        if not answers(url + "/healthz", proc, seconds=30):
            raise RuntimeError("gunicorn did not start:\n" + log.read_text()[-3000:])
        yield url, proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def cli(args: list[str]) -> str:
    """The service's command line, as an operator runs it (``flask --app src/wsgi.py``, in
    the repository's folder); what it printed."""
    env = {**os.environ, "APP_PROFILE": "local", "JWT_SECRET": TEST_SECRET, "LOG_LEVEL": "ERROR"}
    # A process of its own, forked from one with the service's modules already imported
    # (tests/support/cli_process.py): as a new interpreter, the imports were ~1.7 s of ~2 s.
    result = run_command(args, env, timeout=60)
    if result.code is None:
        raise subprocess.TimeoutExpired(["flask", "--app", "src/wsgi.py", *args], 60)
    assert result.code == 0, result.stdout + result.stderr
    return result.stdout


def workers_serving(url: str) -> int:
    """How many gunicorn workers of the server at ``url`` have bound their services (the
    password hasher's library is mapped; the client library's gRPC waits for its first use,
    docs/decisions/0432-the-cloud-sdk-on-first-use.md): until both have, one worker would
    take every connection."""
    bind = url.removeprefix("http://").encode()
    servers = {}
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and bind in (proc / "cmdline").read_bytes():
                stat = (proc / "stat").read_text()
                servers[int(proc.name)] = int(stat.rsplit(")", 1)[1].split()[1])  # its parent
        except OSError:
            continue
    workers = [pid for pid, parent in servers.items() if parent in servers]
    loaded = 0
    for pid in workers:
        try:
            loaded += "_argon2_cffi_bindings" in Path(f"/proc/{pid}/maps").read_text()
        except OSError:
            continue
    return loaded
