"""`make cli` as a pipe (docs/configuration.md#local-emulators): its standard output is the
command's answer alone, what it does first and the service's logs going to standard error, so
`make cli ARGS="users export" > users.jsonl` and `| jq` work; and `rules export` prints the
rules library without starting an emulator or writing a file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from interfaces.cli.rules import library
from tests.support.servers import ROOT, free_port
from tests.support.settings import TEST_MFA_KEY, TEST_SECRET

pytestmark = pytest.mark.e2e

RUN_LOCAL = [sys.executable, str(ROOT / "scripts" / "run_local.py"), "--cli"]


def environment(**extra: str) -> dict[str, str]:
    """The local profile's, with the test secrets; no outer make's flags (`make test`)."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    env.update(
        APP_PROFILE="local",
        GOOGLE_CLOUD_PROJECT="demo-firegate",
        JWT_SECRET=TEST_SECRET,
        MFA_ENCRYPTION_KEY=TEST_MFA_KEY,
        EMULATOR_DATA_DIR="off",  # the session's emulators are reused, and nothing is kept
        LOG_LEVEL="INFO",
        **extra,
    )
    return env


def run(command: list[str], env: dict[str, str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        text=True,
        timeout=240,
        check=False,
        **kwargs,
    )


def test_make_cli_prints_the_rules_library_alone_and_starts_no_emulator() -> None:
    # Emulators on ports nobody uses: a start would take a minute and say so on stderr.
    env = environment(
        FIRESTORE_EMULATOR_HOST=f"127.0.0.1:{free_port()}",
        FIREBASE_AUTH_EMULATOR_HOST=f"127.0.0.1:{free_port()}",
        PUBSUB_EMULATOR_HOST=f"127.0.0.1:{free_port()}",
        STORAGE_EMULATOR_HOST=f"http://127.0.0.1:{free_port()}",
        SMTP_URL=f"smtp://127.0.0.1:{free_port()}",
        MAILDEV_WEB_PORT=str(free_port()),
    )
    untracked = ROOT / "firegate.rules"
    was_there = untracked.exists()
    make = ["make", "--no-print-directory", "cli", "ARGS=rules export"]
    done = run(make, env, capture_output=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout == library()  # `| pbcopy`, `> firegate.rules`: the block alone
    assert "emulators ready" not in done.stderr and "started" not in done.stderr
    assert untracked.exists() == was_there  # no file left behind in the checkout


def test_a_commands_answer_is_alone_on_stdout_and_the_users_export_pipes(
    clean_emulators: Any, tmp_path: Path
) -> None:
    env = environment()
    people = tmp_path / "people.jsonl"
    people.write_text(
        "".join(
            json.dumps({"username": name, "email": f"{name}@example.com", "password_hash": None})
            + "\n"
            for name in ("ada", "grace")
        )
    )
    imported = run(
        [*RUN_LOCAL, "users", "import", str(people), "--format", "jsonl"], env, capture_output=True
    )
    assert imported.returncode == 0, imported.stderr[-3000:]
    assert json.loads(imported.stdout)["imported"] == 2  # one line, the summary: `| jq`

    # Through make, as a person types it: an audit event is logged, on stderr.
    promoted = run(
        ["make", "--no-print-directory", "cli", "ARGS=users set-role ada admin"],
        env,
        capture_output=True,
    )
    assert promoted.returncode == 0, promoted.stderr[-3000:]
    assert promoted.stdout.splitlines() == [promoted.stdout.strip()]
    assert promoted.stdout.startswith("ada (") and promoted.stdout.endswith(" is now admin\n")
    assert '"severity"' in promoted.stderr  # the service's JSON log lines

    # `make cli ARGS="users export" > users.jsonl`: the users alone, readable by their owner.
    exported = tmp_path / "users.jsonl"
    with exported.open("w") as out:
        os.fchmod(out.fileno(), 0o644)  # as a shell's umask makes it
        done = run([*RUN_LOCAL, "users", "export"], env, stdout=out, stderr=subprocess.PIPE)
    assert done.returncode == 0, done.stderr[-3000:]
    users = [json.loads(line) for line in exported.read_text().splitlines()]
    assert sorted(user["username"] for user in users) == ["ada", "grace"]
    assert json.loads(done.stderr.strip().splitlines()[-1]) == {"exported": 2, "format": "jsonl"}
    assert (exported.stat().st_mode & 0o777) == 0o600
