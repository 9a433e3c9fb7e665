"""glibc reads MALLOC_ARENA_MAX from the environment of each process: the image sets it
(tests/e2e/test_container_command.py reads its ENV) and so does `make run`, unless the
environment has a value of its own (docs/decisions/0004-malloc-arenas.md)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from tests.support.scripts import SCRIPTS, load_script

pytestmark = pytest.mark.unit


@pytest.fixture
def run_local(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(SCRIPTS))  # its sibling modules, as when it is run
    return load_script("run_local")


def test_make_run_gives_each_thread_its_arena(run_local: ModuleType, tmp_path: Path) -> None:
    environ: dict[str, str] = {}
    run_local.apply_local_defaults(environ, tmp_path / "secrets.json")
    assert environ["MALLOC_ARENA_MAX"] == "64"


def test_a_value_of_the_environment_wins(run_local: ModuleType, tmp_path: Path) -> None:
    environ = {"MALLOC_ARENA_MAX": "2"}
    run_local.apply_local_defaults(environ, tmp_path / "secrets.json")
    assert environ["MALLOC_ARENA_MAX"] == "2"
