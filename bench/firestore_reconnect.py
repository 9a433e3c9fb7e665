#!/usr/bin/env python3
"""How long a process's gRPC calls to Firestore keep failing once Firestore is back.

    .venv/bin/python bench/firestore_reconnect.py [--outages 20 90]

A Firestore emulator of its own (a free port, stopped and started here), and two clients in
this process: the client library's own (`firestore.Client`) and the one firegate's workers
use (`infrastructure.firestore.internals.ReconnectingClient`). For each outage: both read a
document every 0.5 s while the emulator is down, then the emulator starts again, and each
client reads every 0.1 s until a read succeeds. The figure is that read's time after the
emulator answered again. gRPC waits longer before each reconnection attempt (up to 120 s by
default); firegate's channel waits at most 2 s. Target (docs/benchmarks.md): firegate's
client back within 4 s of Firestore after every outage. Writes
bench/results/firestore_reconnect.json; exits 1 on a miss.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _common import ROOT, free_port, loadavg, write_result
from emulators import EmulatorSet

sys.path.insert(0, str(ROOT / "src"))

TARGET_SECONDS = 4.0  # the longest wait (2 s), its jitter (20 %), a connection and a read
PROJECT = "demo-reconnect"


def readable(document: Any) -> bool:
    try:
        document.get(retry=None, timeout=2)
    except Exception:  # any failure is "not back yet"
        return False
    return True


def back_after(document: Any, since: float, found: dict[str, float], name: str) -> None:
    while not readable(document):
        time.sleep(0.1)
    found[name] = round(time.monotonic() - since, 2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outages", type=float, nargs="+", default=[20.0, 90.0])
    args = parser.parse_args()

    emulator = EmulatorSet(
        project=PROJECT,
        services=("firestore",),
        firestore_port=free_port(),
        root=Path(tempfile.mkdtemp(prefix="reconnect-")),
    )
    emulator.start(timeout=120)
    os.environ["FIRESTORE_EMULATOR_HOST"] = emulator.netloc("firestore")
    from google.auth.credentials import AnonymousCredentials  # noqa: PLC0415 - after the path
    from google.cloud import firestore  # noqa: PLC0415

    from infrastructure.firestore.internals import ReconnectingClient  # noqa: PLC0415

    credentials = AnonymousCredentials()  # type: ignore[no-untyped-call]
    clients = {
        "client library": firestore.Client(project=PROJECT, credentials=credentials),
        "firegate": ReconnectingClient(project=PROJECT, credentials=credentials),
    }
    documents = {name: c.collection("probe").document("one") for name, c in clients.items()}
    rows: list[dict[str, Any]] = []
    try:
        for outage in args.outages:
            if not all(readable(d) for d in documents.values()):
                raise SystemExit("Firestore not readable before the outage")
            emulator.stop()
            began = time.monotonic()
            while time.monotonic() - began < outage:
                for document in documents.values():
                    readable(document)
                time.sleep(0.5)
            emulator.start(timeout=120)
            since, found = time.monotonic(), {}
            waits = [
                threading.Thread(target=back_after, args=(d, since, found, name))
                for name, d in documents.items()
            ]
            for wait in waits:
                wait.start()
            for wait in waits:
                wait.join()
            rows.append({"outage_s": outage, **found})
            print(
                f"outage {outage:.0f} s: back after "
                + ", ".join(f"{name} {found[name]:.1f} s" for name in documents)
            )
    finally:
        emulator.stop()
    met = all(row["firegate"] <= TARGET_SECONDS for row in rows)
    write_result(
        "firestore_reconnect",
        {"rows": rows, "target_s": TARGET_SECONDS, "met": met, "loadavg": loadavg()},
    )
    print(f"target: firegate back within {TARGET_SECONDS:.0f} s: {'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
