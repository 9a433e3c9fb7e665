"""Which parallel test worker (pytest-xdist) this process is, and its own folder under
``.local`` for the logs of the servers its tests start (docs/testing.md#parallel-workers)."""

from __future__ import annotations

import os
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
