"""`make run`'s and `make cli`'s launcher, scripts/run_local.py, on stand-ins: the address to
sign in at is printed once the server answers, never before; and the commands that reach no
data start no emulator and check no port (docs/configuration.md#local-emulators)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from scripts.emulators import cli_needs_emulators

from tests.support.scripts import SCRIPTS, load_script

pytestmark = pytest.mark.unit

# A server that answers GET /healthz on $PORT after argv[1] seconds, for two seconds; or,
# with argv[2] "never", one that exits with status 3 without ever listening.
STAND_IN = """\
import http.server, os, sys, time

time.sleep(float(sys.argv[1]))
if sys.argv[2] == "never":
    sys.exit(3)


class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/healthz" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Health)
server.timeout = 0.1
end = time.monotonic() + 2
while time.monotonic() < end:
    server.handle_request()
"""


@pytest.fixture
def run_local(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The script as a module; serve() takes the signals it forwards: given back after."""
    monkeypatch.syspath_prepend(str(SCRIPTS))  # its sibling modules, as when it is run
    forwarded = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    kept = {sig: signal.getsignal(sig) for sig in forwarded}
    try:
        yield load_script("run_local")
    finally:
        for sig, handler in kept.items():
            signal.signal(sig, handler)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def served(
    run_local: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str], *how: str
) -> tuple[int, list[str]]:
    """serve() with the stand-in for gunicorn: its exit status, and run_local's lines."""
    stand_in = tmp_path / "stand_in.py"
    stand_in.write_text(STAND_IN, encoding="utf-8")
    env = {**os.environ, "PORT": str(free_port()), "APP_PROFILE": "local"}
    status: int = run_local.serve(env, None, command=[sys.executable, str(stand_in), *how])
    return status, capsys.readouterr().err.splitlines()


def test_the_address_to_sign_in_at_is_printed_once_the_server_answers(
    run_local: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, said = served(run_local, tmp_path, capsys, "1.0", "listen")
    assert status == 0
    sign_in = [line for line in said if "sign in at http://localhost:" in line]
    assert len(sign_in) == 1, said
    assert sign_in[0].endswith("/sign-in")
    assert said.index(sign_in[0]) > next(i for i, line in enumerate(said) if "starting" in line)


def test_a_server_that_never_answers_is_never_announced(
    run_local: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, said = served(run_local, tmp_path, capsys, "1.0", "never")
    assert status == 3
    assert not [line for line in said if "sign in at" in line or "serving" in line], said


@pytest.mark.parametrize(
    ("args", "needed"),
    [
        (["rules", "export"], False),
        (["rules", "export", "--into", "firestore.rules"], False),
        ([], False),
        (["--help"], False),
        (["users", "export", "--help"], False),
        (["users", "list"], True),
        (["users", "export"], True),
        (["clients", "create", "--name", "rules"], True),
    ],
)
def test_which_commands_of_make_cli_reach_the_emulators(args: list[str], needed: bool) -> None:
    assert cli_needs_emulators(args) is needed


def test_make_clis_port_check_passes_a_command_that_reaches_no_data(tmp_path: Path) -> None:
    with socket.socket() as held:  # another program's, on the Firestore emulator's port
        held.bind(("127.0.0.1", 0))
        held.listen()
        env = {
            **{k: v for k, v in os.environ.items() if not k.endswith("_EMULATOR_HOST")},
            "APP_PROFILE": "local",
            "FIRESTORE_EMULATOR_HOST": f"127.0.0.1:{held.getsockname()[1]}",
        }

        def check(*args: str) -> subprocess.CompletedProcess[str]:
            command = [sys.executable, str(SCRIPTS / "emulators.py"), "check", "--cli", *args]
            return subprocess.run(
                command,
                env=env,
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )

        # `users list` would be refused, once the 10 s an emulator may take to answer there
        # have passed (tests/unit/test_emulator_ports.py); the rules library is written at once.
        passed = check("rules", "export", "--into", "firestore.rules")
        assert passed.returncode == 0 and passed.stdout == passed.stderr == ""
        assert check("--help").returncode == 0


def test_make_run_says_which_lines_of_dotenv_the_environment_overrides(
    run_local: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("PORT=8100\nSSL_CERT_FILE=/etc/corp-ca.pem\n", encoding="utf-8")
    environ = {"DOTENV_FILE": str(dotenv), "SSL_CERT_FILE": "/etc/ssl/certs/ca.pem"}
    run_local.read_dotenv(environ)
    said = capsys.readouterr().err
    assert "the environment overrides" in said and "line 2 (SSL_CERT_FILE)" in said, said
    assert "PORT" not in said and environ["PORT"] == "8100"
    assert environ["SSL_CERT_FILE"] == "/etc/ssl/certs/ca.pem"


# A server that binds $PORT as gunicorn does, and exits 1 when it cannot.
BINDS = """\
import os, socket, sys

with socket.socket() as sock:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", int(os.environ["PORT"])))
    except OSError as exc:
        print(f"Connection in use: {exc}", file=sys.stderr)
        sys.exit(1)
"""


def test_a_port_taken_after_the_check_is_named_with_the_advice(
    run_local: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The port check passed; another program took the port before gunicorn bound it (a
    socket opened after the check), and gunicorn exited: run_local says so."""
    server = tmp_path / "binds.py"
    server.write_text(BINDS, encoding="utf-8")
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        env = {**os.environ, "PORT": str(port), "APP_PROFILE": "local"}
        status = run_local.serve(env, None, command=[sys.executable, str(server)])
    said = [line for line in capsys.readouterr().err.splitlines() if "could not listen" in line]
    assert status == 1
    assert len(said) == 1, said
    assert f"127.0.0.1:{port} (PORT)" in said[0] and "port check passed" in said[0]
    assert "below 32768" in said[0]
    assert ("ephemeral range" in said[0]) is (port >= 32768)


def test_gunicorn_itself_failing_to_bind_a_port_taken_meanwhile_is_named(
    run_local: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    """The real gunicorn, as `make run` starts it, on a port another socket took after the
    check: it retries, gives up, and run_local says why."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        env = {
            **os.environ,
            "PORT": str(port),
            "APP_PROFILE": "local",
            "GOOGLE_CLOUD_PROJECT": "demo-firegate",
            "JOB_QUEUE": "inprocess",
            "WEB_CONCURRENCY": "1",
        }
        status = run_local.serve(env, None)
    said = [line for line in capsys.readouterr().err.splitlines() if "could not listen" in line]
    assert status != 0
    assert len(said) == 1 and f"127.0.0.1:{port} (PORT)" in said[0], said


def test_a_server_that_fails_otherwise_is_not_blamed_on_its_port(
    run_local: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, said = served(run_local, tmp_path, capsys, "0.1", "never")
    assert status == 3
    assert not [line for line in said if "could not listen" in line], said
