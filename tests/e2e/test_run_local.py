"""The local profile with no secrets configured, under ``make run``'s launcher
(scripts/run_local.py) and under gunicorn alone (docker-compose.yml): the development secrets
made for the run are shared by every worker (docs/configuration.md). And a newcomer's first
``make run`` with the emulators moved to a block of consecutive ports: it starts, and what it
prints leads to a working inbox and to the pages on localhost, once they answer; the project's
firestore.rules hold Firebase clients to them, and to each change of them."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyotp
import pytest
import requests

from tests.support.api import PASSWORD
from tests.support.emulators import load_emulators_module
from tests.support.firebase_client import person
from tests.support.servers import ROOT, serving
from tests.support.workers import local_dir

pytestmark = pytest.mark.e2e
SECRETS = ("JWT_SECRET", "JWT_PRIVATE_KEY", "MFA_ENCRYPTION_KEY", "JOB_PUSH_TOKEN")


def post(url: str, path: str, body: dict[str, Any], token: str = "") -> requests.Response:
    # A new connection per request: gunicorn hands each to whichever worker accepts it.
    headers = {"Authorization": f"Bearer {token}", "Connection": "close"} if token else {}
    return requests.post(url + path, json=body, headers=headers, timeout=60)


@pytest.mark.parametrize(
    "launcher",
    [
        pytest.param([sys.executable, str(ROOT / "scripts" / "run_local.py")], id="make-run"),
        pytest.param([], id="gunicorn"),  # serving()'s gunicorn command line, on $PORT
    ],
)
def test_ten_totp_enrolments_with_two_workers(launcher: list[str], firestore: Any) -> None:
    log = "run-local-e2e.log" if launcher else "local-profile-gunicorn-e2e.log"
    with serving(log, command=launcher, unset=SECRETS, WEB_CONCURRENCY="2") as url:
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
    assert statuses == [200] * 10


# Every variable that would point run_local at other emulators, secrets or addresses.
_NEWCOMER_UNSET = (
    "APP_PROFILE", "PUBLIC_URL", "WEBAUTHN_RP_ID", "WEBAUTHN_ORIGINS", "MAILDEV_URL",
    "FIREBASE_EMULATOR_HUB_PORT", "FIREBASE_EMULATOR_LOGGING_PORT", "GCLOUD_PROJECT",
    "GOOGLE_CLOUD_PROJECT", "STORAGE_BUCKET", "JOB_QUEUE", *SECRETS,
)  # fmt: skip
PRINTED_URL = re.compile(r"https?://[^\s,;)]+")


def _free_block(first: int, size: int, last: int) -> int:
    """The first port of ``size`` consecutive free ports from ``first`` (below ``last``)."""
    for base in range(first, last - size, size):
        try:
            for port in range(base, base + size):
                with socket.socket() as sock:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise AssertionError(f"no {size} free consecutive ports in {first}-{last}")


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
        time.sleep(0.2)


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


def test_make_run_on_a_block_of_ports_starts_keeps_users_across_ctrl_c_and_make_reset(
    tmp_path: Path,
) -> None:
    """``make run`` with the emulators on a block of consecutive ports starts the first time
    (firebase-tools' hub and logging ports must not land on Pub/Sub's or Storage's), prints
    addresses that lead to pages and a new account's mail in the printed inbox; it keeps the
    accounts across Ctrl-C, and ``make reset`` empties what it keeps."""
    # Firestore, Auth, Pub/Sub, Storage, then maildev's SMTP and web page, one after the other.
    base = _free_block(int(os.environ.get("RUN_LOCAL_KEEP_TEST_PORTS", "18141")), 12, 18240)
    kept = tmp_path / "kept"
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
        WEB_CONCURRENCY="1",
        EMULATOR_DATA_DIR=str(kept),
    )
    url = f"http://localhost:{base + 10}"
    # An account in the Auth emulator too (the Firebase token exchange signs in there).
    identity = f"http://127.0.0.1:{base + 1}/identitytoolkit.googleapis.com/v1/accounts"
    firebase_user = {"email": "fb@example.com", "password": PASSWORD, "returnSecureToken": True}
    log = local_dir() / "run-local-kept-data-e2e.log"
    log.write_bytes(b"")

    began = time.monotonic()
    proc, printed = _run_local(env, log)
    try:
        ready = time.monotonic() - began
        print(f"make run with the ports moved to {base}-{base + 5}: ready in {ready:.1f} s")
        said = [line for line in printed.splitlines() if line.startswith("run_local:")]
        urls = [found for line in said for found in PRINTED_URL.findall(line)]
        assert f"{url}/sign-in" in urls
        assert all(found.startswith("http://localhost:") for found in urls), said
        inbox = next(found for found in urls if found.endswith(f":{base + 5}/"))
        page = requests.get(inbox, headers={"Accept": "text/html"}, timeout=10)
        assert page.status_code == 200 and "<title>MailDev</title>" in page.text
        assert requests.get(f"{url}/sign-in", timeout=10).status_code == 200

        address = "keeper@example.com"
        body = {"username": "keeper", "email": address, "password": PASSWORD}
        assert requests.post(f"{url}/register", json=body, timeout=60).status_code == 201
        made = requests.post(f"{identity}:signUp?key=any", json=firebase_user, timeout=30)
        assert made.status_code == 200, made.text
        deadline = time.monotonic() + 60
        while True:
            listed = requests.get(inbox + "api/email", timeout=10).json()
            mails = [m for m in listed if any(r["address"] == address for r in m["to"])]
            if mails or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        assert mails, "no mail to the new account in the printed inbox"
        assert f"{url}/verify-email?token=" in mails[0]["text"]
    finally:
        first = _ctrl_c(proc)
    printed = log.read_text(errors="replace")
    assert first in (0, 130, -signal.SIGINT), printed[-3000:]
    assert f"data kept in {kept}" in printed, printed[-3000:]
    assert "the last run's data loaded" not in printed

    proc, _ = _run_local(env, log)
    try:
        login = {"username": "keeper", "password": PASSWORD}
        signed_in = requests.post(f"{url}/login", json=login, timeout=60)
        assert signed_in.status_code == 200, signed_in.text
        again = requests.post(
            f"{identity}:signInWithPassword?key=any", json=firebase_user, timeout=30
        )
        assert again.status_code == 200, again.text
    finally:
        _ctrl_c(proc)
    assert "the last run's data loaded" in log.read_text(errors="replace")

    reset = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "emulators.py"), "reset"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert reset.returncode == 0 and f"removed {kept}" in reset.stdout, reset
    assert not kept.exists()


PROFILE_RULE = "allow read, write: if isFiregateAccount(uid);"


def test_make_run_holds_firebase_clients_to_the_projects_rules_and_to_their_changes(
    tmp_path: Path,
) -> None:
    base = _free_block(int(os.environ.get("RUN_LOCAL_RULES_TEST_PORTS", "18201")), 12, 18300)
    rules = tmp_path / "firestore.rules"  # the shipped file, with firegate's rules library
    rules.write_text((ROOT / "firestore.rules").read_text(encoding="utf-8"), encoding="utf-8")
    assert PROFILE_RULE in rules.read_text(encoding="utf-8")
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
        WEB_CONCURRENCY="1",
        EMULATOR_DATA_DIR="off",
        EMULATOR_RULES=str(rules),
    )
    emulators = load_emulators_module().EmulatorSet.from_env(environ=env)
    log = local_dir() / "run-local-rules-e2e.log"
    log.write_bytes(b"")
    proc, printed = _run_local(env, log)
    try:
        assert f"{rules} loaded into the Firestore emulator" in printed, printed[-3000:]
        ada = person(f"http://localhost:{base + 10}", emulators, "ada")
        grace = person(f"http://localhost:{base + 10}", emulators, "grace")
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
            assert time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
            time.sleep(0.3)
        assert ada.write(f"profiles/{ada.user_id}", "Ada L.").status_code == 200
        assert f"{rules} changed: loaded into the Firestore emulator again" in log.read_text()
    finally:
        status = _ctrl_c(proc)
    assert status in (0, 130, -signal.SIGINT), log.read_text()[-3000:]
