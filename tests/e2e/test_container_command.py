"""The container image, tested without a Docker engine.

No Docker engine runs on our machines, so the image is checked in two halves: the Dockerfile
is read (final stage, user, command, environment), and the image's command line is run for
real in a directory laid out as the image lays out /app (src/ and gunicorn.conf.py), with the
image's environment, the way Cloud Run runs it: serve, answer the probes, stop on SIGTERM
within Cloud Run's 10 s window, and refuse to start on an unsafe configuration.
"""

from __future__ import annotations

import contextlib
import json
import os
import posixpath
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from tests.support.settings import TEST_MFA_KEY, TEST_OIDC_KEY

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
GUNICORN = Path(sys.executable).parent / "gunicorn"
CLOUD_RUN_SIGTERM_WINDOW = 10.0  # seconds between SIGTERM and SIGKILL on Cloud Run
START_TIMEOUT = 30.0
DEV_ONLY_TOOLS = ("pytest", "hypothesis", "ruff", "mypy", "import-linter")


# --- reading the Dockerfile -----------------------------------------------------------------


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def args(self, keyword: str) -> list[str]:
        return [args for instruction, args in self.instructions if instruction == keyword]

    def env(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for args in self.args("ENV"):
            words = shlex.split(args)
            if len(words) >= 2 and "=" not in words[0]:  # legacy form: ENV NAME value
                values[words[0]] = " ".join(words[1:])
                continue
            for word in words:
                name, _, value = word.partition("=")
                values[name] = value
        return values


def parse_dockerfile(text: str) -> list[Stage]:
    """Stages of a Dockerfile: instructions with continuations joined, comments dropped."""
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    if pending:
        logical.append(pending)

    stages: list[Stage] = []
    for line in logical:
        keyword, _, args = line.partition(" ")
        keyword, args = keyword.upper(), args.strip()
        if keyword == "FROM":
            words = args.split()
            words = [w for w in words if not w.startswith("--")]
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base=words[0], name=name))
        elif stages:
            stages[-1].instructions.append((keyword, args))
    return stages


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    if not DOCKERFILE.exists():
        pytest.fail(f"{DOCKERFILE} is missing")
    parsed = parse_dockerfile(DOCKERFILE.read_text(encoding="utf-8"))
    assert parsed, "the Dockerfile has no FROM"
    return parsed


@pytest.fixture(scope="module")
def final(stages: list[Stage]) -> Stage:
    return stages[-1]


def test_image_is_multi_stage_on_python_313_slim(stages: list[Stage], final: Stage) -> None:
    assert len(stages) >= 2, "a builder stage installs the dependencies, the runtime copies them"
    assert final.base == "python:3.13-slim"
    assert final.args("COPY"), "the runtime stage copies the venv and the code"
    assert any(args.startswith("--from=") for args in final.args("COPY"))


def test_command_is_exec_form_gunicorn_with_the_config_file(final: Stage) -> None:
    commands = final.args("CMD")
    assert commands, "the final stage has no CMD"
    command = commands[-1]
    assert command.startswith("["), f"CMD must be exec form (gunicorn as PID 1): {command}"
    argv = json.loads(command)
    assert argv[0] == "gunicorn"
    assert argv[argv.index("-c") + 1] == "gunicorn.conf.py"
    # An ENTRYPOINT would wrap the command (shell form: sh is PID 1 and swallows SIGTERM).
    assert not final.args("ENTRYPOINT")


def test_gunicorn_comes_from_the_copied_venv(final: Stage) -> None:
    path = final.env().get("PATH", "")
    first = path.split(":")[0]
    assert first.endswith("/bin"), f"PATH should start with the venv's bin: {path}"
    venv = first.removesuffix("/bin")
    copies = [shlex.split(args) for args in final.args("COPY")]
    assert any(
        words[0].startswith("--from=") and words[-1].rstrip("/") == venv for words in copies
    ), f"no COPY --from=<builder> into {venv}"


def test_command_runs_where_the_code_is(final: Stage) -> None:
    # gunicorn.conf.py chdirs to the src/ beside it, and CMD finds it in the WORKDIR.
    workdirs = final.args("WORKDIR")
    assert workdirs, "the final stage sets no WORKDIR"
    workdir = workdirs[-1]
    landed: dict[str, str] = {}
    for args in final.args("COPY"):
        words = shlex.split(args)
        if any(word.startswith("--from=") for word in words):
            continue
        *sources, destination = [word for word in words if not word.startswith("--")]
        target = posixpath.normpath(posixpath.join(workdir, destination))
        for source in sources:
            name = source.rstrip("/")
            is_file = name.endswith(".py")
            into_directory = destination.endswith("/") or len(sources) > 1
            landed[name] = posixpath.join(target, name) if is_file and into_directory else target
    assert "gunicorn.conf.py" in landed, "gunicorn.conf.py is not copied into the image"
    assert "src" in landed, "src/ is not copied into the image"
    assert landed["gunicorn.conf.py"] == posixpath.join(workdir, "gunicorn.conf.py")
    assert landed["src"] == posixpath.join(posixpath.dirname(landed["gunicorn.conf.py"]), "src")


def test_runs_as_a_fixed_non_root_user(final: Stage) -> None:
    users = final.args("USER")
    assert users, "the final stage runs as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    assert user.isdigit() and int(user) >= 1000, f"use a fixed numeric uid, not {user!r}"


def test_environment_and_port_are_those_of_cloud_run(final: Stage) -> None:
    env = final.env()
    assert env.get("APP_PROFILE") == "production"
    assert env.get("PORT") == "8080"
    assert env.get("TRUSTED_PROXY_HOPS") == "1"
    assert env.get("PYTHONUNBUFFERED") == "1"
    # glibc reads it at the start of each process: a malloc arena per thread
    # (docs/decisions/0004-malloc-arenas.md).
    assert env.get("MALLOC_ARENA_MAX") == "64"
    exposed = " ".join(final.args("EXPOSE")).split()
    assert "8080" in exposed or "8080/tcp" in exposed


def test_no_development_dependency_goes_into_the_image(stages: list[Stage]) -> None:
    for stage in stages:
        for instruction, args in stage.instructions:
            assert "requirements-dev" not in args, f"{instruction} {args}"
            if instruction == "RUN" and "pip install" in args:
                assert "-r" in args.split() and "requirements.txt" in args, args
    runtime = (ROOT / "requirements.txt").read_text(encoding="utf-8").lower()
    names = {
        line.split("==")[0].split("[")[0].strip()
        for line in runtime.splitlines()
        if line.strip() and not line.startswith(("#", "-"))
    }
    assert not names & set(DEV_ONLY_TOOLS), "test and lint tools belong in requirements-dev.txt"
    assert "-r requirements-dev" not in runtime


def test_build_context_leaves_out_local_state() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for entry in (".venv", ".git", ".env", ".tools"):
        assert entry in ignored, f".dockerignore should list {entry}"


# --- running the image's command ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def live_group_members(pgid: int) -> list[int]:
    """Processes of the group that are not zombies (an unreaped zombie is already dead)."""
    proc = Path("/proc")
    if not proc.is_dir():  # pragma: no cover - not Linux
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return []
        return [pgid]
    members = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
        state, pgrp = fields[0], int(fields[2])
        if pgrp == pgid and state not in ("Z", "X"):
            members.append(int(entry.name))
    return members


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="module")
def image_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """/app as the Dockerfile lays it out: gunicorn.conf.py beside src/, compiled to bytecode
    as its ``RUN python -m compileall -q src`` does (the image's PYTHONDONTWRITEBYTECODE then
    keeps every start from writing any). No test writes into it: the module's share one."""
    assert GUNICORN.exists(), f"gunicorn is not installed next to {sys.executable}"
    app = tmp_path_factory.mktemp("image") / "app"
    app.mkdir()
    shutil.copy2(ROOT / "gunicorn.conf.py", app / "gunicorn.conf.py")
    shutil.copytree(ROOT / "src", app / "src", ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "compileall", "-q", "src"], cwd=app, check=True)
    return app


@pytest.fixture
def fake_google_credentials(tmp_path: Path) -> Path:
    """Well-formed user credentials that no Google server accepts: enough for the client to
    be built (as Cloud Run's service account would allow), never enough to reach Firestore."""
    path = tmp_path / "adc.json"
    path.write_text(
        json.dumps(
            {
                "type": "authorized_user",
                "client_id": "firegate-test.apps.googleusercontent.com",
                "client_secret": "not-a-secret",
                "refresh_token": "not-a-token",
            }
        ),
        encoding="utf-8",
    )
    return path


def image_environment(final: Stage, home: Path, **overrides: str | None) -> dict[str, str]:
    """The image's ENV with the venv's gunicorn first on PATH, plus the given variables.

    Built from scratch, not from this process's environment: a developer's or CI's emulator
    variables or Google credentials must not leak into a production-profile run.
    """
    env = {k: v for k, v in final.env().items() if k != "PATH"}
    env.update(
        PATH=f"{GUNICORN.parent}{os.pathsep}/usr/local/bin{os.pathsep}/usr/bin{os.pathsep}/bin",
        HOME=str(home),  # no gcloud application-default credentials from the real home
        LANG="C.UTF-8",
        NO_GCE_CHECK="true",  # google-auth: do not probe a metadata server (we are not on GCP)
        GUNICORN_LOG_LEVEL="info",
    )
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


@pytest.fixture
def production_env(final: Stage, tmp_path: Path, fake_google_credentials: Path) -> dict[str, str]:
    """What Cloud Run would run the image with: its ENV, a secret, a project, credentials."""
    dead_port = free_port()
    return image_environment(
        final,
        tmp_path,
        PORT=str(free_port()),
        JWT_SECRET=secrets.token_hex(32),
        MFA_ENCRYPTION_KEY=TEST_MFA_KEY,
        OIDC_PRIVATE_KEY=TEST_OIDC_KEY,  # the OpenID Connect provider's signing key
        GOOGLE_CLOUD_PROJECT="demo-test",
        GOOGLE_APPLICATION_CREDENTIALS=str(fake_google_credentials),
        PUBLIC_URL="https://app.example.com",
        SMTP_URL="smtp://smtp.example.com:587",  # nothing is mailed in these tests
        # The fake credentials' token refresh (and any Firestore call) goes to a proxy that
        # is not there: nothing leaves this machine, and failures are immediate.
        HTTPS_PROXY=f"http://127.0.0.1:{dead_port}",
        https_proxy=f"http://127.0.0.1:{dead_port}",
    )


@contextlib.contextmanager
def running(app: Path, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """The image's CMD, in its own process group (as PID 1 would be); killed if left over."""
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(GUNICORN), "-c", "gunicorn.conf.py"],
            cwd=app,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def wait_until_healthy(server: Server, http: requests.Session) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"gunicorn exited with {server.process.returncode}:\n{server.output()}")
        # The master listens before its workers have imported the app: a connection may be
        # accepted and wait for a worker (a read timeout), or be refused.
        with contextlib.suppress(requests.ConnectionError, requests.Timeout):
            response = http.get(f"{server.url}/healthz", timeout=5)
            if response.status_code == 200:
                return
        time.sleep(0.2)
    pytest.fail(f"/healthz did not answer 200 within {START_TIMEOUT} s:\n{server.output()}")


def stop_like_cloud_run(server: Server) -> float:
    """SIGTERM to gunicorn (PID 1 in the container); the seconds until the whole group ended."""
    sent = time.monotonic()
    os.kill(server.process.pid, signal.SIGTERM)
    try:
        server.process.wait(timeout=CLOUD_RUN_SIGTERM_WINDOW)
    except subprocess.TimeoutExpired:
        pytest.fail(
            f"gunicorn ignored SIGTERM for {CLOUD_RUN_SIGTERM_WINDOW} s:\n{server.output()}"
        )
    while live_group_members(server.process.pid):
        if time.monotonic() - sent > CLOUD_RUN_SIGTERM_WINDOW:
            pytest.fail(f"workers outlived the master: {live_group_members(server.process.pid)}")
        time.sleep(0.05)
    return time.monotonic() - sent


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.trust_env = False  # never through a proxy from the environment
        yield session


def test_production_image_serves_probes_and_stops_on_sigterm(
    image_dir: Path, production_env: dict[str, str], tmp_path: Path, http: requests.Session
) -> None:
    env = production_env
    port = int(env["PORT"])
    assert env["APP_PROFILE"] == "production"
    log = tmp_path / "gunicorn.log"
    with running(image_dir, env, log) as process:
        server = Server(process, port, log)
        wait_until_healthy(server, http)

        health = http.get(f"{server.url}/healthz", timeout=5)
        assert health.status_code == 200
        assert health.json() == {"status": "ok"}
        assert health.headers["X-Content-Type-Options"] == "nosniff"
        assert "Strict-Transport-Security" in health.headers  # production profile

        # Firestore cannot be reached with these credentials: not ready, and quickly so.
        started = time.monotonic()
        ready = http.get(f"{server.url}/readyz", timeout=15)
        assert ready.status_code == 503, ready.text
        assert ready.headers["Content-Type"].startswith("application/problem+json")
        assert ready.json()["status"] == 503
        assert "Retry-After" in ready.headers
        assert time.monotonic() - started < 10

        output = server.output()
        assert f"Listening at: http://0.0.0.0:{port}" in output  # Cloud Run needs 0.0.0.0
        assert "Using worker: gthread" in output

        elapsed = stop_like_cloud_run(server)
        assert process.returncode == 0, server.output()
        assert elapsed < CLOUD_RUN_SIGTERM_WINDOW
        assert "Handling signal: term" in server.output()


class SilentServer:
    """A TCP server that accepts connections and never answers: a Firestore that hangs."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self.accepted = threading.Event()
        self._connections: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            self._connections.append(connection)
            self.accepted.set()

    def close(self) -> None:
        self._listener.close()
        for connection in self._connections:
            connection.close()


def test_sigterm_lets_an_in_flight_request_finish(
    image_dir: Path, final: Stage, tmp_path: Path, http: requests.Session
) -> None:
    # A request in flight when SIGTERM arrives must still get its answer. To hold one in
    # flight, /readyz waits on a Firestore that never answers (2 s deadline); that needs the
    # local profile, since production refuses FIRESTORE_EMULATOR_HOST.
    firestore = SilentServer()
    port = free_port()
    env = image_environment(
        final,
        tmp_path,
        APP_PROFILE="local",
        PORT=str(port),
        JWT_SECRET=secrets.token_hex(32),
        GOOGLE_CLOUD_PROJECT="demo-test",
        FIRESTORE_EMULATOR_HOST=f"127.0.0.1:{firestore.port}",
    )
    log = tmp_path / "gunicorn.log"
    try:
        with running(image_dir, env, log) as process:
            server = Server(process, port, log)
            wait_until_healthy(server, http)

            answers: list[requests.Response | BaseException] = []

            def ask() -> None:
                try:
                    answers.append(http.get(f"{server.url}/readyz", timeout=START_TIMEOUT))
                except requests.RequestException as error:
                    answers.append(error)

            asking = threading.Thread(target=ask)
            asking.start()
            # The other worker may still be building its app when /healthz answers: on a busy
            # machine that took more than 10 s once, so the wait is the start's.
            assert firestore.accepted.wait(START_TIMEOUT), (
                f"/readyz never called Firestore:\n{server.output()}"
            )

            elapsed = stop_like_cloud_run(server)
            asking.join(START_TIMEOUT)

            assert answers, "the in-flight request got no answer"
            answer = answers[0]
            assert isinstance(answer, requests.Response), f"in-flight request failed: {answer!r}"
            assert answer.status_code == 503
            assert answer.headers["Content-Type"].startswith("application/problem+json")
            assert process.returncode == 0, server.output()
            assert elapsed < CLOUD_RUN_SIGTERM_WINDOW
    finally:
        firestore.close()


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param({"JWT_SECRET": None}, "JWT_SECRET", id="no-jwt-secret"),
        pytest.param({"JWT_SECRET": "too-short"}, "at least 32 bytes", id="weak-jwt-secret"),
        pytest.param({"MFA_ENCRYPTION_KEY": None}, "MFA_ENCRYPTION_KEY", id="no-mfa-key"),
        pytest.param({"MFA_ENCRYPTION_KEY": "not-a-fernet-key"}, "Fernet key", id="bad-mfa-key"),
        pytest.param(
            {"FIRESTORE_EMULATOR_HOST": "127.0.0.1:8080"},
            "FIRESTORE_EMULATOR_HOST must not be set in production",
            id="firestore-emulator",
        ),
        pytest.param(
            {"FIREBASE_AUTH_EMULATOR_HOST": "127.0.0.1:9099"},
            "FIREBASE_AUTH_EMULATOR_HOST must not be set in production",
            id="auth-emulator",
        ),
        pytest.param(
            {"GOOGLE_CLOUD_PROJECT": None}, "GOOGLE_CLOUD_PROJECT is required", id="no-project"
        ),
        pytest.param({"PUBLIC_URL": None}, "PUBLIC_URL is required", id="no-public-url"),
        pytest.param(
            {"PUBLIC_URL": "http://localhost:8000"},
            "PUBLIC_URL must not point at a loopback host",
            id="loopback-public-url",
        ),
        pytest.param({"SMTP_URL": None}, "SMTP_URL is required", id="no-smtp-url"),
        pytest.param(
            {"GOOGLE_APPLICATION_CREDENTIALS": None},
            "DefaultCredentialsError",
            id="no-google-credentials",
        ),
    ],
)
def test_production_profile_refuses_to_start(
    image_dir: Path,
    production_env: dict[str, str],
    tmp_path: Path,
    overrides: dict[str, str | None],
    expected: str,
) -> None:
    env = dict(production_env)
    for name, value in overrides.items():
        if value is None:
            del env[name]
        else:
            env[name] = value
    log = tmp_path / "gunicorn.log"
    with running(image_dir, env, log) as process:
        try:
            process.wait(timeout=60)  # patience: a refusal in a worker imports the app first
        except subprocess.TimeoutExpired:
            pytest.fail(f"gunicorn kept running with {overrides}:\n{log.read_text()}")
        output = log.read_text(encoding="utf-8", errors="replace")
        assert process.returncode != 0, output
        assert expected in output
        deadline = time.monotonic() + 5
        while live_group_members(process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not live_group_members(process.pid), "workers left behind"
