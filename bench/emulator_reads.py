#!/usr/bin/env python3
"""The Firestore emulator's CPU per authenticated read, by the way firegate asks for it.

    .venv/bin/python bench/emulator_reads.py [--reads 2000] [--rounds 3] [--warm-up 60]

Every authenticated request reads the caller's user and session in one batch read
(docs/decisions/0151-batch-reads-over-rest.md). This script makes one user and one session
document shaped like firegate's, then reads them ``--reads`` times, one read at a time as a
request does, in turn through: the REST ``batchGet`` firegate sends (kept-alive
connections), the same REST request on a new connection each time, REST ``batchGet`` asking
for one field only (a field mask), two single-document REST GETs, the same ``batchGet`` of
two one-field documents (the documents' size) and of two missing ones (what the request
costs without any document), the client library's ``get_all`` (gRPC) of both pairs, and
the same read through the port's client-library adapter (``LibraryReads``: snapshots and
``to_dict``).
Then a refresh's Firestore side both ways: the session read with its update time and four
fields written under it, over REST (firegate's) and through the client library. For each
it prints the emulator's CPU per read and this process's, after ``--warm-up`` seconds of
every way in turn (a fresh emulator's JIT), each round in another order. Writes
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
from infrastructure.firestore.client import reads_of, retry_policy
from infrastructure.firestore.reads import FirestoreReads, Write

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


def refresh_ways(
    reader: FirestoreReads, session: firestore.DocumentReference
) -> dict[str, Callable[[], object]]:
    """A refresh's Firestore side: the session read with its update time, then the fields a
    rotation changes written under it; over REST (firegate's) and through the library."""

    def rotation() -> dict[str, Any]:
        now = datetime.now(UTC)
        return {"refresh_hashes": ["d" * 43], "last_used_at": now, "rotated_at": now}

    def rest() -> object:
        (found,) = reader.read_versioned([session.path])
        if found is None:
            raise RuntimeError("the session document is gone")
        reader.commit([Write(session.path, rotation(), unchanged_since=found.update_time)])
        return None

    def grpc() -> object:
        snap = session.get(retry=retry_policy())
        session.update(rotation(), option=firestore.LastUpdateOption(snap.update_time))
        return None

    return {"refresh_read_and_write_rest": rest, "refresh_read_and_write_grpc": grpc}


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--warm-up", type=float, default=60, help="seconds of every way before measuring"
    )
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
    small = [client.document("users/t1"), client.document("sessions/t1")]
    for ref in small:
        ref.set({"token_version": 0})
    reader = reads_of(client).rest  # firegate's REST path (urllib3)
    library = reads_of(client).library  # the same port through the client library
    retry = retry_policy()
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
        "rest_batchget_one_field_documents": lambda: reader.read(["users/t1", "sessions/t1"]),
        "rest_batchget_missing_documents": lambda: reader.read(["users/x1", "sessions/x1"]),
        "grpc_get_all": lambda: list(client.get_all([user, session], retry=retry)),
        "library_reads_port": lambda: library.read(["users/u1", "sessions/s1"]),
        "grpc_get_all_one_field_documents": lambda: list(client.get_all(small, retry=retry)),
        **refresh_ways(reader, session),
    }
    warm_up = settle(ways, pid, args.warm_up)
    results: dict[str, dict[str, Any]] = {}
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in ways}
    order = list(ways)
    for round_ in range(args.rounds):  # each round in another order: no way always first
        for name in order[round_ % len(order) :] + order[: round_ % len(order)]:
            runs[name].append(measure(ways[name], args.reads, pid))
    print(f"{'read':36} {'emulator CPU ms/read (rounds)':>34} {'own CPU ms/read':>16}")
    for name, figures in runs.items():
        emulator_ms = median([e for e, _ in figures])
        own_ms = median([o for _, o in figures])
        spread = [round(e, 3) for e, _ in figures]
        results[name] = {
            "emulator_cpu_ms": round(emulator_ms, 3),
            "emulator_cpu_ms_rounds": spread,
            "own_cpu_ms": round(own_ms, 3),
        }
        print(f"{name:36} {emulator_ms:8.3f} {spread!s:>25} {own_ms:16.3f}")
    write_result(
        "emulator_reads",
        {
            "reads": args.reads,
            "rounds": args.rounds,
            "warm_up_emulator_cpu_ms_per_read": warm_up,
            "results": results,
        },
    )
    return 0


def settle(ways: dict[str, Callable[[], object]], emulator: int, seconds: float) -> list[float]:
    """Every way in turn for ``seconds``: a fresh emulator JVM spends several times more CPU
    per call until its JIT has compiled the paths a way takes, and whichever way ran first
    would carry that. Returns the emulator's CPU per read of each pass."""
    passes: list[float] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        before, count = cpu_seconds([emulator]), 0
        for read in ways.values():
            for _ in range(100):
                read()
            count += 100
        passes.append(round((cpu_seconds([emulator]) - before) * 1000 / count, 3))
    print(f"warm-up: emulator CPU ms per read, each pass over every way: {passes}", flush=True)
    return passes


if __name__ == "__main__":
    sys.exit(main())
