"""A first `make run` is quiet (docs/decisions/0514-a-quiet-first-make-run.md): the installs
print what they do, not each package nor npm's warnings, and `make run` installs the
emulators' npm tools alone, where `make test` and .ci/run (`make tools`) install the tests'
too; a failed install still shows npm's last lines."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from scripts import emulators
from scripts.emulators import (
    FIREBASE_TOOLS,
    LIGHTHOUSE,
    MAILDEV,
    NPM_TOOLS,
    RUN_NPM_TOOLS,
    EmulatorError,
    ensure_npm_tools,
)

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]

# npm as the tests' stand-in: 170 lines of warnings, then the packages' files (exit 0), or
# an error (exit 1) with FAIL_NPM set.
FAKE_NPM = """\
#!/bin/sh
for n in $(seq 170); do echo "npm warn deprecated package-$n@1.0.0: no longer supported"; done
if [ -n "$FAIL_NPM" ]; then echo "npm error code E404 no such package" >&2; exit 1; fi
prefix=$3
shift 3
for spec in "$@"; do
  case "$spec" in --*) continue;; esac
  name=${spec%@*}; version=${spec##*@}
  mkdir -p "$prefix/node_modules/$name/bin" "$prefix/node_modules/.bin"
  echo "{\\"version\\": \\"$version\\"}" > "$prefix/node_modules/$name/package.json"
  touch "$prefix/node_modules/.bin/${name%-tools}" "$prefix/node_modules/$name/lib.js"
done
"""


def recipes(*goals: str) -> str:
    """What make would run for ``goals`` (-n: nothing runs), every target remade (-B)."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    done = subprocess.run(
        ["make", "-n", "-B", "--no-print-directory", *goals],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def test_make_run_installs_the_emulators_npm_tools_and_make_test_every_one() -> None:
    run = recipes("run")
    assert "scripts/emulators.py install --for-run" in run
    assert "install --npm-only" not in run and "scripts/emulators.py install\n" not in run
    test = recipes("test")  # .ci/run: `make venv tools`, then `make test`
    assert "scripts/emulators.py install --npm-only" in test
    assert "scripts/emulators.py install\n" in test
    assert [tool.package for tool in RUN_NPM_TOOLS] == ["firebase-tools", "maildev"]
    assert set(NPM_TOOLS) - set(RUN_NPM_TOOLS) == {
        emulators.OIDC_PROVIDER,
        emulators.OAUTH4WEBAPI,
        emulators.OPENID_CLIENT,
        LIGHTHOUSE,
    }


def test_the_venvs_install_is_quiet() -> None:
    venv = recipes("venv")
    installs = [line for line in venv.splitlines() if " pip install " in line]
    assert installs and all("--quiet" in line for line in installs), installs


@pytest.fixture
def fake_npm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A root of its own, and npm's stand-in first on PATH (node is the machine's)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    npm = bin_dir / "npm"
    npm.write_text(FAKE_NPM)
    npm.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    root = tmp_path / "checkout"
    root.mkdir()
    return root


def test_npm_says_nothing_of_its_own_when_the_install_succeeds(
    fake_npm: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    installed = ensure_npm_tools(fake_npm, RUN_NPM_TOOLS)
    assert installed == [FIREBASE_TOOLS, MAILDEV]
    out, err = capfd.readouterr()
    assert out == ""
    assert "installing firebase-tools@" in err and "npm warn" not in err
    assert "package-170" in (fake_npm / ".local" / "npm-install.log").read_text()
    assert ensure_npm_tools(fake_npm, RUN_NPM_TOOLS) == []  # there now: nothing runs


def test_a_failed_npm_install_shows_npms_last_lines(
    fake_npm: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAIL_NPM", "1")
    with pytest.raises(EmulatorError) as failed:
        ensure_npm_tools(fake_npm, [LIGHTHOUSE])
    assert "npm error code E404 no such package" in str(failed.value)
    assert "npm-install.log" in str(failed.value)
    assert capfd.readouterr().out == ""
