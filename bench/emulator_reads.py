#!/usr/bin/env python3
"""The Firestore emulator's CPU per authenticated read, by the way firegate asks for it.

    .venv/bin/python bench/emulator_reads.py [--reads 2000] [--rounds 3]

Every authenticated request reads the caller's user and session in one batch read
(docs/decisions/0151-batch-reads-over-rest.md). This script makes one user and one session
document shaped like firegate's, then reads them ``--reads`` times, one read at a time as a
request does, in turn through: the REST ``batchGet`` firegate sends (kept-alive
connections), the same REST request on a new connection each time, REST ``batchGet`` asking
for one field only (a field mask), two single-document REST GETs, and the client library's
``get_all`` (gRPC). For each
it prints the emulator's CPU per read and this process's. Writes
bench/results/emulator_reads.json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore

from _common import cpu_seconds, emulator_pid, median, start_emulators, wipe_firestore, write_result
from infrastructure.firestore.client import RETRY, batch_reader

USER = {
    "username": "alice",
    "username_key": "alice",
    "email": "alice@example.com",
    "email_key": "alice@example.com",
    "email_verified": True,
    "password_hash": "$argon2id$v=19$m=19456,t=2,p=1$" + "a" * 22 + "$" + "b" * 43,
    "role": "user",
    "token_version": 0,
    "disabled": False,
    "name": "Alice",
    "last_name": None,
    "created_at": datetime.now(UTC),
    "updated_at": datetime.now(UTC),
}
SESSION = {
    "user_id": "u1",
    "token_version": 0,
    "created_at": datetime.now(UTC),
    "last_used_at": datetime.now(UTC),
    "expires_at": datetime.now(UTC),
    "refresh_hashes": ["c" * 43],
    "user_agent": "curl/8",
    "amr": ["pwd"],
    "rotations": 3,
}


def measure(read: Callable[[], object], reads: int, emulator: int) -> tuple[float, float]:
    """(emulator CPU ms, this process's CPU ms) per read."""
    for _ in range(min(200, reads)):
        read()
    emulator_before, own_before = cpu_seconds([emulator]), time.process_time()
    for _ in range(reads):
        read()
    emulator_ms = (cpu_seconds([emulator]) - emulator_before) * 1000 / reads
    return emulator_ms, (time.process_time() - own_before) * 1000 / reads


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    emulators = start_emulators()
    wipe_firestore(emulators)
    pid = emulator_pid(emulators.firestore_port)
    if pid is None:
        print("cannot find the Firestore emulator's process", file=sys.stderr)
        return 1
    client = firestore.Client(project=emulators.project, credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]
    user, session = client.document("users/u1"), client.document("sessions/s1")
    user.set(USER)
    session.set(SESSION)
    reader = batch_reader(client)
    database = f"projects/{emulators.project}/databases/(default)"
    names = [f"{database}/documents/users/u1", f"{database}/documents/sessions/s1"]
    host = emulators.netloc("firestore")
    headers = {"Content-Type": "application/json", "Authorization": "Bearer owner"}

    def rest_new_connection(body: dict[str, Any]) -> Callable[[], object]:
        payload = json.dumps(body).encode()

        def read() -> object:
            connection = http.client.HTTPConnection(host, timeout=10)
            connection.request("POST", f"/v1/{database}/documents:batchGet", payload, headers)
            data = connection.getresponse().read()
            connection.close()
            return data

        return read

    kept = http.client.HTTPConnection(host, timeout=10)

    def two_gets() -> object:
        for name in names:
            kept.request("GET", f"/v1/{name}", headers=headers)
            kept.getresponse().read()
        return None

    ways: dict[str, Callable[[], object]] = {
        "rest_batchget_kept_alive": lambda: reader.read(["users/u1", "sessions/s1"]),
        "rest_batchget_new_connection": rest_new_connection({"documents": names}),
        "rest_batchget_field_mask": rest_new_connection(
            {"documents": names, "mask": {"fieldPaths": ["token_version"]}}
        ),
        "rest_two_gets_kept_alive": two_gets,
        "grpc_get_all": lambda: list(client.get_all([user, session], retry=RETRY)),
    }
    results: dict[str, dict[str, float]] = {}
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in ways}
    for _ in range(args.rounds):
        for name, read in ways.items():
            runs[name].append(measure(read, args.reads, pid))
    print(f"{'read':32} {'emulator CPU ms/read':>22} {'own CPU ms/read':>16}")
    for name, figures in runs.items():
        emulator_ms = median([e for e, _ in figures])
        own_ms = median([o for _, o in figures])
        results[name] = {"emulator_cpu_ms": round(emulator_ms, 3), "own_cpu_ms": round(own_ms, 3)}
        print(f"{name:32} {emulator_ms:22.3f} {own_ms:16.3f}")
    write_result("emulator_reads", {"reads": args.reads, "rounds": args.rounds, "results": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
