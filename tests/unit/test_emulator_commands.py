"""The Java emulators' command lines: the JVM options of their set, which the tests' sets
give (``QUICK_JIT``, tests/emulator_fixtures.py) and `make run`'s do not."""

from __future__ import annotations

from pathlib import Path

import pytest
from scripts.emulators import QUICK_JIT, EmulatorSet

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("service", ["firestore", "pubsub"])
def test_a_java_emulator_runs_with_the_jvm_options_of_its_set(tmp_path: Path, service: str) -> None:
    quick, _ = EmulatorSet(root=tmp_path, java_options=QUICK_JIT)._command(service)
    plain, _ = EmulatorSet(root=tmp_path)._command(service)
    assert quick[1 : 1 + len(QUICK_JIT)] == list(QUICK_JIT)  # options before the class or JAR
    assert [word for word in quick if word not in QUICK_JIT] == plain
