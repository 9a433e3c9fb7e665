#!/usr/bin/env python3
"""What storing a sign-in's security event adds to the login's server CPU.

    .venv/bin/python bench/event_cost.py [--logins 600] [--rounds 3]

A login ends with one Firestore commit that creates the new session. Its security event
(``signin.succeeded``) is staged into that same commit
(docs/decisions/0169-events-in-the-change-commit.md). This script runs the login's last step
the way the service does, on the bench Firestore emulator, ``--logins`` times in each of three
ways, in turn for ``--rounds`` rounds, and prints this process's CPU per login:

- ``without``: the session's commit alone (the login as if no event were stored);
- ``staged``: the audit log stages the event and the session's commit carries it (firegate);
- ``own commit``: the session's commit, then the event's own commit (how events were written
  before they were staged).

The figure that counts is ``staged - without``. Writes bench/results/event_cost.json.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from _common import loadavg, median, start_emulators, wipe_firestore, write_result
from application.events.security_events import StoringAuditLog
from application.ports import NO_WRITES, Audit, AuditEvent
from domain.ids import new_id
from domain.signin.sessions import Session
from infrastructure.audit_log import LoggingAuditLog
from infrastructure.clock import SystemClock
from infrastructure.firestore.client import make_client
from infrastructure.firestore.events.security_events import FirestoreSecurityEvents, write_staged
from infrastructure.firestore.signin.sessions import FirestoreSessionRepository

TARGET_CPU_MS = 0.3


class _Quiet(LoggingAuditLog):
    """The audit log's line costs the same with or without the event: leave it out."""

    def record(self, event: AuditEvent) -> None:
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--logins", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    emulators = start_emulators()
    wipe_firestore(emulators)
    client = make_client(emulators.project)
    sessions, events = (
        FirestoreSessionRepository(client, write_staged=write_staged),
        FirestoreSecurityEvents(client),
    )
    clock = SystemClock()
    audit = StoringAuditLog(_Quiet(), events, clock)

    def session() -> Session:
        return Session.start(
            id=new_id(),
            user_id="u1",
            token_version=0,
            refresh_hash="h" * 43,
            now=clock.now(),
            lifetime=timedelta(days=30),
            user_agent="Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0",
            amr=("pwd",),
        )

    def signed_in(s: Session) -> AuditEvent:
        return AuditEvent(
            Audit.LOGIN, user_id="u1", session_id=s.id, ip="192.0.2.7", user_agent=s.user_agent
        )

    def without() -> None:
        sessions.add(session(), NO_WRITES)

    def staged() -> None:
        s = session()
        record = signed_in(s)
        sessions.add(s, audit.stage([record]))
        audit.record(AuditEvent(**{**record.__dict__, "staged": True}))

    def own_commit() -> None:
        s = session()
        sessions.add(s, NO_WRITES)
        audit.record(signed_in(s))

    ways: dict[str, Callable[[], None]] = {
        "without": without,
        "staged": staged,
        "own commit": own_commit,
    }
    for way in ways.values():  # warm the channel and the code paths
        for _ in range(30):
            way()
    cpu: dict[str, list[float]] = {name: [] for name in ways}
    wall: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(args.rounds):
        for name, way in ways.items():
            c0, w0 = time.process_time(), time.perf_counter()
            for _ in range(args.logins):
                way()
            cpu[name].append((time.process_time() - c0) / args.logins * 1000)
            wall[name].append((time.perf_counter() - w0) / args.logins * 1000)
    result: dict[str, Any] = {
        "logins_per_round": args.logins,
        "rounds": args.rounds,
        "cpu_ms_per_login": {name: round(median(v), 3) for name, v in cpu.items()},
        "wall_ms_per_login": {name: round(median(v), 3) for name, v in wall.items()},
    }
    med = result["cpu_ms_per_login"]
    result["staged_adds_cpu_ms"] = round(med["staged"] - med["without"], 3)
    result["own_commit_adds_cpu_ms"] = round(med["own commit"] - med["without"], 3)
    result["target_cpu_ms_max"] = TARGET_CPU_MS
    result["met"] = result["staged_adds_cpu_ms"] <= TARGET_CPU_MS
    result["load_at_end"] = loadavg()
    for name in ways:
        print(
            f"{name:>11}: {med[name]:.3f} ms CPU, "
            f"{result['wall_ms_per_login'][name]:.2f} ms wall per login"
        )
    print(
        f"storing the event adds {result['staged_adds_cpu_ms']:.3f} ms CPU staged, "
        f"{result['own_commit_adds_cpu_ms']:.3f} ms in a commit of its own "
        f"(target <= {TARGET_CPU_MS})"
    )
    print(f"wrote {write_result('event_cost', result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
