"""The service's command line (``flask --app src/wsgi.py ...``), each command in a new process
forked from one that has already imported the service's modules, as gunicorn's master does for
its workers (gunicorn.conf.py, ``on_starting``; importing ``bootstrap`` starts no thread and
opens no socket: tests/unit/test_gunicorn_master_start.py). Importing them is ~1.7 s of the
~2 s a command took as a new interpreter (docs/testing.md, "Where the time goes").

The forked process runs flask's own ``main`` with the command's arguments, the environment,
working directory and ``sys.path`` a ``flask`` process has, its standard input empty, its
output caught, and exits as Python does (atexit handlers, threads joined). One parent process
serves the environment it was started with (``PYTEST_CURRENT_TEST`` aside: each command has
its own); a command with another environment starts another in its place."""

from __future__ import annotations

import atexit
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FLASK = Path(sys.executable).with_name("flask")
# pytest names the test running in the environment: a parent serves every test's commands,
# each command run with its own test's name.
CHANGES_EACH_TEST = "PYTEST_CURRENT_TEST"

# The parent: reads one command a line (JSON: the arguments and a timeout), forks, waits,
# answers one line (JSON: the exit status, what the command printed on each stream).
PARENT = r"""
import atexit, contextlib, json, os, shutil, signal, sys, tempfile, time

exiting = []  # in a command's process: the status it exits with


@atexit.register  # the first registered, so the last to run: after the command's own
def leave() -> None:
    # A command's process, once its threads are joined and every other atexit handler has
    # run, ends here: its streams flushed, without tearing its ~1,600 modules down (0.3 s).
    if exiting:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(exiting[0])


answers = os.fdopen(os.dup(1), "w")  # the answers' own descriptor: a stray print goes to stderr
os.dup2(2, 1)
sys.path[0] = os.path.dirname(FLASK)  # a flask script's sys.path, not the working directory's
sys.path.insert(0, os.path.abspath("src"))  # what --app src/wsgi.py puts first
import flask.cli
import bootstrap
from bootstrap.units import import_units
from infrastructure.settings import Settings

# The units turned on, with their route and page modules, as gunicorn's master imports them
# (gunicorn.conf.py): ~0.7 s of CPU each command would spend. Settings a command is to refuse
# leave them to the command, which says so itself.
with contextlib.suppress(Exception):
    import_units(Settings())

folder = tempfile.mkdtemp(prefix="firegate-cli-")
for line in sys.stdin:
    asked = json.loads(line)
    out, err = os.path.join(folder, "out"), os.path.join(folder, "err")
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 1)
        os.dup2(os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 2)
        os.environ.clear()  # the command's own: the parent's, but for pytest's current test
        os.environ.update(asked["env"])
        sys.argv = [FLASK, "--app", "src/wsgi.py", *asked["args"]]
        exiting.append(1)  # an exception's status, printed as Python prints it
        try:
            flask.cli.main()  # exits, as the flask script does: SystemExit ends this process
        except SystemExit as exit:
            status = exit.code
            exiting[0] = 0 if status is None else status if isinstance(status, int) else 1
            raise
        exiting[0] = 0
        sys.exit(0)
    deadline = time.monotonic() + asked["timeout"]
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(status)
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            code = None
            break
        time.sleep(0.005)
    with open(out, "rb") as o, open(err, "rb") as e:
        printed = o.read().decode(errors="replace"), e.read().decode(errors="replace")
    answers.write(json.dumps({"code": code, "stdout": printed[0], "stderr": printed[1]}) + "\n")
    answers.flush()
shutil.rmtree(folder, ignore_errors=True)  # the tests' process ended, or stopped this one
"""


@dataclass(frozen=True)
class Ran:
    """What a command did: its exit status (None: killed at its timeout) and its output."""

    code: int | None
    stdout: str
    stderr: str


class _Parent:
    """A parent process for one environment."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        # What the parent itself says, shown if it ends; closed in stop().
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - kept open while it runs
        source = f"FLASK = {str(FLASK)!r}\n" + PARENT
        self.proc = subprocess.Popen(
            [sys.executable, "-c", source],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )

    def run(self, args: list[str], env: dict[str, str], timeout: float) -> Ran:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        asked = {"args": args, "env": env, "timeout": timeout}
        self.proc.stdin.write(json.dumps(asked) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            self.log.seek(0)
            said = self.log.read().decode(errors="replace")[-3000:]
            raise AssertionError(f"the command line's parent ended ({self.proc.wait()}): {said}")
        answer = json.loads(line)
        return Ran(answer["code"], answer["stdout"], answer["stderr"])

    def stop(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


_PARENT: list[_Parent] = []


def run_command(args: list[str], env: dict[str, str], *, timeout: float = 60) -> Ran:
    """``flask --app src/wsgi.py *args`` in ``env``, from the repository's folder."""
    lasting = {name: value for name, value in env.items() if name != CHANGES_EACH_TEST}
    if _PARENT and _PARENT[0].env != lasting:
        _PARENT.pop().stop()
    if not _PARENT:
        _PARENT.append(_Parent(lasting))
    return _PARENT[0].run(args, env, timeout)


@atexit.register
def _stop() -> None:
    while _PARENT:
        _PARENT.pop().stop()
