#!/usr/bin/env python3
"""POST /register latency against its floor: one argon2id hash plus one Firestore commit of
the same shape (the user and its two claim documents, three creates in one batch).

    .venv/bin/python bench/register.py [--count 60]

Both sequential, one request at a time, on the same Firestore emulator: the service under
`gunicorn -c gunicorn.conf.py` (request limits off) through a keep-alive HTTP connection;
the floor in this process (same argon2 parameters, the service's Firestore client factory).
They alternate in blocks of 10. Writes bench/results/register.json.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from typing import Any

import argon2
import requests

from _common import (
    PASSWORD,
    Server,
    latency_summary,
    loadavg,
    median,
    service_env,
    start_emulators,
    unique,
    wipe_firestore,
    write_result,
)
from domain.ids import new_id
from infrastructure.firestore.client import BOUNDED, claim_id, make_client

BLOCK = 10


def floor_register(client: Any, hasher: argon2.PasswordHasher, name: str) -> dict[str, float]:
    started = time.perf_counter()
    password_hash = hasher.hash(PASSWORD)
    hashed = time.perf_counter()
    now = datetime.now(UTC)
    email = f"{name}@example.com"
    user_id = new_id()
    batch = client.batch()
    batch.create(
        client.collection("users").document(user_id),
        {
            "username": name,
            "username_normalized": name,
            "email": email,
            "email_normalized": email,
            "name": None,
            "last_name": None,
            "role": "user",
            "password_hash": password_hash,
            "token_version": 0,
            "disabled": False,
            "created_at": now,
            "updated_at": now,
            "deleted_at": None,
            "deleting": False,
        },
    )
    batch.create(
        client.collection("usernames").document(claim_id(name)),
        {"user_id": user_id, "kind": "usernames"},
    )
    batch.create(
        client.collection("emails").document(claim_id(email)),
        {"user_id": user_id, "kind": "emails"},
    )
    batch.commit(**BOUNDED)
    done = time.perf_counter()
    return {"total": done - started, "hash": hashed - started, "commit": done - hashed}


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--count", type=int, default=60, help="registrations per side")
    args = parser.parse_args()

    emulators = start_emulators(("firestore",))
    try:
        wipe_firestore(emulators)
        env = service_env(emulators, RATE_LIMIT_ENABLED="false")
        client = make_client(emulators.project)
        hasher = argon2.PasswordHasher(
            time_cost=2, memory_cost=19456, parallelism=1, type=argon2.Type.ID
        )
        prefix = unique("reg")
        service_times: list[float] = []
        floor_times: list[dict[str, float]] = []
        errors = 0
        with Server("register-service", env) as service, requests.Session() as http:
            for n in range(3):  # warm-up: connections, the emulator's JIT
                floor_register(client, hasher, f"{prefix}w{n}")
                http.post(
                    service.url + "/register",
                    timeout=30,
                    json={
                        "username": f"{prefix}x{n}",
                        "email": f"{prefix}x{n}@example.com",
                        "password": PASSWORD,
                    },
                )
            n = 0
            while len(service_times) < args.count:
                for _ in range(BLOCK):
                    name = f"{prefix}s{n}"
                    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
                    started = time.perf_counter()
                    answer = http.post(service.url + "/register", json=body, timeout=30)
                    service_times.append(time.perf_counter() - started)
                    errors += answer.status_code != 201
                    floor_times.append(floor_register(client, hasher, f"{prefix}f{n}"))
                    n += 1
    finally:
        emulators.stop()

    svc = latency_summary(service_times)
    flr = latency_summary([f["total"] for f in floor_times])
    ratio = round(svc["p50_ms"] / flr["p50_ms"], 3)
    result = {
        "server": "gunicorn -c gunicorn.conf.py (gthread 2x8), RATE_LIMIT_ENABLED=false, "
        "Firestore emulator; sequential requests on one keep-alive connection",
        "service": svc,
        "floor": {
            **flr,
            "what": "argon2id hash (t=2, m=19456, p=1) + one batch commit of 3 creates",
            "hash_p50_ms": round(median([f["hash"] * 1000 for f in floor_times]), 2),
            "commit_p50_ms": round(median([f["commit"] * 1000 for f in floor_times]), 2),
        },
        "ratio_p50": ratio,
        "service_overhead_p50_ms": round(svc["p50_ms"] - flr["p50_ms"], 2),
        "errors": errors,
        "load_at_end": loadavg(),
        "met": errors == 0,
        "target": "none set by the issue; reported (errors must be 0)",
    }
    path = write_result("register", result)
    print(
        f"register p50 {svc['p50_ms']} ms (p90 {svc['p90_ms']}) vs floor {flr['p50_ms']} ms "
        f"(hash {result['floor']['hash_p50_ms']} + commit {result['floor']['commit_p50_ms']}): "
        f"ratio {ratio}; errors {errors}; wrote {path}"
    )
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
