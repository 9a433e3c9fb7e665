"""Which parallel test worker (pytest-xdist) this process is, its own folder under ``.local``
for the logs of the servers its tests start, and the order the workers are handed the test
files in (docs/testing.md#parallel-workers)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def worker() -> tuple[int, int] | None:
    """(index, count) of this pytest-xdist worker: (1, 3) for gw1 of three; None in a run
    without workers."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "")  # gw0, gw1, ...
    if not name.startswith("gw"):
        return None
    return int(name[2:]), int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1)


def local_dir() -> Path:
    """``.local``, or ``.local/gw<i>`` in worker i: the folder for a test's server logs, whose
    fixed names two workers would otherwise share."""
    found = worker()
    folder = ROOT / ".local" if found is None else ROOT / ".local" / f"gw{found[0]}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# Files whose tests take long whatever their number: a browser or a gunicorn in each test,
# `make run`'s own emulators, a Firestore emulator stopped and started, a long property test.
LONG_FILES = frozenset(
    (
        "test_run_local.py",
        "test_run_local_telemetry.py",
        "test_faults.py",
        "test_access_equivalence.py",
    )
)
LONG_SUFFIXES = ("_browser.py", "_gunicorn.py")


def takes_long(path: Path) -> bool:
    """Whether a test file is one of the long ones: its name says a browser or gunicorn, or
    it is named in ``LONG_FILES``, or it replays the conformance suite."""
    return (
        path.name.endswith(LONG_SUFFIXES)
        or path.name in LONG_FILES
        or (path.parent.name == "conformance")
    )


def long_files_first[T](files: Sequence[tuple[Path, Sequence[T]]]) -> list[T]:
    """The tests of ``files`` (each with its tests, in their order) in the order the workers
    are handed whole files (``--dist loadfile --no-loadscope-reorder``): the long files first,
    then the others, each group by its number of tests, most first (xdist's own order), so
    that the last files handed out are short ones and no worker runs a long file alone at the
    end (docs/testing.md#parallel-workers)."""
    ranked = sorted(
        range(len(files)),
        key=lambda at: (not takes_long(files[at][0]), -len(files[at][1]), at),
    )
    return [test for at in ranked for test in files[at][1]]
