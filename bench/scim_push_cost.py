#!/usr/bin/env python3
"""A directory's push of 1,000 people into one org, counted: what each phase asks of Firestore.

    .venv/bin/python bench/scim_push_cost.py [--people 1000]

Runs tests/e2e/test_scim_push_cost_emulator.py, which the suite runs with 40 people, with
SCIM_PUSH_PEOPLE=1000: 1,000 SCIM creates into one org by 8 parallel clients, then 1,000
changes of their roles, 1,000 grants of a custom role and 1,000 deactivations, through the
app on the counted Firestore client, each phase's jobs included. The test fails when a
document that is no one person's own is written more than once per 100 people in a phase
(here 10 times). Writes each phase's reads, writes, round trips and the writes of its most
written shared document to bench/results/scim_push_cost.json (read back from the test's
``record_property``), and exits with pytest's status. The test's fixture starts (or reuses)
every emulator, on the bench's ports (docs/benchmarks.md, "A directory's push").
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from _common import ROOT, loadavg, use_bench_emulator_ports, write_result

MODULE = "tests/e2e/test_scim_push_cost_emulator.py"
# The emulators the test's fixture starts beside those bench/_common.py places: maildev's.
MAIL_PORTS = {"SMTP_URL": "smtp://127.0.0.1:47125", "MAILDEV_WEB_PORT": "47126"}


def recorded(report: Path) -> dict[str, Any] | None:
    """The figures the test recorded as its ``push`` property, from pytest's JUnit XML."""
    if not report.exists():
        return None
    tree = ElementTree.parse(report)  # noqa: S314 - pytest's own report of this run
    for prop in tree.iter("property"):
        if prop.get("name") == "push":
            found: dict[str, Any] = json.loads(prop.get("value") or "{}")
            return found
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--people", type=int, default=1000)
    args = parser.parse_args()

    use_bench_emulator_ports()
    for name, value in MAIL_PORTS.items():
        os.environ.setdefault(name, value)
    env = {**os.environ, "SCIM_PUSH_PEOPLE": str(args.people)}
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "push.xml"
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"]
        command += ["--timeout=3600", "-o", "junit_family=xunit1", f"--junitxml={report}", MODULE]
        started = time.perf_counter()
        status = subprocess.call(command, cwd=ROOT, env=env)
        seconds = time.perf_counter() - started
        figures = recorded(report)
    if figures is None:
        print(f"scim_push_cost: the test recorded no figures (pytest exit {status})")
        return status or 1
    result = {
        **figures,
        "passed": status == 0,
        "seconds": round(seconds, 1),
        "load_at_end": loadavg(),
        "args": vars(args),
    }
    write_result("scim_push_cost", result)
    print(json.dumps(result, indent=2))
    return status


if __name__ == "__main__":
    sys.exit(main())
