"""The ``.env`` file that `make run`, `make cli` and scripts/emulators.py read: its lines, the
environment winning over it and the lines it overrides named; and the test suite reading
none (docs/configuration.md, "A .env file")."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from scripts import emulators
from scripts.emulators import EmulatorError, EmulatorSet, load_dotenv, parse_dotenv

from tests.support.scripts import SCRIPTS

pytestmark = pytest.mark.unit

MOVED = """\
# moved ports, written once
FIRESTORE_EMULATOR_HOST=127.0.0.1:7580
export FIREBASE_AUTH_EMULATOR_HOST = 127.0.0.1:7581
FIREBASE_EMULATOR_HUB_PORT=7582  # the hub
FIREBASE_EMULATOR_LOGGING_PORT='7583'
PUBSUB_EMULATOR_HOST="127.0.0.1:7584" # quoted

STORAGE_EMULATOR_HOST=http://127.0.0.1:7585
SMTP_URL=smtp://127.0.0.1:2525
MAILDEV_WEB_PORT=2580
SITE_NAME="Acme # Accounts"
EMPTY=
"""


def test_the_lines_of_a_dotenv_file() -> None:
    found = parse_dotenv(MOVED)
    assert found == {
        "FIRESTORE_EMULATOR_HOST": "127.0.0.1:7580",
        "FIREBASE_AUTH_EMULATOR_HOST": "127.0.0.1:7581",
        "FIREBASE_EMULATOR_HUB_PORT": "7582",
        "FIREBASE_EMULATOR_LOGGING_PORT": "7583",
        "PUBSUB_EMULATOR_HOST": "127.0.0.1:7584",
        "STORAGE_EMULATOR_HOST": "http://127.0.0.1:7585",
        "SMTP_URL": "smtp://127.0.0.1:2525",
        "MAILDEV_WEB_PORT": "2580",
        "SITE_NAME": "Acme # Accounts",
        "EMPTY": "",
    }


@pytest.mark.parametrize(
    "line", ["JUST_A_NAME", "1PORT=8000", "A B=c", 'QUOTED="not closed', "Q='a' b"]
)
def test_a_line_of_another_shape_is_an_error_naming_it(line: str) -> None:
    with pytest.raises(EmulatorError, match=r"\.env line 2"):
        parse_dotenv(f"# first\n{line}\n")


def test_the_environment_wins_over_the_file(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text(MOVED, encoding="utf-8")
    environ = {"SMTP_URL": "smtp://127.0.0.1:1025"}
    added = load_dotenv(environ, path).added
    assert "SMTP_URL" not in added and "FIRESTORE_EMULATOR_HOST" in added
    assert environ["SMTP_URL"] == "smtp://127.0.0.1:1025"
    # The emulators' set reads its eight ports from the file's variables.
    emulators = EmulatorSet.from_env(environ=environ, root=tmp_path)
    ports = emulators.planned_ports()
    assert ports == {
        "FIRESTORE_EMULATOR_HOST": 7580,
        "FIREBASE_AUTH_EMULATOR_HOST": 7581,
        "FIREBASE_EMULATOR_HUB_PORT": 7582,
        "FIREBASE_EMULATOR_LOGGING_PORT": 7583,
        "PUBSUB_EMULATOR_HOST": 7584,
        "STORAGE_EMULATOR_HOST": 7585,
        "SMTP_URL": 1025,
        "MAILDEV_WEB_PORT": 2580,
    }


def test_without_a_file_nothing_changes(tmp_path: Path) -> None:
    environ: dict[str, str] = {}
    read = load_dotenv(environ, tmp_path / ".env")
    assert read.added == [] and read.overridden == []
    assert environ == {}


def test_the_script_reads_the_file_for_every_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``scripts/emulators.py env`` (as `make run`'s ``ports`` check and the others) names the
    file's ports, in a shell that exported none of them."""
    path = tmp_path / ".env"
    path.write_text(MOVED, encoding="utf-8")
    monkeypatch.setattr(emulators, "DOTENV", path)
    monkeypatch.setattr(os, "environ", {"PATH": os.environ.get("PATH", "")})
    assert emulators.main(["env"]) == 0
    exports = capsys.readouterr().out
    assert "FIRESTORE_EMULATOR_HOST=127.0.0.1:7580" in exports
    assert "SMTP_URL=smtp://127.0.0.1:2525" in exports


def test_the_lines_the_environment_overrides_are_named(tmp_path: Path) -> None:
    """The machine's SSL_CERT_FILE wins over the file's, and is said to (the same value is
    no override)."""
    path = tmp_path / ".env"
    path.write_text("PORT=8100\nSSL_CERT_FILE=/etc/corp-ca.pem\nSMTP_URL=smtp://x:1\n")
    environ = {"SSL_CERT_FILE": "/etc/ssl/certs/ca.pem", "SMTP_URL": "smtp://x:1"}
    read = load_dotenv(environ, path)
    assert environ["SSL_CERT_FILE"] == "/etc/ssl/certs/ca.pem"  # the environment wins
    assert read.added == ["PORT"]
    assert read.overridden == [(2, "SSL_CERT_FILE")]
    said = read.overrides(".env")
    assert said is not None and "line 2 (SSL_CERT_FILE)" in said and "SMTP_URL" not in said
    assert load_dotenv({}, path).overrides() is None


def test_the_suite_reads_no_dotenv_file(tmp_path: Path) -> None:
    """A checkout with a .env of moved ports, as the docs recommend (here a copy of the
    script with one beside it): what the suite runs reads none of it (DOTENV_FILE=off, set
    for the suite and every process it starts), so its ports stay the suite's own; the same
    copy without that setting reads the file."""
    assert os.environ.get("DOTENV_FILE") == "off"
    checkout = tmp_path / "checkout"
    (checkout / "scripts").mkdir(parents=True)
    shutil.copy(SCRIPTS / "emulators.py", checkout / "scripts" / "emulators.py")
    (checkout / ".env").write_text(MOVED, encoding="utf-8")
    moved = parse_dotenv(MOVED)
    env = {name: value for name, value in os.environ.items() if name not in moved}

    def exports(environ: dict[str, str]) -> str:
        command = [sys.executable, str(checkout / "scripts" / "emulators.py"), "env"]
        done = subprocess.run(
            command, env=environ, capture_output=True, text=True, timeout=60, check=True
        )
        return done.stdout

    assert "7580" not in exports(env)  # the suite's: the file is not read
    without = {name: value for name, value in env.items() if name != "DOTENV_FILE"}
    assert "FIRESTORE_EMULATOR_HOST=127.0.0.1:7580" in exports(without)
