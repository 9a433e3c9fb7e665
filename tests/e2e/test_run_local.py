"""``make run`` (scripts/run_local.py) and the local profile with no secrets configured
(docs/configuration.md#local-emulators).

One ``make run`` started as a newcomer starts it, with the emulators moved to a block of
consecutive ports, serves the module's tests (``first_run``): it starts, and what it prints
leads to the pages and to a working inbox; the development secrets made for the run are
shared by its two workers; the project's firestore.rules hold Firebase clients to them, and
to each change of them. The last test stops it with Ctrl-C and starts ``make run`` again: what
it kept is loaded, a save that fails keeps the last copy whole, and ``make reset`` empties it.
gunicorn alone (docker-compose.yml's command) is held to the same shared secrets."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyotp
import pytest
import requests

from tests.support.api import PASSWORD
from tests.support.emulators import load_emulators_module
from tests.support.firebase_client import person
from tests.support.servers import ROOT, serving, workers_serving
from tests.support.settings import NO_RANGE_API, RELAXED_RATE_LIMITS
from tests.support.workers import local_dir

pytestmark = pytest.mark.e2e
SECRETS = ("JWT_SECRET", "JWT_PRIVATE_KEY", "MFA_ENCRYPTION_KEY", "JOB_PUSH_TOKEN")


def post(url: str, path: str, body: dict[str, Any], token: str = "") -> requests.Response:
    # A new connection per request: gunicorn hands each to whichever worker accepts it.
    headers = {"Authorization": f"Bearer {token}", "Connection": "close"} if token else {}
    return requests.post(url + path, json=body, headers=headers, timeout=60)


def ten_totp_enrolments(url: str) -> list[int]:
    """Ten accounts each enrol TOTP over new connections, once both of the server's workers
    serve: the confirmations' statuses (a secret sealed by one worker and opened by the other
    needs the key they share)."""
    deadline = time.monotonic() + 60
    while workers_serving(url) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert workers_serving(url) == 2, "the second worker never served"
    statuses = []
    for n in range(10):
        username = f"user{n}"
        body = {"username": username, "email": f"{username}@example.com"}
        assert post(url, "/register", {**body, "password": PASSWORD}).status_code == 201
        login = post(url, "/login", {"username": username, "password": PASSWORD})
        assert login.status_code == 200, login.text
        token = login.json()["access_token"]
        started = post(url, "/auth/mfa/totp", {"password": PASSWORD}, token)
        assert started.status_code == 200, started.text
        code = pyotp.TOTP(started.json()["secret"]).now()
        confirmed = post(url, "/auth/mfa/totp/confirm", {"code": code}, token)
        statuses.append(confirmed.status_code)
    return statuses


def test_ten_totp_enrolments_with_two_workers_of_gunicorn_alone(firestore: Any) -> None:
    """serving()'s gunicorn command line on $PORT, as docker-compose.yml runs it."""
    with serving("local-profile-gunicorn-e2e.log", unset=SECRETS, WEB_CONCURRENCY="2") as url:
        assert ten_totp_enrolments(url) == [200] * 10


# Every variable that would point run_local at other emulators, secrets or addresses.
_NEWCOMER_UNSET = (
    "APP_PROFILE", "PUBLIC_URL", "WEBAUTHN_RP_ID", "WEBAUTHN_ORIGINS", "MAILDEV_URL",
    "FIREBASE_EMULATOR_HUB_PORT", "FIREBASE_EMULATOR_LOGGING_PORT", "GCLOUD_PROJECT",
    "GOOGLE_CLOUD_PROJECT", "STORAGE_BUCKET", "JOB_QUEUE", "EMULATOR_RULES", *SECRETS,
)  # fmt: skip
PRINTED_URL = re.compile(r"https?://[^\s,;)]+")
PROFILE_RULE = "allow read, write: if isFiregateAccount(uid);"
FIREBASE_USER = {"email": "fb@example.com", "password": PASSWORD, "returnSecureToken": True}


def _free_block(first: int, size: int) -> int:
    """The first port of ``size`` consecutive free ports from ``first`` on."""
    for base in range(first, first + 100 * size, size):
        try:
            for port in range(base, base + size):
                with socket.socket() as sock:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise AssertionError(f"no {size} free consecutive ports from {first}")


def _wait_for_line(
    log: Path, proc: subprocess.Popen[bytes], text: str, timeout: float, start: int = 0
) -> str:
    """What ``proc`` printed into ``log`` from byte ``start`` on, once it holds ``text``."""
    deadline = time.monotonic() + timeout
    while True:
        printed = log.read_bytes()[start:].decode(errors="replace")
        if text in printed:
            return printed
        if proc.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"run_local did not print {text!r}:\n{printed[-4000:]}")
        time.sleep(0.1)


def _run_local(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """scripts/run_local.py in its own process group, as a terminal runs `make run`; once it
    prints where to sign in (and gunicorn then answers /healthz at once): the process, and
    what it printed until then."""
    start = log.stat().st_size if log.exists() else 0  # a second run appends to the first's
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "scripts" / "run_local.py")],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        printed = _wait_for_line(log, proc, "/sign-in", timeout=180, start=start)
        # Printed only once gunicorn answers: the address leads to a page at once.
        try:
            health = requests.get(f"http://localhost:{env['PORT']}/healthz", timeout=5)
        except requests.ConnectionError as exc:
            raise AssertionError(f"'sign in at' printed before the port listens: {exc}") from exc
        assert health.status_code == 200, health.text
        return proc, printed
    except BaseException:
        _ctrl_c(proc)
        raise


def _ctrl_c(proc: subprocess.Popen[bytes]) -> int:
    """SIGINT to the process group, as Ctrl-C in the terminal; the exit status."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return proc.returncode


@dataclass
class FirstRun:
    """A newcomer's first ``make run``, its emulators on the block from ``base``: Firestore,
    Auth, Pub/Sub, Storage, then maildev's SMTP and web page, one after the other, and the
    service on ``base + 10``."""

    base: int
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen[bytes]
    printed: str  # until it said where to sign in

    @property
    def url(self) -> str:
        return f"http://localhost:{self.base + 10}"

    @property
    def kept(self) -> Path:
        return Path(self.env["EMULATOR_DATA_DIR"])

    @property
    def rules(self) -> Path:
        return Path(self.env["EMULATOR_RULES"])

    def identity(self, action: str) -> str:
        """The Auth emulator's REST action (the Firebase token exchange signs in there)."""
        return (
            f"http://127.0.0.1:{self.base + 1}/identitytoolkit.googleapis.com/v1/"
            f"accounts:{action}?key=any"
        )


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FirstRun]:
    """``make run`` with nothing set that would point it at other emulators, secrets or
    addresses, but the block of ports, two workers, a folder of its own for what it keeps and
    a copy of the project's firestore.rules (which a test edits); relaxed request limits and
    no breached-password API, as every served test has them. One start for the module: the
    last test stops it (Ctrl-C), or the module's end does."""
    base = _free_block(int(os.environ.get("RUN_LOCAL_TEST_PORTS", "18141")), 12)
    folder = tmp_path_factory.mktemp("make-run")
    rules = folder / "firestore.rules"  # the shipped file, with firegate's rules library
    rules.write_text((ROOT / "firestore.rules").read_text(encoding="utf-8"), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.endswith("_EMULATOR_HOST")}
    for name in _NEWCOMER_UNSET:
        env.pop(name, None)
    env.update(
        FIRESTORE_EMULATOR_HOST=f"127.0.0.1:{base}",
        FIREBASE_AUTH_EMULATOR_HOST=f"127.0.0.1:{base + 1}",
        PUBSUB_EMULATOR_HOST=f"127.0.0.1:{base + 2}",
        STORAGE_EMULATOR_HOST=f"http://127.0.0.1:{base + 3}",
        SMTP_URL=f"smtp://127.0.0.1:{base + 4}",
        MAILDEV_WEB_PORT=str(base + 5),
        PORT=str(base + 10),
        WEB_CONCURRENCY="2",
        EMULATOR_DATA_DIR=str(folder / "kept"),
        EMULATOR_RULES=str(rules),
        BREACHED_PASSWORDS_URL=NO_RANGE_API,
        **RELAXED_RATE_LIMITS,
    )
    log = local_dir() / "run-local-e2e.log"
    log.write_bytes(b"")
    proc, printed = _run_local(env, log)
    try:
        yield FirstRun(base, env, log, proc, printed)
    finally:
        _ctrl_c(proc)


def test_a_newcomers_make_run_on_a_block_of_ports_leads_to_its_pages_and_mail(
    first_run: FirstRun,
) -> None:
    """It starts every emulator the first time (firebase-tools' hub and logging ports must not
    land on Pub/Sub's or Storage's), and prints addresses that lead to pages and to a new
    account's mail in the printed inbox."""
    run = first_run
    said = [line for line in run.printed.splitlines() if line.startswith("run_local:")]
    assert any(line.startswith("run_local: emulators ready:") for line in said), said
    assert "(reused)" not in run.printed, said
    urls = [found for line in said for found in PRINTED_URL.findall(line)]
    assert f"{run.url}/sign-in" in urls
    assert all(found.startswith("http://localhost:") for found in urls), said
    inbox = next(found for found in urls if found.endswith(f":{run.base + 5}/"))
    page = requests.get(inbox, headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code == 200 and "<title>MailDev</title>" in page.text
    assert requests.get(f"{run.url}/sign-in", timeout=10).status_code == 200

    address = "newcomer@example.com"
    body = {"username": "newcomer", "email": address, "password": PASSWORD}
    assert requests.post(f"{run.url}/register", json=body, timeout=60).status_code == 201
    deadline = time.monotonic() + 60
    while True:
        listed = requests.get(inbox + "api/email", timeout=10).json()
        mails = [m for m in listed if any(r["address"] == address for r in m["to"])]
        if mails or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert mails, "no mail to the new account in the printed inbox"
    assert f"{run.url}/verify-email?token=" in mails[0]["text"]


def test_ten_totp_enrolments_with_two_workers_of_make_run(first_run: FirstRun) -> None:
    """The development secrets make run made (none was set) are every worker's."""
    assert ten_totp_enrolments(f"http://127.0.0.1:{first_run.base + 10}") == [200] * 10


def test_make_run_holds_firebase_clients_to_the_projects_rules_and_to_their_changes(
    first_run: FirstRun,
) -> None:
    run, rules = first_run, first_run.rules
    assert PROFILE_RULE in rules.read_text(encoding="utf-8")
    assert f"{rules} loaded into the Firestore emulator" in run.printed, run.printed[-3000:]
    emulators = load_emulators_module().EmulatorSet.from_env(environ=run.env)
    ada = person(run.url, emulators, "ada")
    grace = person(run.url, emulators, "grace")
    ada.sign_in_to_firebase()
    # Allowed: the account's own profile; refused: another's, and firegate's own data.
    assert ada.write(f"profiles/{ada.user_id}", "Ada").status_code == 200
    assert ada.read(f"profiles/{ada.user_id}").status_code == 200
    assert ada.read(f"profiles/{grace.user_id}").status_code == 403
    assert ada.read(f"users/{ada.user_id}").status_code == 403
    anonymous = requests.get(ada.document(f"profiles/{ada.user_id}"), timeout=30)
    assert anonymous.status_code == 403

    # An edit while it runs: the own profile becomes write-only, within seconds.
    edited = rules.read_text(encoding="utf-8").replace(
        PROFILE_RULE, "allow write: if isFiregateAccount(uid);"
    )
    rules.write_text(edited, encoding="utf-8")
    deadline = time.monotonic() + 30
    while ada.read(f"profiles/{ada.user_id}").status_code != 403:
        assert time.monotonic() < deadline, run.log.read_text(errors="replace")[-3000:]
        time.sleep(0.2)
    assert ada.write(f"profiles/{ada.user_id}", "Ada L.").status_code == 200
    assert f"{rules} changed: loaded into the Firestore emulator again" in run.log.read_text()


def _files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder``, by its path there, with its bytes."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _kill_firestore_emulator(port: int) -> None:
    """SIGKILL to the Firestore emulator (its JVM) listening on ``port``."""
    main_class = load_emulators_module().FIRESTORE_MAIN_CLASS.encode()
    for entry in Path("/proc").iterdir():
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0") if entry.name.isdigit() else []
        except OSError:
            continue
        if main_class not in args or b"--port" not in args:
            continue
        if args[args.index(b"--port") + 1] == str(port).encode():
            os.kill(int(entry.name), signal.SIGKILL)
            return
    raise AssertionError(f"no Firestore emulator on port {port}")


def test_make_run_keeps_its_data_across_ctrl_c_a_failed_save_keeps_the_last_and_reset_empties(
    first_run: FirstRun, emulators: Any
) -> None:
    """Ctrl-C saves what the Firestore and Auth emulators it started hold; the next ``make
    run`` loads it. When the next save fails (the Firestore emulator died), the last copy stays
    whole and current; ``make reset`` removes the folder (docs/decisions/0330)."""
    run, kept = first_run, first_run.kept
    body = {"username": "keeper", "email": "keeper@example.com", "password": PASSWORD}
    assert requests.post(f"{run.url}/register", json=body, timeout=60).status_code == 201
    made = requests.post(run.identity("signUp"), json=FIREBASE_USER, timeout=30)
    assert made.status_code == 200, made.text

    first = _ctrl_c(run.proc)
    printed = run.log.read_text(errors="replace")
    assert first in (0, 130, -signal.SIGINT), printed[-3000:]
    assert f"data kept in {kept}" in printed, printed[-3000:]
    assert "the last run's data loaded" not in printed
    # Everything it started has stopped: the block is free for the next run.
    problems = load_emulators_module().port_problem
    held = [port for port in range(run.base, run.base + 11) if problems("127.0.0.1", port)]
    assert held == [], held
    copy = (kept / "current").resolve()
    assert sorted(p.name for p in kept.iterdir()) == sorted(["current", copy.name])
    accounts = json.loads((copy / "auth" / "accounts.json").read_text(encoding="utf-8"))
    assert FIREBASE_USER["email"] in [user.get("email") for user in accounts["users"]]
    whole = _files(copy)

    # The next `make run`: it starts Firestore and Auth on the block again, with what was kept,
    # and reuses the worker's Pub/Sub, Storage and maildev (which keep nothing); the rules are
    # the project's firestore.rules, as when EMULATOR_RULES is unset.
    shared = emulators.env()
    again = {k: v for k, v in run.env.items() if k != "EMULATOR_RULES"}
    again.update(
        PUBSUB_EMULATOR_HOST=shared["PUBSUB_EMULATOR_HOST"],
        STORAGE_EMULATOR_HOST=shared["STORAGE_EMULATOR_HOST"],
        SMTP_URL=shared["SMTP_URL"],
        MAILDEV_WEB_PORT=str(emulators.mail_web_port),
    )
    start = run.log.stat().st_size
    proc, printed = _run_local(again, run.log)
    try:
        assert "the last run's data loaded" in printed, printed[-3000:]
        assert f"firestore 127.0.0.1:{run.base}, auth 127.0.0.1:{run.base + 1}, " in printed
        assert "run_local: firestore.rules loaded into the Firestore emulator" in printed
        login = {"username": "keeper", "password": PASSWORD}
        signed_in = requests.post(f"{run.url}/login", json=login, timeout=60)
        assert signed_in.status_code == 200, signed_in.text
        again_in = requests.post(run.identity("signInWithPassword"), json=FIREBASE_USER, timeout=30)
        assert again_in.status_code == 200, again_in.text
        # The Firestore emulator dies before the next save, which then fails.
        _kill_firestore_emulator(run.base)
        _wait_for_line(run.log, proc, "the firestore emulator exited", timeout=30, start=start)
    finally:
        second = _ctrl_c(proc)
    printed = run.log.read_bytes()[start:].decode(errors="replace")
    assert second in (0, 130, -signal.SIGINT), printed[-3000:]
    assert "the emulators' data was not saved" in printed, printed[-3000:]
    assert f"{kept} keeps the last run's" in printed
    # The last copy is still the current one, whole; the failed attempt left nothing behind.
    assert (kept / "current").resolve() == copy
    assert sorted(p.name for p in kept.iterdir()) == sorted(["current", copy.name])
    assert _files(copy) == whole

    reset = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "emulators.py"), "reset"],
        env=again,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert reset.returncode == 0 and f"removed {kept}" in reset.stdout, reset
    assert not kept.exists()
