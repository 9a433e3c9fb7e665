"""What a set of emulators keeps (scripts/emulators.py, EmulatorSet.save) once it has stopped:
nothing, and the last copy stays. Saving and loading on the real emulators, and a save that
fails, are `make run`'s, in tests/e2e/test_run_local.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from scripts.emulators import EmulatorError, EmulatorSet

from tests.support.servers import free_port

pytestmark = pytest.mark.unit


def test_a_stopped_set_saves_nothing_and_the_last_copy_stays(tmp_path: Path) -> None:
    data_dir = tmp_path / "kept"
    (data_dir / "copy-1" / "firestore").mkdir(parents=True)
    (data_dir / "current").symlink_to("copy-1")
    emulators = EmulatorSet(
        services=("firestore", "auth"),
        firestore_port=free_port(),
        auth_port=free_port(),
        root=tmp_path,
        data_dir=data_dir,
    )
    # Started with the kept data loaded: a process stands in for each emulator, and nothing
    # answers on their ports, so a save now reaches for them and fails.
    for service in emulators.services:
        emulators._procs[service] = subprocess.Popen(
            [sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True
        )
    emulators._loaded = True
    with pytest.raises(EmulatorError):
        emulators.save()

    emulators.stop()
    assert emulators.save() is None
    assert (data_dir / "current").resolve() == (data_dir / "copy-1").resolve()
    assert sorted(path.name for path in data_dir.iterdir()) == ["copy-1", "current"]
