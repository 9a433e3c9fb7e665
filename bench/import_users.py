#!/usr/bin/env python3
"""`users import` on the Firestore emulator: users per second, the import process's peak
memory on a file of a million users, and the first sign-in with a Firebase hash against the
next ones (docs/migrating.md).

    .venv/bin/python bench/import_users.py [--count 20000] [--runs 2]
        [--million 1000000] [--million-mode dry-run|import] [--logins 20]

Files are made by tests/support/foreign_users.py's generator (a Firebase project with its own
random signer key; the users share one scrypt hash, which is the slow part of making them) and
written one user at a time. Each import is the operator's command, `flask --app src/wsgi.py
users import FILE --format firebase …`, in a process of its own on an emptied emulator; its
CPU and peak RSS are the kernel's account of that process (wait4). The first sign-ins go
to gunicorn on the same emulator. Writes bench/results/import_users.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from _common import (
    ROOT,
    Server,
    cpu_seconds,
    emulator_pid,
    loadavg,
    median,
    percentile,
    service_env,
    start_emulators,
    wipe_firestore,
    write_result,
)

sys.path.insert(0, str(ROOT))
from tests.support.foreign_users import (
    FirebaseProject,
    firebase_users,
    random_password,
    stream_firebase_export,
)

from domain.accounts.password_hashes import firebase_user_hash
from infrastructure.accounts.argon2_hasher import Argon2PasswordHasher
from infrastructure.accounts.foreign_hashes import firebase_scrypt, firebase_scrypt_of

FLASK = str(ROOT / ".venv" / "bin" / "flask")
TARGET_PER_SECOND = 1000
TARGET_RSS_MIB = 250


def run_import(env: dict[str, str], path: Path, options: list[str], *extra: str) -> dict[str, Any]:
    """One `users import` process: its wall time, CPU, peak RSS and summary."""
    argv = [FLASK, "--app", "src/wsgi.py", "users", "import", str(path), "--format", "firebase"]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen([*argv, *options, *extra], cwd=ROOT, env=env, stdout=out,
                                stderr=err)  # fmt: skip
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        lines = out.read().decode().strip().splitlines()
        if proc.returncode != 0 or not lines:
            err.seek(0)
            raise RuntimeError(f"users import exited {proc.returncode}: {err.read()[-2000:]!r}")
    return {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "summary": json.loads(lines[-1]),
    }


@dataclass(frozen=True)
class Setup:
    """The service's environment, its emulators, the Firebase project and the file's path."""

    env: dict[str, str]
    emulators: Any
    project: FirebaseProject
    path: Path
    password: str


def speed(setup: Setup, count: int, runs: int) -> dict[str, Any]:
    """Imports of ``count`` users into an empty database, beside the command's own start."""
    env, emulators, project, path = setup.env, setup.emulators, setup.project, setup.path
    empty = path.with_name("empty.json")
    stream_firebase_export(empty, [])
    emulator = emulator_pid(int(emulators.env()["FIRESTORE_EMULATOR_HOST"].rsplit(":", 1)[1]))
    start = [run_import(env, empty, project.options()) for _ in range(3)]
    start_seconds = median([s["seconds"] for s in start])
    start_cpu = median([s["cpu_seconds"] for s in start])
    results = []
    for _ in range(runs):
        wipe_firestore(emulators)
        before = cpu_seconds([emulator] if emulator else [])
        result = run_import(env, path, project.options())
        emulator_cpu = cpu_seconds([emulator] if emulator else []) - before
        importing = result["seconds"] - start_seconds
        result.update(
            users_per_second=round(count / result["seconds"]),
            users_per_second_past_start=round(count / importing),
            import_cpu_ms_per_user=round((result["cpu_seconds"] - start_cpu) * 1000 / count, 3),
            emulator_cpu_ms_per_user=round(emulator_cpu * 1000 / count, 3),
            load_after=loadavg(),
        )
        if result["summary"]["imported"] != count:
            raise RuntimeError(f"imported {result['summary']}")
        results.append(result)
        print(f"  {count} users: {result['seconds']} s, {result['users_per_second']}/s "
              f"({result['users_per_second_past_start']}/s past the start), "
              f"peak RSS {result['peak_rss_mib']} MiB", flush=True)  # fmt: skip
    return {
        "users": count,
        "command_start": {"seconds": round(start_seconds, 2), "cpu_seconds": round(start_cpu, 2)},
        "runs": results,
        "users_per_second": [r["users_per_second"] for r in results],
        "users_per_second_past_start": [r["users_per_second_past_start"] for r in results],
    }


def memory(setup: Setup, count: int, mode: str) -> dict[str, Any]:
    env, emulators, project, path = setup.env, setup.emulators, setup.project, setup.path
    wipe_firestore(emulators)
    extra = ["--dry-run"] if mode == "dry-run" else []
    result = run_import(env, path, project.options(), *extra)
    total = result["summary"]["imported"] + result["summary"]["skipped"]
    if total != count or result["summary"]["failed"]:
        raise RuntimeError(f"imported {result['summary']}")
    result.update(mode=mode, users=count, users_per_second=round(count / result["seconds"]),
                  file_mib=round(path.stat().st_size / 2**20, 1), load_after=loadavg())  # fmt: skip
    print(f"  {count} users ({mode}): {result['seconds']} s, peak RSS "
          f"{result['peak_rss_mib']} MiB", flush=True)  # fmt: skip
    return result


def sign_ins(setup: Setup, count: int) -> dict[str, Any]:
    """Each imported user's first sign-in (Firebase's scrypt, then argon2id stored), then its
    second (argon2id): wall time and the service's CPU, one request at a time."""
    env, emulators, project, path = setup.env, setup.emulators, setup.project, setup.path
    password = setup.password
    wipe_firestore(emulators)
    stream_firebase_export(path, firebase_users(project, count, password))
    run_import(env, path, project.options())
    logins = [u["email"] for u in firebase_users(project, count, password)]
    rounds: dict[str, list[dict[str, float]]] = {"first": [], "next": []}
    one_worker = {**env, "WEB_CONCURRENCY": "1"}  # its CPU is the sign-ins'
    with Server("import-users-service", one_worker) as service, requests.Session() as http:
        workers = service.wait_workers(1)
        http.post(service.url + "/login", json={"username": "nobody", "password": "x" * 12})
        for name in ("first", "next"):
            for login in logins:
                cpu = cpu_seconds(workers)
                started = time.perf_counter()
                answer = http.post(service.url + "/login", timeout=30,
                                   json={"username": login, "password": password})  # fmt: skip
                took = time.perf_counter() - started
                if answer.status_code != 200:
                    raise RuntimeError(f"login {login}: {answer.status_code} {answer.text}")
                rounds[name].append({"ms": took * 1000, "cpu_ms": (cpu_seconds(workers) - cpu)
                                     * 1000})  # fmt: skip

    def figures(values: list[dict[str, float]]) -> dict[str, float]:
        ms, cpu = [v["ms"] for v in values], [v["cpu_ms"] for v in values]
        return {"p50_ms": round(median(ms), 1), "p90_ms": round(percentile(ms, 90), 1),
                "cpu_p50_ms": round(median(cpu), 1), "count": len(ms)}  # fmt: skip

    return {"first": figures(rounds["first"]), "next": figures(rounds["next"])}


def floor(project: FirebaseProject, password: str) -> dict[str, float]:
    """In this process: one Firebase scrypt, one argon2id hash and one argon2id check."""
    hashed, salt = project.password_hash(password)
    stored = firebase_scrypt_of(firebase_user_hash(hashed, salt, project.parameters))
    hasher = Argon2PasswordHasher()
    argon2_hash = hasher.hash(password)

    def timed(work: Any) -> float:
        runs = []
        for _ in range(9):
            started = time.perf_counter()
            work()
            runs.append((time.perf_counter() - started) * 1000)
        return round(median(runs), 1)

    return {
        "scrypt_ms": timed(lambda: firebase_scrypt(password, stored)),
        "argon2id_hash_ms": timed(lambda: hasher.hash(password)),
        "argon2id_verify_ms": timed(lambda: hasher.verify(argon2_hash, password)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--count", type=int, default=20_000, help="users of the speed runs")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--million", type=int, default=1_000_000, help="0: no memory run")
    parser.add_argument("--million-mode", choices=["dry-run", "import"], default="dry-run")
    parser.add_argument("--logins", type=int, default=20)
    args = parser.parse_args()

    project = FirebaseProject.random()  # Firebase's own rounds 8, mem_cost 14
    password = random_password()
    emulators = start_emulators(("firestore",))
    result: dict[str, Any] = {"firebase_parameters": {"rounds": 8, "mem_cost": 14}}
    try:
        env = {**service_env(emulators), "LOG_LEVEL": "WARNING"}
        with tempfile.TemporaryDirectory(prefix="import-users-") as folder:
            path = Path(folder) / "users.json"
            setup = Setup(env, emulators, project, path, password)
            stream_firebase_export(path, firebase_users(project, 1_000, password))
            wipe_firestore(emulators)
            run_import(env, path, project.options())  # warm-up: the emulator's JIT
            stream_firebase_export(path, firebase_users(project, args.count, password))
            result["speed"] = speed(setup, args.count, args.runs)
            if args.million:
                made = time.perf_counter()
                stream_firebase_export(path, firebase_users(project, args.million, password))
                print(f"  wrote {args.million} users in {time.perf_counter() - made:.0f} s")
                result["memory"] = memory(setup, args.million, args.million_mode)
            result["sign_in"] = sign_ins(setup, args.logins)
        result["sign_in"]["floor"] = floor(project, password)
    finally:
        emulators.stop()
    rates = result["speed"]["users_per_second"]
    peak = result.get("memory", {}).get("peak_rss_mib")
    result.update(
        targets={"users_per_second_min": TARGET_PER_SECOND, "peak_rss_mib_max": TARGET_RSS_MIB},
        met={
            "speed": min(rates) >= TARGET_PER_SECOND,
            "memory": None if peak is None else peak <= TARGET_RSS_MIB,
        },
        load_at_end=loadavg(),
    )
    path = write_result("import_users", result)
    first, later = result["sign_in"]["first"], result["sign_in"]["next"]
    print(f"users import: {rates} users/s for {args.count}; peak RSS {peak} MiB for "
          f"{args.million} ({args.million_mode}); first sign-in p50 {first['p50_ms']} ms, "
          f"next {later['p50_ms']} ms; wrote {path}")  # fmt: skip
    return 0 if result["met"]["speed"] and result["met"]["memory"] is not False else 1


if __name__ == "__main__":
    sys.exit(main())
