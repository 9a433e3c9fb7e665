#!/usr/bin/env python3
"""Start, wait for, wipe and stop the local emulators firegate runs against.

Four services, each a child process in its own process group, started in parallel:

* ``firestore`` -- the Cloud Firestore emulator JAR of the Google Cloud CLI, run with java
  (Debian package ``google-cloud-cli-firestore-emulator``);
* ``auth`` -- the Firebase Auth emulator of firebase-tools (npm, installed into ``.tools/``);
* ``pubsub`` -- the Pub/Sub emulator JAR of the Google Cloud CLI
  (``google-cloud-cli-pubsub-emulator``);
* ``storage`` -- ``gcp-storage-emulator`` from PyPI, in the project's virtual environment;
* ``mail`` -- maildev (npm, installed into ``.tools/``): an SMTP server that keeps every
  message, with a web UI and a REST API (``GET /api/email``, ``DELETE /api/email/all``).

A service whose port already answers like that emulator is reused: not started, and not
stopped later. Before anything starts, every port the others will take is checked -- each
service's, maildev's web port, the Auth emulator's hub and logging ports -- and a port held by
another program, or two services configured onto one port, is an error naming the variable to
change (docs/configuration.md#local-emulators). Child output goes to
``.local/emulators/<service>.log``.

With a ``data_dir`` (the local profile's launcher, run_local.py, gives it), the Firestore and
Auth emulators a set starts load the last copy saved there, and ``save()`` exports theirs into
a new copy that replaces it at once; the tests give none and start empty
(docs/decisions/0330-make-run-keeps-its-data.md). ``RulesWatch`` keeps a rules file loaded
in a set's Firestore emulator, as run_local.py does with ``firestore.rules``
(docs/decisions/0512-make-run-loads-the-rules.md).

Standard library only, so it runs before the virtual environment exists. Use it as a module
(``EmulatorSet``) or from the command line::

    python scripts/emulators.py start [--only firestore,auth]   # foreground until Ctrl-C
    python scripts/emulators.py wipe [--only firestore]
    python scripts/emulators.py reset                    # remove what `make run` keeps
    python scripts/emulators.py env                             # print the exports
    python scripts/emulators.py check [--port 8000]      # the ports they would take, free?
    python scripts/emulators.py install                  # the npm tools + checks
    python scripts/emulators.py install --for-run        # the emulators' alone + checks
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import ctypes
import errno
import functools
import http.client
import importlib.util
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType, TracebackType

REPO_ROOT = Path(__file__).resolve().parent.parent
# Variables written once for `make run`, `make cli` and this script; the environment wins
# (docs/configuration.md, "A .env file"; decision 0465 in docs/decisions/). DOTENV_FILE names
# another file; "off", none: the test suite's, which reads no developer's file (decision 0593).
DOTENV = REPO_ROOT / ".env"
DOTENV_FILE = "DOTENV_FILE"
_DOTENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

ALL_SERVICES: tuple[str, ...] = ("firestore", "auth", "pubsub", "storage", "mail")
# Spawn order: the slowest first (firebase-tools spends ~6 s of CPU compiling its schemas).
_SPAWN_ORDER: tuple[str, ...] = ("auth", "storage", "firestore", "pubsub", "mail")

FIREBASE_TOOLS_VERSION = "15.34.2"
MAILDEV_VERSION = "3.0.0"
# firebase-tools 15 declares Node.js >= 20 and maildev 3 too; a few of their dependencies
# declare 20.17 / 20.19, two of maildev's (cookie 2, content-disposition 3) 22.
NODE_MINIMUM = (20, 19)
NODE_QUIET = (22, 0)
STORAGE_EMULATOR_REQUIREMENT = "gcp-storage-emulator==2026.7.19"
DEFAULT_SDK_ROOT = Path("/usr/lib/google-cloud-sdk")
FIRESTORE_MAIN_CLASS = "com.google.cloud.datastore.emulator.firestore.CloudFirestore"

STOP_GRACE_SECONDS = 5.0
# The local profile's kept data (EmulatorSet.data_dir): which services, the symlink naming the
# last saved copy, the Firestore export's name inside it.
KEPT_SERVICES: tuple[str, ...] = ("firestore", "auth")
KEPT_CURRENT = "current"
KEPT_EXPORT = "export"
# A port that is open but does not answer like the emulator: how long to wait for it.
FOREIGN_PORT_GRACE_SECONDS = 10.0
LOG_TAIL_LINES = 20

_ENV_VARS: dict[str, str] = {
    "firestore": "FIRESTORE_EMULATOR_HOST",
    "auth": "FIREBASE_AUTH_EMULATOR_HOST",
    "pubsub": "PUBSUB_EMULATOR_HOST",
    "storage": "STORAGE_EMULATOR_HOST",
    "mail": "SMTP_URL",  # smtp://127.0.0.1:1025; its web UI and API on MAILDEV_WEB_PORT
}
MAILDEV_WEB_PORT = "MAILDEV_WEB_PORT"
# firebase-tools opens two more ports beside the Auth emulator's: its hub and its logging.
HUB_PORT = "FIREBASE_EMULATOR_HUB_PORT"
LOGGING_PORT = "FIREBASE_EMULATOR_LOGGING_PORT"
# What each port is, for the messages that name it.
_PORT_ROLES: dict[str, str] = {
    "FIRESTORE_EMULATOR_HOST": "the Firestore emulator",
    "FIREBASE_AUTH_EMULATOR_HOST": "the Auth emulator",
    HUB_PORT: "the Auth emulator's hub",
    LOGGING_PORT: "the Auth emulator's logging",
    "PUBSUB_EMULATOR_HOST": "the Pub/Sub emulator",
    "STORAGE_EMULATOR_HOST": "the Storage emulator",
    "SMTP_URL": "maildev's SMTP",
    MAILDEV_WEB_PORT: "maildev's web page and API",
}

# Never route loopback calls through an HTTP proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class EmulatorError(RuntimeError):
    """An emulator could not be installed, started, reached or wiped (message says why)."""


def parse_dotenv(text: str, source: str = ".env") -> dict[str, str]:
    """``KEY=VALUE`` lines (``export`` before one is allowed), blank lines and ``#`` comments;
    a value in single or double quotes is taken as written, an unquoted one up to a ``#``
    after a space. A line of another shape is an error naming it."""
    return {name: value for _, name, value in _dotenv_lines(text, source)}


def _dotenv_lines(text: str, source: str) -> list[tuple[int, str, str]]:
    """Each variable's line number, name and value, in the file's order."""
    found: list[tuple[int, str, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").lstrip()
        name, equals, value = line.partition("=")
        name, value = name.strip(), value.strip()
        if not equals or not _DOTENV_NAME.fullmatch(name):
            raise EmulatorError(f"{source} line {number}: not NAME=value: {raw.strip()!r}")
        found.append((number, name, _dotenv_value(value, f"{source} line {number}")))
    return found


def _dotenv_value(value: str, where: str) -> str:
    if value[:1] in ("'", '"'):
        quote = value[0]
        end = value.find(quote, 1)
        rest = value[end + 1 :].strip() if end > 0 else ""
        if end < 0 or (rest and not rest.startswith("#")):
            raise EmulatorError(f"{where}: the value's quote {quote} is not closed at its end")
        return value[1:end]
    return re.split(r"\s#", value, maxsplit=1)[0].rstrip()


@dataclass(frozen=True)
class DotenvRead:
    """What ``load_dotenv`` did: the variables it set, and the lines whose variable the
    environment sets to another value (line number and name), which it left alone."""

    added: list[str] = field(default_factory=list)
    overridden: list[tuple[int, str]] = field(default_factory=list)

    def overrides(self, source: str = ".env") -> str | None:
        """A line naming each overridden line, or None when there is none."""
        if not self.overridden:
            return None
        lines = ", ".join(f"line {number} ({name})" for number, name in self.overridden)
        return (
            f"the environment overrides {source} {lines}: its value is used, not the "
            "file's; unset it in the shell to use the file's "
            "(docs/configuration.md#a-env-file)"
        )


def dotenv_path(environ: Mapping[str, str] = os.environ) -> Path | None:
    """The file the local commands read: DOTENV_FILE's (relative to the project root), else
    ``.env`` there; None with DOTENV_FILE=off."""
    named = environ.get(DOTENV_FILE, "").strip()
    if named.lower() == "off":
        return None
    return REPO_ROOT / named if named else DOTENV


def load_dotenv(
    environ: MutableMapping[str, str] = os.environ, path: Path | None = None
) -> DotenvRead:
    """The variables of ``path`` (by default ``dotenv_path``'s; when it exists) that
    ``environ`` does not set, set in it: the environment wins over the file. The names set,
    and the lines the environment overrides, in the file's order."""
    if path is None:
        path = dotenv_path(environ)
        if path is None:
            return DotenvRead()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return DotenvRead()
    except OSError as exc:
        raise EmulatorError(f"{path} could not be read: {exc}") from exc
    lines = _dotenv_lines(text, path.name)
    values = {name: value for _, name, value in lines}
    added = [name for name in values if name not in environ]
    overridden = [
        (number, name)
        for number, name, value in lines
        if name in environ and environ[name] != value and values[name] == value
    ]
    environ.update({name: values[name] for name in added})
    return DotenvRead(added, overridden)


# --------------------------------------------------------------------------- helpers


def _http(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 5.0,
) -> tuple[int, bytes]:
    """One HTTP request; returns (status, body), HTTP error statuses included."""
    request = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            status: int = response.status
            return status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    kept = [_ANSI.sub("", line).rstrip() for line in text.splitlines() if line.strip()]
    return "\n".join(kept[-lines:]) or "(empty log)"


def _hint(log_tail: str, variables: Sequence[str] = ()) -> str:
    if "UnsupportedClassVersionError" in log_tail:
        versions = [int(v) for v in re.findall(r"class file version (\d+)", log_tail)]
        needed = f"Java {max(versions) - 44}+" if versions else "a newer Java"
        return (
            f"\nHint: this Java is too old for the emulator JAR, which needs {needed}: "
            "install it (e.g. apt-get install -y openjdk-17-jre-headless) or set JAVA_HOME."
        )
    if any(sign in log_tail for sign in ("Address already in use", "EADDRINUSE", "port taken")):
        named = ", ".join(variables) or "the *_EMULATOR_HOST variable"
        return (
            "\nHint: a port was taken by another program meanwhile; stop it or set "
            f"{named} to a free port (docs/configuration.md#local-emulators)."
        )
    return ""


def port_problem(host: str, port: int) -> str | None:
    """Why nothing can listen on host:port now (it is taken), or None when it is free.

    A bind, as the emulators will do (with SO_REUSEADDR, as servers set it): it also sees a
    listener on 0.0.0.0 and a socket that is bound but not listening."""
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        return f"cannot resolve {host}: {exc}"
    for family, kind, proto, _, address in addresses:
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(address)
            except OSError as exc:
                if exc.errno == errno.EADDRNOTAVAIL:  # e.g. ::1 on a host without IPv6
                    continue
                return "in use" if exc.errno == errno.EADDRINUSE else exc.strerror or str(exc)
    return None


def _emulator_message(answer: bytes) -> str:
    """An emulator's error answer as one line: its JSON ``error.message`` (the Firestore
    emulator's "Error compiling rules: L12:5 ..."), else the body's start."""
    text = answer.decode("utf-8", "replace")
    with contextlib.suppress(ValueError, AttributeError, TypeError):
        text = str(json.loads(text)["error"]["message"])
    return " ".join(text.split())[:500]


def _how_to_set(variable: str, host: str) -> str:
    if variable in (MAILDEV_WEB_PORT, HUB_PORT, LOGGING_PORT):
        return f"{variable}=<port>"
    if variable == "SMTP_URL":
        return f"SMTP_URL=smtp://{host}:<port>"
    if variable == "STORAGE_EMULATOR_HOST":
        return f"STORAGE_EMULATOR_HOST=http://{host}:<port>"
    return f"{variable}={host}:<port>"


def _role(variable: str) -> str:
    return _PORT_ROLES.get(variable, "this run")


def _port_variable(env: Mapping[str, str], variable: str) -> int | None:
    value = env.get(variable, "").strip()
    if not value:
        return None
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise EmulatorError(f"{variable}={value!r} is not a port number")
    return int(value)


def _split_host_port(value: str, variable: str) -> tuple[str, int]:
    """'127.0.0.1:8080', 'http://localhost:9023', '[::1]:8085' -> (host, port)."""
    text = value.strip()
    if "://" in text:
        text = text.split("://", 1)[1]
    text = text.rstrip("/")
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise EmulatorError(f"{variable}={value!r} is not HOST:PORT (e.g. 127.0.0.1:8080)")
    return host.strip("[]"), int(port)


def _load_libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


_LIBC = _load_libc()
_PR_SET_PDEATHSIG = 1


def parent_death_preexec() -> None:
    """Child-side (between fork and exec): get SIGTERM when the parent dies.

    Spares us orphaned emulators when pytest or run_local is killed without a chance
    to clean up. Linux only; elsewhere a no-op.
    """
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


@functools.cache
def sdk_root() -> Path:
    """The Google Cloud CLI's root: `gcloud info`, else /usr/lib/google-cloud-sdk. Asked once
    per process: `gcloud info` is a Python program of its own (~0.7 s of CPU)."""
    gcloud = shutil.which("gcloud")
    if gcloud:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            result = subprocess.run(
                [gcloud, "info", "--format=value(installation.sdk_root)"],
                capture_output=True,
                text=True,
                timeout=30,
                stdin=subprocess.DEVNULL,
                check=False,
            )
            candidate = result.stdout.strip()
            if result.returncode == 0 and candidate and Path(candidate).is_dir():
                return Path(candidate)
    return DEFAULT_SDK_ROOT


def java_executable() -> str:
    """java from JAVA_HOME or PATH, or an EmulatorError saying how to install it."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home and os.access(Path(java_home) / "bin" / "java", os.X_OK):
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise EmulatorError(
            "Java not found (the Firestore and Pub/Sub emulators need Java 11+): "
            "apt-get install -y openjdk-17-jre-headless"
        )
    return java


def firestore_jar(sdk: Path | None = None) -> Path:
    folder = (sdk or sdk_root()) / "platform" / "cloud-firestore-emulator"
    jar = folder / "cloud-firestore-emulator.jar"
    if not jar.is_file():
        raise EmulatorError(
            f"Firestore emulator JAR not found at {jar}: "
            "apt-get install -y google-cloud-cli-firestore-emulator "
            "(from Google's Cloud SDK apt repository)"
        )
    return jar


def pubsub_jar(sdk: Path | None = None) -> Path:
    lib = (sdk or sdk_root()) / "platform" / "pubsub-emulator" / "lib"
    jars = sorted(lib.glob("cloud-pubsub-emulator-*.jar"))
    if not jars:
        raise EmulatorError(
            f"Pub/Sub emulator JAR not found under {lib}: "
            "apt-get install -y google-cloud-cli-pubsub-emulator "
            "(from Google's Cloud SDK apt repository)"
        )
    return jars[-1]


def firebase_tools_bin(root: Path = REPO_ROOT) -> Path:
    return root / ".tools" / "node_modules" / ".bin" / "firebase"


def maildev_bin(root: Path = REPO_ROOT) -> Path:
    return root / ".tools" / "node_modules" / ".bin" / "maildev"


def _installed_npm_version(root: Path, package_name: str) -> str | None:
    package = root / ".tools" / "node_modules" / package_name / "package.json"
    try:
        version = json.loads(package.read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError, AttributeError):
        return None
    return version if isinstance(version, str) else None


@dataclass(frozen=True)
class NpmTool:
    """A package of the npm registry that lives in <root>/.tools, pinned, and the file that
    is there once it is installed."""

    package: str
    version: str
    installed: Callable[[Path], Path]  # root -> its binary or entry point
    takes: int  # about how many seconds its install takes alone


OIDC_PROVIDER_VERSION = "9.13.3"  # as bench/peer/package.json


def oidc_provider_entry(root: Path = REPO_ROOT) -> Path:
    return root / ".tools" / "node_modules" / "oidc-provider" / "lib" / "index.js"


OAUTH4WEBAPI_VERSION = "3.8.8"


def oauth4webapi_entry(root: Path = REPO_ROOT) -> Path:
    return root / ".tools" / "node_modules" / "oauth4webapi" / "package.json"


OPENID_CLIENT_VERSION = "6.8.9"


def openid_client_entry(root: Path = REPO_ROOT) -> Path:
    return root / ".tools" / "node_modules" / "openid-client" / "package.json"


LIGHTHOUSE_VERSION = "12.8.2"  # the last line that runs on Node.js 20 (13 needs 22.19)


def lighthouse_bin(root: Path = REPO_ROOT) -> Path:
    return root / ".tools" / "node_modules" / ".bin" / "lighthouse"


FIREBASE_TOOLS = NpmTool("firebase-tools", FIREBASE_TOOLS_VERSION, firebase_tools_bin, 30)
MAILDEV = NpmTool("maildev", MAILDEV_VERSION, maildev_bin, 10)
# panva's oidc-provider: the tests' upstream OpenID provider (tests/upstream_provider.mjs).
OIDC_PROVIDER = NpmTool("oidc-provider", OIDC_PROVIDER_VERSION, oidc_provider_entry, 5)
# panva's oauth4webapi: a client nobody here wrote, which signs in to firegate with DPoP in
# tests/e2e/dpop_client.mjs.
OAUTH4WEBAPI = NpmTool("oauth4webapi", OAUTH4WEBAPI_VERSION, oauth4webapi_entry, 5)
# panva's openid-client (a certified relying party): it signs in to firegate with scope
# organization in tests/e2e/openid_client_orgs.mjs.
OPENID_CLIENT = NpmTool("openid-client", OPENID_CLIENT_VERSION, openid_client_entry, 5)
# Lighthouse: bench/lighthouse.py scores the pages with it, driving Debian's Chromium.
LIGHTHOUSE = NpmTool("lighthouse", LIGHTHOUSE_VERSION, lighthouse_bin, 15)
# What the emulators run (`make run`, `make cli`); the rest only the tests and the benchmarks
# use, and `make tools` (`make test`, .ci/run) installs them too.
RUN_NPM_TOOLS = (FIREBASE_TOOLS, MAILDEV)
NPM_TOOLS = (*RUN_NPM_TOOLS, OIDC_PROVIDER, OAUTH4WEBAPI, OPENID_CLIENT, LIGHTHOUSE)
# Where npm's output goes: shown (its end) only when the install fails.
NPM_LOG = Path(".local") / "npm-install.log"


def ensure_npm_tools(root: Path, tools: Sequence[NpmTool] = NPM_TOOLS) -> list[NpmTool]:
    """Each of ``tools`` in <root>/.tools at its version; those missing installed with one npm
    command (one resolution of the tree: 23 s for the five against 34 s one after another).
    Returns those it installed."""
    missing = [
        tool
        for tool in tools
        if not tool.installed(root).exists()
        or _installed_npm_version(root, tool.package) != tool.version
    ]
    if missing:
        _npm_install(root, missing)
    return missing


def ensure_firebase_tools(root: Path = REPO_ROOT) -> Path:
    """firebase-tools (pinned) in <root>/.tools, installed with npm when missing."""
    ensure_npm_tools(root, [FIREBASE_TOOLS])
    return firebase_tools_bin(root)


def ensure_maildev(root: Path = REPO_ROOT) -> Path:
    """maildev (pinned) in <root>/.tools, installed with npm when missing."""
    ensure_npm_tools(root, [MAILDEV])
    return maildev_bin(root)


def ensure_lighthouse(root: Path = REPO_ROOT) -> Path:
    """Lighthouse (pinned) in <root>/.tools, installed with npm when missing."""
    ensure_npm_tools(root, [LIGHTHOUSE])
    return lighthouse_bin(root)


def check_node() -> tuple[int, int]:
    """Node.js's (major, minor), or an EmulatorError when it is missing or too old to run
    firebase-tools. Below NODE_QUIET, npm warns EBADENGINE while installing maildev: two of
    its dependencies (cookie 2, content-disposition 3) declare Node.js 22; maildev runs."""
    node = shutil.which("node")
    if node is None or shutil.which("npm") is None:
        raise EmulatorError(
            f"Node.js and npm not found: the Auth emulator (firebase-tools) and maildev need "
            f"Node.js {NODE_QUIET[0]} (or {NODE_MINIMUM[0]}.{NODE_MINIMUM[1]}+): install it from "
            "NodeSource's apt repository (Debian 12's own nodejs is 18)"
        )
    try:
        answer = subprocess.run(
            [node, "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise EmulatorError(f"`node --version` failed: {exc}") from exc
    found = re.match(r"v(\d+)\.(\d+)", answer.strip())
    version = (int(found.group(1)), int(found.group(2))) if found else (0, 0)
    if version < NODE_MINIMUM:
        raise EmulatorError(
            f"Node.js {answer.strip() or '?'} is too old: firebase-tools {FIREBASE_TOOLS_VERSION} "
            f"and maildev {MAILDEV_VERSION} need Node.js {NODE_QUIET[0]} "
            f"(or {NODE_MINIMUM[0]}.{NODE_MINIMUM[1]}+)"
        )
    return version


def _npm_install(root: Path, tools: Sequence[NpmTool]) -> None:
    """One ``npm install`` of ``tools`` into <root>/.tools. npm's own output (a warning per
    deprecated or engine-strict package on Node.js 20, EBADENGINE among them) goes to
    <root>/.local/npm-install.log, and its end is shown only when the install fails; a line
    every 15 s says how far it is."""
    check_node()
    npm = shutil.which("npm") or "npm"
    named = ", ".join(f"{tool.package}@{tool.version}" for tool in tools)
    takes = max(tool.takes for tool in tools) if len(tools) == 1 else 30
    print(
        f"emulators: installing {named} into {root / '.tools'} (once; about {takes} s; "
        "a line every 15 s)",
        file=sys.stderr,
        flush=True,
    )
    # --omit=optional: no optional dependency is needed here, and one of firebase-tools' (re2,
    # for its Hosting emulator) is a native module that node-gyp compiles for minutes where
    # its prebuilt binary cannot be downloaded. Every install into .tools says so, or the next
    # one would add what this one left out. --prefer-offline: what npm's cache on this machine
    # holds is taken without asking the registry whether it changed (the versions are pinned;
    # 29 s against 38 s for the five tools from a warm cache); what it lacks is fetched.
    command = [
        npm, "install", "--prefix", str(root / ".tools"), "--no-audit", "--no-fund",
        "--omit=optional", "--save-exact", "--prefer-offline",
        *(f"{tool.package}@{tool.version}" for tool in tools),
    ]  # fmt: skip
    env = {**os.environ, "NO_UPDATE_NOTIFIER": "1"}
    began = time.monotonic()
    counted, since = _count_packages(root), began
    log_path = root / NPM_LOG
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with (
        log_path.open("wb") as log,
        subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env
        ) as proc,
    ):
        while True:
            try:
                proc.wait(timeout=15)
                break
            except subprocess.TimeoutExpired:
                now, count = time.monotonic(), _count_packages(root)
                if count != counted:
                    counted, since = count, now
                doing = (
                    f"{count} packages in .tools so far"
                    if now - since < 15
                    else f"{count} packages, none new for {now - since:.0f} s: npm is "
                    "resolving or running install scripts"
                )
                print(
                    f"emulators: still installing {named}: {now - began:.0f} s, {doing}",
                    file=sys.stderr,
                    flush=True,
                )
    if proc.returncode != 0 or not all(tool.installed(root).exists() for tool in tools):
        raise EmulatorError(
            f"`{shlex.join(command)}` failed (exit {proc.returncode}); the last lines of "
            f"npm's output ({log_path}):\n{_tail(log_path)}"
        )


def _count_packages(root: Path) -> int:
    modules = root / ".tools" / "node_modules"
    try:
        return sum(
            len(list(entry.iterdir())) if entry.name.startswith("@") else 1
            for entry in modules.iterdir()
            if entry.is_dir() and not entry.name.startswith(".")
        )
    except OSError:
        return 0


def _python_has_module(python: Path, module: str) -> bool:
    # A venv's python is a symlink to the base interpreter: compare prefixes, not binaries.
    if Path(sys.prefix).resolve() == python.parent.parent.resolve():
        return importlib.util.find_spec(module) is not None
    result = subprocess.run(
        [str(python), "-c", f"import {module}"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


def ensure_storage_emulator(root: Path = REPO_ROOT) -> Path:
    """The Python that has gcp_storage_emulator: the project venv (installed there if
    missing), else the running interpreter."""
    venv_python = root / ".venv" / "bin" / "python"
    python = venv_python if venv_python.exists() else Path(sys.executable)
    if _python_has_module(python, "gcp_storage_emulator"):
        return python
    if python != venv_python:
        raise EmulatorError(
            f"gcp-storage-emulator is not installed for {python}: create the venv "
            f"(make venv) or `pip install {STORAGE_EMULATOR_REQUIREMENT}`"
        )
    print(f"emulators: installing {STORAGE_EMULATOR_REQUIREMENT} into .venv", file=sys.stderr)
    command = [
        str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        STORAGE_EMULATOR_REQUIREMENT,
    ]  # fmt: skip
    result = subprocess.run(
        command,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if result.returncode != 0:
        raise EmulatorError(
            f"pip install {STORAGE_EMULATOR_REQUIREMENT} into .venv failed "
            f"(exit {result.returncode}); see pip's output above"
        )
    return python


# --------------------------------------------------------------------------- the set

# The services that run an npm tool, and which.
_NPM_SERVICES: tuple[tuple[str, NpmTool], ...] = (("auth", FIREBASE_TOOLS), ("mail", MAILDEV))


# The JIT's first tier only (C1, no C2): the tests' emulators start often and serve each a
# few minutes of short requests, with 15-25 % less CPU so
# (docs/decisions/0354-ci-in-half-the-time.md).
QUICK_JIT = ("-XX:TieredStopAtLevel=1",)


@dataclass
class EmulatorSet:
    """The emulators of one local environment; `with EmulatorSet() as emulators: ...`."""

    project: str = "demo-firegate"
    services: tuple[str, ...] = ALL_SERVICES
    firestore_port: int = 8080
    auth_port: int = 9099
    pubsub_port: int = 8085
    storage_port: int = 9023
    mail_port: int = 1025  # maildev's SMTP
    mail_web_port: int = 1080  # maildev's web UI and REST API
    # firebase-tools' hub and logging ports; 0: the first free ports after auth_port that no
    # other service of the set uses (planned_ports()).
    hub_port: int = 0
    logging_port: int = 0
    host: str = "127.0.0.1"
    root: Path = REPO_ROOT
    # Created after start and re-created after each wipe, when set.
    storage_bucket: str | None = None
    # Children get SIGTERM if the process (thread) that started them dies (Linux).
    die_with_parent: bool = True
    # How long a taken port may take to answer like its emulator (one starting elsewhere:
    # `make run` and the tests at once) before it counts as another program's.
    foreign_grace: float = FOREIGN_PORT_GRACE_SECONDS
    # Ports the caller will take beside the emulators', by variable (run_local: PORT).
    other_ports: dict[str, int] = field(default_factory=dict)
    # Where Firestore's documents and Auth's accounts are kept between runs (run_local: the
    # local profile's .local/emulator-data): loaded into the emulators this set starts, saved
    # from them by save(). None: they start empty and nothing is kept (the tests).
    data_dir: Path | None = None
    # Where the logs and firebase-tools' configuration go; None: <root>/.local/emulators
    # (a parallel test worker's set: a folder of its own, worker_sets()).
    logs: Path | None = None
    # Options of the JVM of the Java emulators (Firestore, Pub/Sub); the tests' QUICK_JIT.
    java_options: tuple[str, ...] = ()

    startup_seconds: dict[str, float] = field(default_factory=dict, init=False, repr=False)
    _procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict, init=False, repr=False)
    _reused: set[str] = field(default_factory=set, init=False, repr=False)
    _sdk_cache: Path | None = field(default=None, init=False, repr=False)
    # The kept data was loaded into every emulator this set started: save() may replace it.
    _loaded: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        self.services = tuple(self.services)
        unknown = [name for name in self.services if name not in ALL_SERVICES]
        if unknown:
            raise EmulatorError(
                f"unknown emulator service(s) {', '.join(unknown)}; "
                f"choose from {', '.join(ALL_SERVICES)}"
            )
        self.root = Path(self.root)

    # ---------------------------------------------------------------- configuration

    @classmethod
    def from_env(
        cls,
        services: Sequence[str] = ALL_SERVICES,
        environ: Mapping[str, str] | None = None,
        **overrides: object,
    ) -> EmulatorSet:
        """Ports, host and project from FIRESTORE_EMULATOR_HOST & co., GOOGLE_CLOUD_PROJECT
        (or GCLOUD_PROJECT) and STORAGE_BUCKET when set; the defaults otherwise."""
        env = os.environ if environ is None else environ
        wanted = tuple(services)
        kwargs: dict[str, object] = {"services": wanted}
        project = env.get("GOOGLE_CLOUD_PROJECT") or env.get("GCLOUD_PROJECT")
        if project:
            kwargs["project"] = project
        if env.get("STORAGE_BUCKET"):
            kwargs["storage_bucket"] = env["STORAGE_BUCKET"]
        for variable, key, service in (
            (MAILDEV_WEB_PORT, "mail_web_port", "mail"),
            (HUB_PORT, "hub_port", "auth"),
            (LOGGING_PORT, "logging_port", "auth"),
        ):
            number = _port_variable(env, variable)
            if service in wanted and number is not None:
                kwargs[key] = number
        hosts: dict[str, str] = {}
        for service in wanted:
            variable = _ENV_VARS.get(service, "")
            value = env.get(variable)
            if not value:
                continue
            host, port = _split_host_port(value, variable)
            hosts[variable] = host
            kwargs[f"{service}_port"] = port
        if len(set(hosts.values())) > 1:
            listed = ", ".join(f"{name}={host}" for name, host in hosts.items())
            raise EmulatorError(f"the emulator variables name different hosts ({listed}): use one")
        if hosts:
            kwargs["host"] = next(iter(hosts.values()))
        kwargs.update(overrides)
        return cls(**kwargs)  # type: ignore[arg-type]

    def port(self, service: str) -> int:
        ports = {
            "firestore": self.firestore_port,
            "auth": self.auth_port,
            "pubsub": self.pubsub_port,
            "storage": self.storage_port,
            "mail": self.mail_port,
        }
        return ports[service]

    def netloc(self, service: str) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port(service)}"

    def url(self, service: str) -> str:
        """The service's HTTP base; for mail, maildev's web UI and REST API."""
        if service == "mail":
            host = f"[{self.host}]" if ":" in self.host else self.host
            return f"http://{host}:{self.mail_web_port}"
        return f"http://{self.netloc(service)}"

    @property
    def inbox_url(self) -> str:
        """maildev's web page for people, at its root: maildev 3 serves its page there to a
        browser (and 404 to a client that does not ask for HTML); at /index.html the page
        loads, but asks for its mails under /index.html/api/ and shows "Failed to load
        emails". A loopback host is written localhost, like the service's own address."""
        host = self.host
        if host == "127.0.0.1":
            host = "localhost"
        elif ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.mail_web_port}/"

    @property
    def log_dir(self) -> Path:
        return self.logs or self.root / ".local" / "emulators"

    def log_path(self, service: str) -> Path:
        return self.log_dir / f"{service}.log"

    @property
    def started(self) -> frozenset[str]:
        """Services this object started (and will stop)."""
        return frozenset(self._procs)

    @property
    def reused(self) -> frozenset[str]:
        """Services that were already answering (left alone by stop())."""
        return frozenset(self._reused)

    def env(self) -> dict[str, str]:
        """The variables the service and its client libraries read, for these services."""
        variables = {"GOOGLE_CLOUD_PROJECT": self.project, "GCLOUD_PROJECT": self.project}
        for service in self.services:
            value = self.netloc(service)
            if service == "mail":
                variables["SMTP_URL"] = f"smtp://{value}"
                variables["MAILDEV_URL"] = self.url("mail")
                continue
            variables[_ENV_VARS[service]] = f"http://{value}" if service == "storage" else value
        return variables

    # ---------------------------------------------------------------- probes

    def ready(self, service: str) -> bool:
        """Does the port answer like this emulator?"""
        path = "/api/healthz" if service == "mail" else "/"
        try:
            status, body = _http("GET", self.url(service) + path, timeout=1.0)
        except (OSError, http.client.HTTPException):
            return False
        if status != 200:
            return False
        if service == "mail":
            return body.strip() == b"true" and self._port_open(service)
        if service == "auth":
            return b"authEmulator" in body
        expected = b"OK" if service == "storage" else b"Ok"
        return body.strip() == expected

    # ---------------------------------------------------------------- ports

    def _service_ports(self, service: str) -> dict[str, int]:
        """The ports a service takes, by the variable that sets each (hub and logging as
        planned: call planned_ports() first)."""
        ports = {_ENV_VARS[service]: self.port(service)}
        if service == "mail":
            ports[MAILDEV_WEB_PORT] = self.mail_web_port
        elif service == "auth":
            ports[HUB_PORT] = self.hub_port
            ports[LOGGING_PORT] = self.logging_port
        return ports

    def _fixed_ports(self) -> dict[str, int]:
        """The ports of this set's services by variable; hub and logging as set (0: unset)."""
        fixed: dict[str, int] = {}
        for service in self.services:
            fixed.update(self._service_ports(service))
        return fixed

    def planned_ports(self) -> dict[str, int]:
        """Every port this set (and the caller, other_ports) will take, by the variable that
        sets it. An unset hub or logging port becomes the first port after the Auth
        emulator's that no other service uses and no program holds (a consecutive block
        such as Firestore 8281, Auth 8282, Pub/Sub 8283 then puts the hub past the block)."""
        fixed: dict[str, int] = {**self.other_ports, **self._fixed_ports()}
        if "auth" in self.services:
            used = set(fixed.values()) | {self.hub_port, self.logging_port}
            candidate = self.auth_port
            for name in ("hub_port", "logging_port"):
                if not getattr(self, name):
                    candidate += 1
                    while candidate in used or port_problem(self.host, candidate):
                        candidate += 1
                    setattr(self, name, candidate)
                    used.add(candidate)
            fixed[HUB_PORT] = self.hub_port
            fixed[LOGGING_PORT] = self.logging_port
        return fixed

    def _collisions(self, ports: Mapping[str, int]) -> list[str]:
        by_port: dict[int, list[str]] = {}
        for variable, port in ports.items():
            by_port.setdefault(port, []).append(variable)
        return [
            f"port {port} is set for {' and '.join(f'{v} ({_role(v)})' for v in variables)}: "
            f"give each its own ({', '.join(_how_to_set(v, self.host) for v in variables[1:])})"
            for port, variables in sorted(by_port.items())
            if len(variables) > 1
        ]

    def _taken(self) -> tuple[list[str], list[str]]:
        """(services to start, one line per port of theirs that another program holds);
        services already answering like their emulator are marked reused."""
        to_start: list[str] = []
        problems: list[str] = []
        for service in self.services:
            if self.ready(service):
                self._reused.add(service)
                continue
            to_start.append(service)
            for variable, port in self._service_ports(service).items():
                why = port_problem(self.host, port)
                if why:
                    problems.append(
                        f"{self.host}:{port} ({variable}, {_role(variable)}) is taken ({why}): "
                        f"stop what holds it, or set {_how_to_set(variable, self.host)}"
                    )
        for variable, port in self.other_ports.items():
            why = port_problem(self.host, port)
            if why:
                problems.append(f"{self.host}:{port} ({variable}) is taken ({why}): set {variable}")
        return to_start, problems

    def check_ports(self) -> list[str]:
        """Before anything starts: the services to start, once no port of theirs is set
        twice or held by another program, else an EmulatorError that names every such port
        and the variable that moves it. A taken port gets foreign_grace seconds to answer
        like its emulator (one starting elsewhere), and its service is then reused."""
        collisions = self._collisions(self.planned_ports())
        if collisions:
            raise EmulatorError(
                "two ports of the local set are the same; nothing was started:\n  - "
                + "\n  - ".join(collisions)
            )
        deadline = time.monotonic() + self.foreign_grace
        waited = False
        while True:
            self._reused.clear()
            to_start, problems = self._taken()
            if not problems:
                return to_start
            if time.monotonic() >= deadline:
                raise EmulatorError(
                    "ports the local set needs are taken; nothing was started:\n  - "
                    + "\n  - ".join(problems)
                    + "\n(docs/configuration.md#local-emulators lists the variables)"
                )
            if not waited and self.foreign_grace >= 1:
                waited = True
                print(
                    f"emulators: {len(problems)} port(s) taken; waiting up to "
                    f"{self.foreign_grace:.0f} s in case an emulator is starting there",
                    file=sys.stderr,
                    flush=True,
                )
            time.sleep(0.2)

    def _port_open(self, service: str) -> bool:
        try:
            with socket.create_connection((self.host, self.port(service)), timeout=0.5):
                return True
        except OSError:
            return False

    # ---------------------------------------------------------------- commands

    def _firebase_config(self) -> Path:
        """firebase-tools' configuration for this set: its auth, hub and logging ports come
        from the variables (the repository's firebase.json is for deploying rules)."""
        if not self.hub_port or not self.logging_port:
            self.planned_ports()
        generated = self.log_dir / f"firebase-{self.auth_port}.json"
        config = {
            "emulators": {
                "auth": {"host": self.host, "port": self.auth_port},
                # Near the auth port, not firebase-tools' defaults (4400, 4500), so a second
                # local set (another checkout on other ports) does not race this one for them.
                "hub": {"host": self.host, "port": self.hub_port},
                "logging": {"host": self.host, "port": self.logging_port},
                "ui": {"enabled": False},
            }
        }
        generated.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        return generated

    def _command(self, service: str) -> tuple[list[str], dict[str, str]]:
        """argv and extra environment for one service (installs/validates prerequisites)."""
        host, port = self.host, str(self.port(service))
        if service == "firestore":
            java = java_executable()
            jar = firestore_jar(self._sdk())
            argv = [
                java, *self.java_options, "-Duser.language=en", "-cp", str(jar),
                FIRESTORE_MAIN_CLASS, "--host", host, "--port", port, "--project_id", self.project,
            ]  # fmt: skip
            kept = self._kept_firestore()
            if kept is not None:
                argv += ["--import-data", str(kept)]
            return argv, {}
        if service == "pubsub":
            java = java_executable()
            jar = pubsub_jar(self._sdk())
            argv = [java, *self.java_options, "-jar", str(jar), f"--host={host}", f"--port={port}"]
            return argv, {}
        if service == "auth":
            firebase = ensure_firebase_tools(self.root)
            config = self._firebase_config()
            argv = [
                str(firebase), "emulators:start", "--only", "auth",
                "--project", self.project, "--config", str(config), "--non-interactive",
            ]  # fmt: skip
            extra = {
                # CI skips the MOTD fetch (and its minVersion check); no update notifier.
                "CI": "true",
                "NO_UPDATE_NOTIFIER": "1",
                "FIREBASE_DEBUG_PATH": str(self.log_dir / "firebase-debug.log"),
            }
            return argv, extra
        if service == "mail":
            maildev = ensure_maildev(self.root)
            argv = [
                str(maildev), "--smtp", port, "--ip", host,
                "--web", str(self.mail_web_port), "--web-ip", host,
                # Its own folder: maildev's default, /tmp/maildev, is shared by every checkout.
                "--mail-directory", str(self.log_dir / f"maildev-{port}"),
            ]  # fmt: skip
            return argv, {"NO_UPDATE_NOTIFIER": "1"}
        if service == "storage":
            python = ensure_storage_emulator(self.root)
            argv = [
                str(python), "-m", "gcp_storage_emulator", "start",
                "--host", host, "--port", port, "--in-memory",
            ]  # fmt: skip
            return argv, {"PYTHONUNBUFFERED": "1"}
        raise EmulatorError(f"unknown emulator service {service!r}")

    def _sdk(self) -> Path:
        if self._sdk_cache is None:
            self._sdk_cache = sdk_root()
        return self._sdk_cache

    def _spawn(self, service: str) -> None:
        argv, extra = self._command(service)
        env = {k: v for k, v in os.environ.items() if not k.endswith("_EMULATOR_HOST")}
        env.update(extra)
        log_path = self.log_path(service)
        with log_path.open("wb") as log:
            log.write(f"$ {shlex.join(argv)}\n".encode())
            log.flush()
            self._procs[service] = subprocess.Popen(
                argv,
                cwd=self.root,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=parent_death_preexec if self.die_with_parent else None,  # noqa: PLW1509
            )

    # ---------------------------------------------------------------- lifecycle

    def start(self, timeout: float = 90) -> None:
        """Start the services not already answering, in parallel; wait until all answer."""
        if self._procs:
            raise EmulatorError("these emulators are already started; stop() them first")
        self._reused.clear()
        self.startup_seconds.clear()
        began = time.monotonic()
        to_start = self.check_ports()
        for service in self._reused:
            self.startup_seconds[service] = 0.0
        self.log_dir.mkdir(parents=True, exist_ok=True)
        atexit.register(self.stop)
        self._loaded = False
        try:
            # The npm tools of the services to start, in one npm command when missing.
            ensure_npm_tools(
                self.root,
                [tool for service, tool in _NPM_SERVICES if service in to_start],
            )
            for service in sorted(to_start, key=_SPAWN_ORDER.index):
                self._spawn(service)
            self._wait(to_start, began, timeout)
            if self.storage_bucket and "storage" in self.services:
                self._ensure_bucket()
            if self.data_dir is not None:
                self._load_auth()
                self._loaded = True
        except BaseException:
            self.stop()
            raise

    def _wait(self, to_start: list[str], began: float, timeout: float) -> None:
        deadline = began + timeout
        waiting = set(to_start)
        while waiting:
            for service in sorted(waiting):
                proc = self._procs.get(service)
                if self.ready(service):
                    waiting.discard(service)
                    self.startup_seconds[service] = round(time.monotonic() - began, 2)
                    if proc is None or proc.poll() is not None:
                        # Someone else's emulator answers (we lost a start race, or the
                        # port was still starting up): use it, don't own it.
                        self._forget(service)
                        self._reused.add(service)
                    continue
                if proc is not None and proc.poll() is not None:
                    tail = _tail(self.log_path(service))
                    raise EmulatorError(
                        f"the {service} emulator exited with code {proc.returncode} before it "
                        f"answered on {self.netloc(service)}; last lines of "
                        f"{self.log_path(service)}:\n{tail}"
                        f"{_hint(tail, list(self._service_ports(service)))}"
                    )
            if not waiting:
                break
            if time.monotonic() > deadline:
                details = "\n".join(
                    f"--- {service} ({self.log_path(service)}):\n{_tail(self.log_path(service))}"
                    for service in sorted(waiting)
                )
                raise EmulatorError(
                    f"emulator(s) {', '.join(sorted(waiting))} not ready after {timeout:.0f} s; "
                    f"last log lines:\n{details}"
                )
            time.sleep(0.1)

    def _forget(self, service: str) -> None:
        proc = self._procs.pop(service, None)
        if proc is not None:
            _signal_group(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=STOP_GRACE_SECONDS)

    def stop(self) -> None:
        """Stop what start() started (never reused services): SIGTERM each process group,
        wait up to ~5 s, then SIGKILL what is left of the groups."""
        atexit.unregister(self.stop)
        self._loaded = False
        procs = list(self._procs.values())
        self._procs.clear()
        self._reused.clear()
        for proc in procs:
            if proc.poll() is None:
                _signal_group(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        pending = list(procs)
        while pending and time.monotonic() < deadline:
            # Reap leaders first: a zombie leader still counts as a group member.
            pending = [p for p in pending if p.poll() is None or _group_alive(p.pid)]
            if pending:
                time.sleep(0.05)
        for proc in pending:
            _signal_group(proc.pid, signal.SIGKILL)
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=STOP_GRACE_SECONDS)

    def dead(self) -> dict[str, int]:
        """Started services whose process has exited, with their exit codes."""
        return {name: rc for name, proc in self._procs.items() if (rc := proc.poll()) is not None}

    def __enter__(self) -> EmulatorSet:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # ---------------------------------------------------------------- data

    def wipe(self) -> None:
        """Delete all Firestore documents, Auth accounts and Storage buckets/objects
        (then re-create storage_bucket). Pub/Sub is left as it is."""
        for service in self.services:
            base, project = self.url(service), self.project
            if service == "firestore":
                url = f"{base}/emulator/v1/projects/{project}/databases/(default)/documents"
                self._expect_ok(service, "DELETE", url)
            elif service == "auth":
                url = f"{base}/emulator/v1/projects/{project}/accounts"
                self._expect_ok(service, "DELETE", url)
            elif service == "mail":
                self._expect_ok(service, "DELETE", f"{base}/api/email/all")
            elif service == "storage":
                self._expect_ok(service, "GET", f"{base}/wipe")
                if self.storage_bucket:
                    self._ensure_bucket()

    # ---------------------------------------------------------------- kept data

    @property
    def kept(self) -> frozenset[str]:
        """Services whose data this set keeps: Firestore and Auth when it started them."""
        if self.data_dir is None:
            return frozenset()
        return frozenset(self._procs) & frozenset(KEPT_SERVICES)

    def _current(self) -> Path | None:
        """The last saved copy of the data (data_dir/current), None when there is none."""
        if self.data_dir is None:
            return None
        current = self.data_dir / KEPT_CURRENT
        return current.resolve() if current.is_dir() else None

    def _kept_firestore(self) -> Path | None:
        current = self._current()
        if current is None:
            return None
        metadata = current / "firestore" / KEPT_EXPORT / f"{KEPT_EXPORT}.overall_export_metadata"
        return metadata if metadata.is_file() else None

    def _load_auth(self) -> None:
        """Auth's kept accounts and configuration into the Auth emulator this set started
        (firebase-tools' own import does the same, but after its port already answers)."""
        current = self._current()
        if current is None or "auth" not in self._procs:
            return
        base = f"{self.url('auth')}"
        owner = {"Authorization": "Bearer owner", "Content-Type": "application/json"}
        config = current / "auth" / "config.json"
        if config.is_file():
            url = f"{base}/emulator/v1/projects/{self.project}/config"
            self._expect_ok("auth", "PATCH", url, config.read_bytes(), owner)
        accounts = current / "auth" / "accounts.json"
        if accounts.is_file():
            users = json.loads(accounts.read_text(encoding="utf-8")).get("users") or []
            if users:
                url = (
                    f"{base}/identitytoolkit.googleapis.com/v1/projects/{self.project}"
                    "/accounts:batchCreate"
                )
                body = json.dumps({"users": users}).encode()
                self._expect_ok("auth", "POST", url, body, owner)

    def save(self) -> Path | None:
        """Export Firestore's documents and Auth's accounts from the emulators this set
        started into a new copy beside the last one, then make it the current one (a symlink
        replaced at once): a failed export leaves the last copy as it was. What this set did
        not start (reused, or not among its services) is carried over from the last copy.
        Returns the new copy; None when nothing is kept (no data_dir, an unfinished start)."""
        if self.data_dir is None or not self._loaded or not self.kept:
            return None
        self.data_dir.mkdir(parents=True, exist_ok=True)
        previous = self._current()
        fresh = self.data_dir / f"copy-{time.time_ns()}"
        try:
            fresh.mkdir()
            for service in KEPT_SERVICES:
                if service in self.kept:
                    self._export(service, fresh / service)
                elif previous is not None and (previous / service).is_dir():
                    shutil.copytree(previous / service, fresh / service)
            link = self.data_dir / f".current-{fresh.name}"
            link.symlink_to(fresh.name)
            os.replace(link, self.data_dir / KEPT_CURRENT)
        except BaseException:
            shutil.rmtree(fresh, ignore_errors=True)
            raise
        for old in self.data_dir.iterdir():
            if old.name.startswith(("copy-", ".current-")) and old.name != fresh.name:
                if old.is_symlink():
                    old.unlink()
                else:
                    shutil.rmtree(old, ignore_errors=True)
        return fresh

    def _export(self, service: str, folder: Path) -> None:
        folder.mkdir()
        if service == "firestore":
            # The emulator writes folder/<name>/ itself: <name>.overall_export_metadata and
            # the documents, which --import-data reads at the next start.
            url = f"{self.url('firestore')}/emulator/v1/projects/{self.project}:export"
            body = {
                "database": f"projects/{self.project}/databases/(default)",
                "export_directory": str(folder.resolve()),
                "export_name": KEPT_EXPORT,
            }
            self._expect_ok(service, "POST", url, json.dumps(body).encode())
            if not (folder / KEPT_EXPORT / f"{KEPT_EXPORT}.overall_export_metadata").is_file():
                raise EmulatorError(f"the Firestore emulator wrote no export in {folder}")
            return
        base, owner = self.url("auth"), {"Authorization": "Bearer owner"}
        for name, path in (
            (
                "accounts.json",
                f"/identitytoolkit.googleapis.com/v1/projects/{self.project}"
                "/accounts:batchGet?maxResults=-1",
            ),
            ("config.json", f"/emulator/v1/projects/{self.project}/config"),
        ):
            try:
                status, answer = _http("GET", base + path, headers=owner, timeout=30)
            except (OSError, http.client.HTTPException) as exc:
                raise EmulatorError(f"auth emulator unreachable (GET {path}): {exc}") from exc
            if status != 200:
                raise EmulatorError(f"auth emulator: GET {path} -> {status}")
            json.loads(answer)  # a whole JSON document, or no copy at all
            (folder / name).write_bytes(answer)

    def _expect_ok(
        self,
        service: str,
        method: str,
        url: str,
        body: bytes | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> int:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        headers.update(extra or {})
        try:
            status, answer = _http(method, url, body=body, headers=headers, timeout=30)
        except (OSError, http.client.HTTPException) as exc:
            raise EmulatorError(
                f"{service} emulator at {self.netloc(service)} unreachable ({method} {url}): {exc}"
            ) from exc
        if status >= 300 and status != 409:
            text = answer.decode("utf-8", "replace")[:300]
            raise EmulatorError(f"{service} emulator: {method} {url} -> {status}: {text}")
        return status

    def load_rules(self, text: str, name: str = "firestore.rules") -> None:
        """Make the Firestore emulator hold this project's clients to the security rules
        ``text`` (requests as its owner, the service's, pass whatever they say). A file the
        emulator cannot compile is an EmulatorError with its message, and the emulator keeps
        the rules it had (none at first: then it lets everyone in)."""
        url = f"{self.url('firestore')}/emulator/v1/projects/{self.project}:securityRules"
        body = json.dumps({"rules": {"files": [{"name": name, "content": text}]}}).encode()
        try:
            status, answer = _http(
                "PUT", url, body=body, headers={"Content-Type": "application/json"}, timeout=30
            )
        except (OSError, http.client.HTTPException) as exc:
            raise EmulatorError(
                f"the Firestore emulator at {self.netloc('firestore')} is unreachable: {exc}"
            ) from exc
        if status != 200:
            raise EmulatorError(_emulator_message(answer) or f"answer {status}")

    def _ensure_bucket(self) -> None:
        """Create storage_bucket in the storage emulator (409 = already there: fine)."""
        if not self.storage_bucket:
            return
        url = f"{self.url('storage')}/storage/v1/b?project={self.project}"
        body = json.dumps({"name": self.storage_bucket}).encode()
        self._expect_ok("storage", "POST", url, body=body)


# --------------------------------------------------------------------------- test workers

# Parallel test workers (pytest-xdist) each get a set of their own: worker i's ports are the
# configured ones plus i * WORKER_PORT_STRIDE (docs/testing.md#parallel-workers).
WORKER_PORT_STRIDE = 10


def worker_sets(
    base: EmulatorSet, count: int, stride: int = WORKER_PORT_STRIDE
) -> list[EmulatorSet]:
    """``count`` sets for parallel test workers: set i is ``base`` with every port moved up by
    ``i * stride`` (set 0 is ``base``'s ports, so a set started beforehand on them is reused)
    and its logs in ``.local/emulators/gw<i>``. Unset hub and logging ports are fixed here,
    the same way by every worker: the first ports after each set's Auth port that no port of
    any set takes. Two ports of any two sets that coincide are an EmulatorError."""
    if count < 1:
        raise EmulatorError(f"{count} workers: at least one is needed")
    moved = [
        replace(
            base,
            firestore_port=base.firestore_port + index * stride,
            auth_port=base.auth_port + index * stride,
            pubsub_port=base.pubsub_port + index * stride,
            storage_port=base.storage_port + index * stride,
            mail_port=base.mail_port + index * stride,
            mail_web_port=base.mail_web_port + index * stride,
            hub_port=base.hub_port and base.hub_port + index * stride,
            logging_port=base.logging_port and base.logging_port + index * stride,
            logs=base.log_dir / f"gw{index}",
        )
        for index in range(count)
    ]
    taken: set[int] = set()
    for emulators in moved:
        taken |= {port for port in emulators._fixed_ports().values() if port}
    for emulators in moved:
        if "auth" not in emulators.services:
            continue
        candidate = emulators.auth_port
        for name in ("hub_port", "logging_port"):
            if not getattr(emulators, name):
                candidate += 1
                while candidate in taken:
                    candidate += 1
                setattr(emulators, name, candidate)
                taken.add(candidate)
    owners: dict[int, list[str]] = {}
    for index, emulators in enumerate(moved):
        for variable, port in emulators._fixed_ports().items():
            owners.setdefault(port, []).append(f"{variable} of worker {index}")
    clashes = [
        f"port {port}: {' and '.join(names)}"
        for port, names in sorted(owners.items())
        if len(names) > 1
    ]
    clashes += [
        f"port {port}: {names[0]} is past 65535" for port, names in owners.items() if port > 65535
    ]
    if clashes:
        raise EmulatorError(
            f"the emulator ports of {count} parallel workers (each {stride} above the last) "
            "overlap; set ports further apart (docs/testing.md#parallel-workers):\n  - "
            + "\n  - ".join(clashes)
        )
    return moved


# --------------------------------------------------------------------------- kept data

DATA_DIR_VARIABLE = "EMULATOR_DATA_DIR"
DEFAULT_DATA_DIR = REPO_ROOT / ".local" / "emulator-data"
_OFF = ("off", "none", "0", "false", "no")


def kept_data_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """Where the local profile keeps the emulators' data: EMULATOR_DATA_DIR (relative to the
    repository), .local/emulator-data when unset or empty, None when it says ``off``."""
    value = (os.environ if environ is None else environ).get(DATA_DIR_VARIABLE, "").strip()
    if value.lower() in _OFF:
        return None
    return REPO_ROOT / value if value else DEFAULT_DATA_DIR


def reset_kept_data(data_dir: Path) -> bool:
    """Remove the kept data; whether there was any."""
    if not data_dir.exists():
        return False
    shutil.rmtree(data_dir)
    return True


# --------------------------------------------------------------------------- local rules

RULES_VARIABLE = "EMULATOR_RULES"
DEFAULT_RULES = "firestore.rules"
# What the Firestore emulator holds when the rules file cannot be loaded at the start: no
# client reads or writes anything, as a deploy of a broken file would change nothing (the
# emulator without rules lets everyone in).
CLOSED_RULES = """\
rules_version = '2';
service cloud.firestore {
  match /databases/{database}/documents {
    match /{document=**} {
      allow read, write: if false;
    }
  }
}
"""


def local_rules_file(
    environ: Mapping[str, str] | None = None, root: Path = REPO_ROOT
) -> Path | None:
    """The security rules `make run` holds the Firestore emulator's clients to: the file
    EMULATOR_RULES names (relative to the repository); when it is unset or empty, the one
    firebase.json deploys (``firestore.rules``, which holds firegate's rules library:
    docs/organizations.md); None when it says ``off``."""
    value = (os.environ if environ is None else environ).get(RULES_VARIABLE, "").strip()
    if value.lower() in _OFF:
        return None
    return root / (value or _deployed_rules(root))


def _deployed_rules(root: Path) -> str:
    try:
        config = json.loads((root / "firebase.json").read_text(encoding="utf-8"))
        named = config["firestore"]["rules"]
    except (OSError, ValueError, KeyError, TypeError):
        return DEFAULT_RULES
    return named if isinstance(named, str) and named else DEFAULT_RULES


@dataclass
class RulesWatch:
    """A rules file kept loaded in a set's Firestore emulator: ``load()`` once it answers,
    then ``poll()`` as often as wanted, which costs a stat of the file. A change (a new
    modification time, size or inode) is loaded once the file has stayed as it is for one
    more poll, so a file caught half written is not read. Each returns what to tell the
    person (docs/configuration.md#local-emulators)."""

    emulators: EmulatorSet
    path: Path
    _loaded: tuple[int, int, int] | None = field(default=None, init=False, repr=False)
    _changed: tuple[int, int, int] | None = field(default=None, init=False, repr=False)

    @property
    def shown(self) -> str:
        path = self.path
        return str(path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path)

    def load(self) -> str:
        """The first load. A file that cannot be read or compiled leaves the emulator closed
        to every client until a change of it loads; an emulator that cannot be reached is an
        EmulatorError."""
        self._loaded = self._changed = self._stamp()
        try:
            self._put()
        except EmulatorError as exc:
            self.emulators.load_rules(CLOSED_RULES, "closed.rules")
            return (
                f"warning: {self.shown} was not loaded into the Firestore emulator ({exc}): "
                "it refuses every client until the file loads (each change of it is loaded)"
            )
        return (
            f"{self.shown} loaded into the Firestore emulator: Firebase clients are held to "
            f"it, and to each change of it ({RULES_VARIABLE}=off: to none)"
        )

    def poll(self) -> str | None:
        """When the file has changed (and stayed so since the last poll): load it again."""
        stamp = self._stamp()
        if stamp == self._loaded:
            self._changed = stamp
            return None
        if stamp != self._changed:  # changed since the last poll: wait until it settles
            self._changed = stamp
            return None
        self._loaded = stamp
        try:
            self._put()
        except EmulatorError as exc:
            return (
                f"warning: {self.shown} changed but was not loaded ({exc}); the Firestore "
                "emulator keeps the rules it had"
            )
        return f"{self.shown} changed: loaded into the Firestore emulator again"

    def _stamp(self) -> tuple[int, int, int] | None:
        try:
            found = self.path.stat()
        except OSError:
            return None
        return found.st_mtime_ns, found.st_size, found.st_ino

    def _put(self) -> None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise EmulatorError(f"it cannot be read: {why}") from exc
        self.emulators.load_rules(text, self.path.name)


# --------------------------------------------------------------------------- make cli

# The service's command-line groups that reach no data (the rules library, written from the
# code): `make cli` starts no emulator for them and checks no port.
CLI_WITHOUT_DATA: tuple[str, ...] = ("rules",)


def cli_needs_emulators(args: Sequence[str]) -> bool:
    """Whether `make cli ARGS=...` reaches the emulators: not for a help (no command,
    ``--help``, ``--version``) nor for a group of CLI_WITHOUT_DATA."""
    if not args or "--help" in args or "--version" in args:
        return False
    return args[0] not in CLI_WITHOUT_DATA


# --------------------------------------------------------------------------- CLI


def _parse_only(value: str | None) -> tuple[str, ...]:
    if not value:
        return ALL_SERVICES
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _exports(variables: Mapping[str, str]) -> str:
    return "\n".join(f"export {name}={shlex.quote(value)}" for name, value in variables.items())


@contextlib.contextmanager
def _signals_raise() -> Iterator[None]:
    """SIGTERM (and SIGINT) raise KeyboardInterrupt, so cleanup code runs."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _cmd_start(args: argparse.Namespace) -> int:
    emulators = EmulatorSet.from_env(services=_parse_only(args.only))
    with _signals_raise():
        try:
            emulators.start(timeout=args.timeout)
            for service in emulators.services:
                how = "reused" if service in emulators.reused else "started"
                seconds = emulators.startup_seconds.get(service, 0.0)
                print(
                    f"# {service}: {how} on {emulators.netloc(service)} "
                    f"({seconds:.1f} s, log {emulators.log_path(service)})",
                    flush=True,
                )
            if "mail" in emulators.services:
                print(f"# mail: read it at {emulators.inbox_url}", flush=True)
            print(_exports(emulators.env()), flush=True)
            print("# emulators running; Ctrl-C or SIGTERM stops them", file=sys.stderr, flush=True)
            while True:
                dead = emulators.dead()
                if dead:
                    for service, code in dead.items():
                        print(
                            f"emulators: {service} exited with code {code}; last lines:\n"
                            f"{_tail(emulators.log_path(service))}",
                            file=sys.stderr,
                        )
                    return 1
                time.sleep(0.5)
        except KeyboardInterrupt:
            return 0
        finally:
            emulators.stop()


def _cmd_wipe(args: argparse.Namespace) -> int:
    emulators = EmulatorSet.from_env(services=_parse_only(args.only))
    emulators.wipe()
    print(f"wiped: {', '.join(s for s in emulators.services if s != 'pubsub') or 'nothing'}")
    return 0


def _cmd_reset(args: argparse.Namespace) -> int:
    """`make reset`: the next `make run` starts with empty emulators."""
    data_dir = kept_data_dir()
    if data_dir is None:
        print(f"{DATA_DIR_VARIABLE}=off: no data is kept, nothing to reset")
        return 0
    shown = data_dir.relative_to(REPO_ROOT) if data_dir.is_relative_to(REPO_ROOT) else data_dir
    if reset_kept_data(data_dir):
        print(
            f"removed {shown}: the next `make run` starts with empty emulators (a `make run` "
            "still running keeps its data there again when it stops)"
        )
    else:
        print(f"nothing kept in {shown}: the next `make run` starts with empty emulators")
    return 0


def _cmd_env(args: argparse.Namespace) -> int:
    print(_exports(EmulatorSet.from_env(services=_parse_only(args.only)).env()))
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    """`make run` and `make cli` call this first, before a first install's minutes."""
    profile = os.environ.get("APP_PROFILE") or "local"
    if profile != "local" or (args.cli is not None and not cli_needs_emulators(args.cli)):
        return 0
    other: dict[str, int] = {}
    if args.port is not None:  # `make run`: its PORT, from the environment or .env
        port = args.port or os.environ.get("PORT") or "8000"
        if not port.isdigit():
            raise EmulatorError(f"PORT={port!r} is not a port number")
        other["PORT"] = int(port)
    emulators = EmulatorSet.from_env(services=_parse_only(args.only), other_ports=other)
    emulators.check_ports()
    return 0


def _cmd_install(args: argparse.Namespace) -> int:
    """`make tools` (every npm tool: the tests' too), `make run` (``--for-run``: the
    emulators' alone). Quiet when nothing was missing; a line once something was installed."""
    check_node()
    installed = ensure_npm_tools(REPO_ROOT, RUN_NPM_TOOLS if args.for_run else NPM_TOOLS)
    if args.npm_only:
        return 0
    python = ensure_storage_emulator(REPO_ROOT)
    java = java_executable()
    sdk = sdk_root()
    firestore_jar(sdk)
    pubsub_jar(sdk)
    if installed:
        print(
            f"emulators: ready to run (firebase-tools {FIREBASE_TOOLS_VERSION} and maildev "
            f"{MAILDEV_VERSION} in .tools, java {java}, Cloud SDK {sdk}, storage emulator in "
            f"{python})",
            file=sys.stderr,
        )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="firegate's local emulators")
    commands = parser.add_subparsers(dest="command", required=True)
    only_help = f"comma-separated services (default: all of {','.join(ALL_SERVICES)})"
    start = commands.add_parser("start", help="start them in the foreground until Ctrl-C")
    start.add_argument("--only", help=only_help)
    start.add_argument("--timeout", type=float, default=90.0, help="seconds to wait (90)")
    start.set_defaults(func=_cmd_start)
    wipe = commands.add_parser("wipe", help="delete all data in the running emulators")
    wipe.add_argument("--only", help=only_help)
    wipe.set_defaults(func=_cmd_wipe)
    reset = commands.add_parser(
        "reset", help="remove the data `make run` keeps between runs (EMULATOR_DATA_DIR)"
    )
    reset.set_defaults(func=_cmd_reset)
    env = commands.add_parser("env", help="print the environment exports")
    env.add_argument("--only", help=only_help)
    env.set_defaults(func=_cmd_env)
    check = commands.add_parser("check", help="check the ports they would take; start nothing")
    check.add_argument("--only", help=only_help)
    check.add_argument(
        "--port", help="the service's PORT, checked too (empty: $PORT, from .env too, or 8000)"
    )
    check.add_argument(
        "--cli",
        nargs=argparse.REMAINDER,
        help="`make cli`'s ARGS, last: no port is checked for a command that reaches no data",
    )
    check.set_defaults(func=_cmd_check)
    install = commands.add_parser(
        "install", help="install the npm tools (the tests' too), check the prerequisites"
    )
    install.add_argument(
        "--npm-only",
        action="store_true",
        help="only the npm registry's tools, into .tools (needs no venv: `make -j2 venv tools`)",
    )
    install.add_argument(
        "--for-run",
        action="store_true",
        help="only the emulators' npm tools (firebase-tools, maildev), not the tests'",
    )
    install.set_defaults(func=_cmd_install)
    args = parser.parse_args(argv)
    try:
        load_dotenv(os.environ)
        code: int = args.func(args)
    except EmulatorError as exc:
        print(f"emulators: error: {exc}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
