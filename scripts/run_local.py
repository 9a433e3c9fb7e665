#!/usr/bin/env python3
"""`make run` and `make cli`: the local profile, its emulators, then gunicorn (or flask).

    python scripts/run_local.py                 # serve on http://localhost:$PORT (8000)
    python scripts/run_local.py --cli ARGS...   # flask --app src/wsgi.py ARGS...
    TELEMETRY=1 python scripts/run_local.py     # and its traces and metrics (local_telemetry.py)

Variables of a ``.env`` file in the project root come first, where the environment has no
value (``scripts/emulators.py``'s ``load_dotenv``; each line the environment overrides is
said), then the ``local`` profile's defaults, likewise;
its development secrets are made once and kept in ``.local/dev-secrets.json`` for both.
With APP_PROFILE=local (the default) the emulators and maildev are started, or reused when they
already answer (``make run`` in another terminal, ``scripts/emulators.py start``), and the
ones started here are stopped on the way out. The Firestore and Auth emulators started here
load the data kept in ``.local/emulator-data`` (``EMULATOR_DATA_DIR``; ``off``: none) and save
theirs there when the run stops; ``make reset`` removes it. Every port they and gunicorn
will take is checked before anything starts. A command that reaches no data (``rules
export``, a help: ``cli_needs_emulators``) starts none; a command's standard output is its
answer alone, this script's lines going to standard error.

`make run` holds the Firestore emulator's clients to the project's ``firestore.rules``
(``EMULATOR_RULES``; ``off``: none), loaded once it answers and again at each change of the
file (docs/configuration.md#local-emulators).

The local profile is served on ``localhost`` (passkeys need a name, not an IP address):
gunicorn listens on 127.0.0.1 and, where the machine has it, on ::1, so the name works
whichever address it resolves to first.

Serving: gunicorn runs in its own process group; where to sign in is printed once it answers
``GET /healthz``. A gunicorn that exits at its start while another program holds ``PORT``
(taken after the port check passed) is said to have, with the advice to choose a port below
the ephemeral range. SIGINT/SIGTERM to this script (Ctrl-C) become a graceful SIGTERM to
gunicorn, SIGKILL after 15 s (or at a second signal); then the emulators stop. The exit
status is gunicorn's.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, MutableMapping, Sequence
from pathlib import Path
from types import FrameType

import local_telemetry
from emulators import (
    REPO_ROOT,
    EmulatorError,
    EmulatorSet,
    RulesWatch,
    cli_needs_emulators,
    dotenv_path,
    kept_data_dir,
    load_dotenv,
    local_rules_file,
    parent_death_preexec,
    port_problem,
)

sys.path.insert(0, str(REPO_ROOT / "src"))

from infrastructure.dev_secrets import kept_development_secrets

LOCAL_DEFAULTS: dict[str, str] = {
    "APP_PROFILE": "local",
    "GOOGLE_CLOUD_PROJECT": "demo-firegate",
    "PORT": "8000",
    "STORAGE_BUCKET": "demo-firegate.appspot.com",
    "JOB_QUEUE": "inprocess",
    # As the image sets it: a malloc arena per thread (docs/decisions/0004-malloc-arenas.md).
    "MALLOC_ARENA_MAX": "64",
}
GUNICORN_STOP_SECONDS = 15.0
# How long one GET /healthz may wait for gunicorn's answer before it counts as none yet.
HEALTH_TIMEOUT = 1.0
VENV_BIN = REPO_ROOT / ".venv" / "bin"
# Ignored by git (.local/); never read outside the local profile.
DEV_SECRETS = REPO_ROOT / ".local" / "dev-secrets.json"
_FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# Linux hands outgoing connections (and programs that ask for any port) ports from here up
# (net.ipv4.ip_local_port_range): a port checked free there may be taken a moment later.
EPHEMERAL_PORTS_FROM = 32768


def apply_local_defaults(
    environ: MutableMapping[str, str] = os.environ, secrets_file: Path = DEV_SECRETS
) -> list[str]:
    """Set the local profile's defaults where the environment has no (or an empty) value,
    development secrets included: those the environment lacks come from ``secrets_file``,
    made there the first time, so that every gunicorn worker and every `make cli` command use
    the same ones. Returns the names of the secrets it made now."""
    for name, value in LOCAL_DEFAULTS.items():
        if not environ.get(name):
            environ[name] = value
    try:
        kept, made = kept_development_secrets(environ, secrets_file)
    except ValueError as exc:
        raise EmulatorError(str(exc)) from exc
    environ.update(kept)
    if made:
        shown = (
            secrets_file.relative_to(REPO_ROOT)
            if secrets_file.is_relative_to(REPO_ROOT)
            else secrets_file
        )
        print(
            f"run_local: {', '.join(made)} unset: made once and kept in {shown} "
            "(the local profile's, for make run and make cli alike)",
            file=sys.stderr,
            flush=True,
        )
    return made


def local_url(port: str) -> str:
    """Where people open the local service: localhost, which passkeys accept."""
    return f"http://localhost:{port}"


def bind_addresses(port: str) -> list[str]:
    """127.0.0.1, and ::1 where this machine can listen on it (localhost may resolve to
    either first)."""
    addresses = [f"127.0.0.1:{port}"]
    if socket.has_ipv6:
        with contextlib.suppress(OSError), socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
            addresses.append(f"[::1]:{port}")
    return addresses


def _venv_tool(name: str) -> Path:
    tool = VENV_BIN / name
    if not tool.exists():
        raise EmulatorError(f"{tool} not found: create the virtual environment with `make venv`")
    return tool


def _exit_status(returncode: int) -> int:
    return 128 - returncode if returncode < 0 else returncode


class _Interrupted(BaseException):
    """A SIGINT/SIGTERM/SIGHUP arrived while the emulators were starting."""


def _raise_interrupted(signum: int, frame: FrameType | None) -> None:
    raise _Interrupted(signum)


def _say(text: str) -> None:
    print(f"run_local: {text}", file=sys.stderr, flush=True)


def answers(port: str) -> bool:
    """Does the service answer ``GET /healthz`` on 127.0.0.1:``port`` (gunicorn binds it
    always) with a 200?"""
    try:
        connection = http.client.HTTPConnection("127.0.0.1", int(port), timeout=HEALTH_TIMEOUT)
        try:
            connection.request("GET", "/healthz")
            return connection.getresponse().status == 200
        finally:
            connection.close()
    except (OSError, http.client.HTTPException):
        return False


def serve(
    env: Mapping[str, str],
    emulators: EmulatorSet | None,
    rules: RulesWatch | None = None,
    command: Sequence[str] | None = None,
) -> int:
    """Run gunicorn in the foreground (``command``: another server, which binds ``PORT``
    itself); say where to sign in once it answers; load ``rules`` again whenever they
    change. Return its exit status."""
    port = env["PORT"]
    if command is None:
        binds = [arg for address in bind_addresses(port) for arg in ("--bind", address)]
        command = [str(_venv_tool("gunicorn")), "-c", "gunicorn.conf.py", *binds, "wsgi:app"]
    received: list[int] = []
    deadline: list[float] = []
    proc: subprocess.Popen[bytes] | None = None

    def forward(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        if proc is None:
            return
        if len(received) == 1:
            deadline.append(time.monotonic() + GUNICORN_STOP_SECONDS)
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGTERM)  # the master: graceful shutdown
        else:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)

    for sig in _FORWARDED:
        signal.signal(sig, forward)
    proc = subprocess.Popen(
        list(command),
        cwd=REPO_ROOT,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=parent_death_preexec,  # noqa: PLW1509
    )
    url = local_url(port)
    _say(
        f"starting gunicorn (pid {proc.pid}, APP_PROFILE={env.get('APP_PROFILE')}); "
        "Ctrl-C stops everything"
    )
    if received:  # a signal came in before gunicorn existed
        forward(received.pop(), None)
    warned: set[str] = set()
    ready = False
    while True:
        try:
            returncode = proc.wait(timeout=0.5 if ready else 0.2)
            break
        except subprocess.TimeoutExpired:
            pass
        if not ready and not deadline and answers(port):
            # Only now: an address printed before the port listens leads to a refused page.
            ready = True
            _say(f"serving {url}: sign in at {url}/sign-in")
        if deadline and time.monotonic() > deadline[0]:
            _say("gunicorn did not stop in 15 s; killing it")
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            deadline.clear()
        if rules is not None and not deadline:
            said = rules.poll()
            if said:
                _say(said)
        if emulators is not None:
            for service, code in emulators.dead().items():
                if service not in warned:
                    warned.add(service)
                    _say(
                        f"the {service} emulator exited (code {code}); "
                        f"see {emulators.log_path(service)}"
                    )
    return _ended(proc.pid, returncode, port, at_start=not ready and not received)


def _ended(pid: int, returncode: int, port: str, *, at_start: bool) -> int:
    """gunicorn's exit status, once the workers a killed master left behind are killed; a
    start that failed because its port was taken meanwhile is said to have."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    taken = port_taken_meanwhile(port) if at_start and returncode != 0 else None
    if taken:
        _say(taken)
    return _exit_status(returncode)


def port_taken_meanwhile(port: str) -> str | None:
    """Why the server that exited at its start could not listen, when another program holds
    its port now (taken after the port check passed), with the advice; None otherwise."""
    why = port_problem("127.0.0.1", int(port))
    if why is None:
        return None
    ephemeral = (
        f" ({port} is in the ephemeral range, from {EPHEMERAL_PORTS_FROM}, which the system "
        "hands to other programs at any moment)"
        if int(port) >= EPHEMERAL_PORTS_FROM
        else ""
    )
    return (
        f"gunicorn could not listen on 127.0.0.1:{port} (PORT): it is taken ({why}), by "
        f"another program since the port check passed{ephemeral}; stop what holds it, or set "
        f"PORT=<port> to a port below {EPHEMERAL_PORTS_FROM} "
        "(docs/configuration.md#local-emulators)"
    )


def run_cli(env: Mapping[str, str], args: Sequence[str]) -> int:
    """flask --app src/wsgi.py ARGS in the foreground (same terminal, same process group)."""
    flask = _venv_tool("flask")
    proc = subprocess.Popen(
        [str(flask), "--app", "src/wsgi.py", *args], cwd=REPO_ROOT, env=dict(env)
    )

    def forward(signum: int, frame: FrameType | None) -> None:
        # Ctrl-C reaches the child through the terminal; other senders target us only.
        if signum != signal.SIGINT:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signum)

    for sig in _FORWARDED:
        signal.signal(sig, forward)
    return _exit_status(proc.wait())


def start_emulators(emulators: EmulatorSet) -> None:
    """Start (or reuse) them, once every port they and gunicorn will take has been checked;
    say where they are and where to read the mail."""
    emulators.start()
    summary = ", ".join(
        f"{service} {emulators.netloc(service)}"
        + (" (reused)" if service in emulators.reused else "")
        for service in emulators.services
    )
    print(f"run_local: emulators ready: {summary}", file=sys.stderr, flush=True)
    if "mail" in emulators.services:
        print(
            f"run_local: mail sent by the service: read it at {emulators.inbox_url}",
            file=sys.stderr,
            flush=True,
        )


def watch_rules(emulators: EmulatorSet, env: Mapping[str, str]) -> RulesWatch | None:
    """The project's security rules loaded into the Firestore emulator, so that a Firebase
    client is refused locally what it would be in production; ``serve`` loads each change
    of them. None with EMULATOR_RULES=off (docs/configuration.md#local-emulators)."""
    path = local_rules_file(env)
    if path is None or "firestore" not in emulators.services:
        return None
    rules = RulesWatch(emulators, path)
    _say(rules.load())
    return rules


def _shown(path: Path) -> Path:
    return path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path


def say_what_is_kept(emulators: EmulatorSet) -> None:
    """Where the emulators' data is kept between runs, and whether this one loaded some."""
    if emulators.data_dir is None:
        return
    where = _shown(emulators.data_dir)
    if not emulators.kept:
        print(
            "run_local: the Firestore and Auth emulators were already running: their data "
            "is theirs to keep (this run keeps none)",
            file=sys.stderr,
            flush=True,
        )
        return
    loaded = "the last run's data loaded; " if (emulators.data_dir / "current").is_dir() else ""
    print(
        f"run_local: {loaded}users, providers and clients are kept in {where} when this run "
        "stops (`make reset` empties it)",
        file=sys.stderr,
        flush=True,
    )


def keep_data(emulators: EmulatorSet) -> None:
    """Save the emulators' data on the way out; a failure says so and keeps the last copy."""
    if not emulators.kept:
        return
    try:
        saved = emulators.save()
    except (EmulatorError, OSError, ValueError) as exc:
        where = _shown(emulators.data_dir) if emulators.data_dir else "?"
        print(
            f"run_local: warning: the emulators' data was not saved ({exc}); {where} keeps "
            "the last run's",
            file=sys.stderr,
            flush=True,
        )
        return
    if saved is not None:
        print(f"run_local: data kept in {_shown(saved.parent)}", file=sys.stderr, flush=True)


def _environment(serving: bool) -> tuple[dict[str, str], dict[str, int], bool]:
    """The local profile's environment (with TELEMETRY's, when serving), the ports the
    server and its telemetry will take, and whether TELEMETRY is on."""
    apply_local_defaults()
    observed = serving and local_telemetry.wanted(os.environ)
    if observed:
        local_telemetry.apply(os.environ)
    env = dict(os.environ)
    if not env["PORT"].isdigit():
        raise EmulatorError(f"PORT={env['PORT']!r} is not a port number")
    ports = {"PORT": int(env["PORT"])} if serving else {}
    if observed:
        ports.update(local_telemetry.ports(env))
    return env, ports, observed


def _emulators_to_start(
    env: dict[str, str], cli_args: Sequence[str] | None, ports: dict[str, int]
) -> EmulatorSet | None:
    """The emulators this run starts: none outside the local profile, nor for a command that
    reaches no data (``rules export``, a help), whose app is built on their addresses all the
    same (its clients connect on first use, which never comes)."""
    if env["APP_PROFILE"] != "local":
        _say(f"APP_PROFILE={env['APP_PROFILE']}: not starting the emulators")
        return None
    if cli_args is not None and not cli_needs_emulators(cli_args):
        env.update(EmulatorSet.from_env(environ=env).env())
        return None
    return EmulatorSet.from_env(environ=env, other_ports=ports, data_dir=kept_data_dir(env))


def read_dotenv(environ: MutableMapping[str, str] = os.environ) -> None:
    """The environment wins over .env, and .env over the defaults: each line of the file
    the environment overrides is said, or its value would seem to be ignored."""
    read = load_dotenv(environ)
    overrides = read.overrides(_shown(dotenv_path(environ) or Path(".env")).as_posix())
    if overrides:
        _say(overrides)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    cli_args: list[str] | None = None
    if args and args[0] == "--cli":
        cli_args = args[1:]
    elif args:
        print("usage: run_local.py [--cli ARGS...]", file=sys.stderr)
        return 2
    for sig in _FORWARDED:
        signal.signal(sig, _raise_interrupted)
    emulators: EmulatorSet | None = None
    telemetry: local_telemetry.LocalTelemetry | None = None
    try:
        read_dotenv()
        env, serving, observed = _environment(cli_args is None)
        emulators = _emulators_to_start(env, cli_args, serving)
        rules: RulesWatch | None = None
        if emulators is not None:
            start_emulators(emulators)
            say_what_is_kept(emulators)
            env.update(emulators.env())
            if cli_args is None:
                rules = watch_rules(emulators, env)
        if cli_args is not None:
            return run_cli(env, cli_args)
        telemetry = local_telemetry.started(env, int(env["PORT"])) if observed else None
        return serve(env, emulators, rules)
    except (EmulatorError, ValueError) as exc:
        print(f"run_local: error: {exc}", file=sys.stderr)
        return 1
    except (_Interrupted, KeyboardInterrupt):
        print("run_local: interrupted while starting", file=sys.stderr)
        return 130
    finally:
        # Stop quietly even if a second signal arrives now.
        for sig in _FORWARDED:
            signal.signal(sig, signal.SIG_IGN)
        if telemetry is not None:
            telemetry.stop()
        if emulators is not None:
            keep_data(emulators)  # gunicorn has stopped: no write is under way
            emulators.stop()


if __name__ == "__main__":
    sys.exit(main())
