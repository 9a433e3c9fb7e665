#!/usr/bin/env python3
"""Upload a generated 20 MB CSV of 200,000 rows to firegate under gunicorn on the emulators;
record the time and the worker's peak memory in bench/results/dataset_upload.json.

    .venv/bin/python bench/dataset_upload.py [--rows 200000] [--limit-mib 256]

Starts (or reuses) the Firestore and Cloud Storage emulators on the ports of
FIRESTORE_EMULATOR_HOST / STORAGE_EMULATOR_HOST (defaults 8080 / 9023), serves the app with
the production gunicorn.conf.py (one gthread worker, so the worker measured is the one that
did the work) on a free 127.0.0.1 port, makes an uploader with the service's command line,
POSTs /datasets and reads the worker's VmHWM (peak resident set) from /proc. Exits non-zero
when the peak is over --limit-mib, the memory cap that
docs/reference/datasets.md#limits-and-memory claims.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from emulators import EmulatorSet  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "dataset_upload.json"
PASSWORD = "correct horse battery staple"
SECRET = "bench-secret-" + "x" * 40
FIRST = ["Alice", "Bob", "Chloé", "Dmitri", "Eve", "Fatima", "Gustavo", "Hana", "Ines", "Jun"]
LAST = ["Liddell", "Builder", "Dupont", "Ivanov", "Adams", "Haddad", "Silva", "Sato", "Moreau"]
CITIES = ["Lisboa", "München", "Zürich", "Kraków", "Nairobi", "Osaka", "Córdoba", "Québec"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def generate(path: Path, rows: int) -> int:
    """A realistic CSV of about 100 bytes a row, with a few problems for the report."""
    rng = random.Random(5)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["id", "first_name", "last_name", "email", "amount", "joined", "active", "city", "note"]
        )
        for n in range(1, rows + 1):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            year, month, day = rng.randrange(10, 26), rng.randrange(1, 13), rng.randrange(1, 29)
            joined = f"20{year}-{month:02d}-{day:02d}"
            writer.writerow(
                [
                    n,
                    first,
                    f"{last}-{rng.randrange(10_000):04d}",
                    f"{first.lower()}.{last.lower()}{n}@example.com" if n % 997 else "n/a",
                    f"{rng.uniform(-500, 50_000):.2f}",
                    joined,
                    rng.choice(["true", "false"]),
                    rng.choice(CITIES),
                    f"order {rng.randrange(1_000_000):06d}",
                ]
            )
    return path.stat().st_size


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in KiB."""
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


def workers_of(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def wait_for(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("gunicorn exited:\n" + log.read_text()[-3000:])
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer:\n" + log.read_text()[-3000:])


def start_gunicorn(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    argv = [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", "gunicorn.conf.py"]
    argv += ["--bind", f"127.0.0.1:{env['PORT']}"]
    with log.open("wb") as out:
        return subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def uploader_headers(url: str, env: dict[str, str]) -> dict[str, str]:
    """A new account with the uploader role (given on the service's command line)."""
    name = f"bench{int(time.time())}"
    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    requests.post(url + "/register", json=body, timeout=30).raise_for_status()
    flask = str(ROOT / ".venv" / "bin" / "flask")
    subprocess.run(
        [flask, "--app", "src/wsgi.py", "users", "set-role", name, "uploader"],
        cwd=ROOT, env=env, check=True, capture_output=True,
    )  # fmt: skip
    login = requests.post(url + "/login", json={"username": name, "password": PASSWORD}, timeout=30)
    login.raise_for_status()
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(message)


def measure_upload(url: str, headers: dict[str, str], csv_path: Path, worker: int) -> Any:
    """POST /datasets while sampling the worker's RSS; then read a page and delete it."""
    before = proc_status(worker)
    samples: list[int] = []
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            samples.append(proc_status(worker)["VmRSS"])

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    with csv_path.open("rb") as data:
        response = requests.post(
            url + "/datasets",
            headers=headers,
            data={"name": "bench"},
            files={"file": ("bench.csv", data, "text/csv")},
            timeout=900,
        )
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    after = proc_status(worker)
    check(response.status_code == 201, f"upload: {response.status_code} {response.text[:500]}")
    body = response.json()

    started = time.perf_counter()
    page = requests.get(url + f"/datasets/{body['id']}/rows?limit=100", headers=headers, timeout=30)
    page_ms = (time.perf_counter() - started) * 1000
    check(page.status_code == 200 and len(page.json()["items"]) == 100, "rows page failed")
    started = time.perf_counter()
    deleted = requests.delete(url + f"/datasets/{body['id']}", headers=headers, timeout=300)
    delete_seconds = time.perf_counter() - started
    check(deleted.status_code == 204, f"delete: {deleted.status_code}")
    return {
        "upload": {"rows": body["row_count"], "columns": len(body["columns"])},
        "seconds": round(seconds, 2),
        "rows_per_second": round(body["row_count"] / seconds),
        "report_summary": body["report"]["summary"],
        "worker_rss_before_mib": round(before["VmRSS"] / 1024, 1),
        "worker_peak_rss_mib": round(after["VmHWM"] / 1024, 1),
        "worker_peak_sampled_during_upload_mib": round(max(samples, default=0) / 1024, 1),
        "worker_peak_growth_mib": round((after["VmHWM"] - before["VmRSS"]) / 1024, 1),
        "worker_rss_after_mib": round(after["VmRSS"] / 1024, 1),
        "first_rows_page_ms": round(page_ms, 1),
        "delete_seconds": round(delete_seconds, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--limit-mib", type=int, default=256, help="fail above this peak RSS")
    args = parser.parse_args()

    emulators = EmulatorSet.from_env(
        services=("firestore", "storage"), storage_bucket="demo-firegate.appspot.com"
    )
    emulators.start(timeout=120)
    workdir = Path(tempfile.mkdtemp(prefix="firegate-bench-"))
    gunicorn: subprocess.Popen[bytes] | None = None
    try:
        csv_path = workdir / "upload.csv"
        size = generate(csv_path, args.rows)
        print(f"generated {size / 1e6:.1f} MB, {args.rows} rows")
        env = {
            **os.environ,
            **emulators.env(),
            "APP_PROFILE": "local",
            "JWT_SECRET": SECRET,
            "STORAGE_BUCKET": "demo-firegate.appspot.com",
            "PORT": str(free_port()),
            "WEB_CONCURRENCY": "1",
            "LOG_LEVEL": "WARNING",
            "MAX_UPLOAD_BYTES": str(32 * 1024 * 1024),
            "MAX_DATASET_ROWS": str(max(args.rows, 250_000)),
            "RATE_LIMIT_ENABLED": "false",
        }
        log = workdir / "gunicorn.log"
        gunicorn = start_gunicorn(env, log)
        url = f"http://127.0.0.1:{env['PORT']}"
        wait_for(url, gunicorn, log)
        headers = uploader_headers(url, env)
        (worker,) = workers_of(gunicorn.pid)
        measured = measure_upload(url, headers, csv_path, worker)
        result: dict[str, Any] = {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "server": "gunicorn -c gunicorn.conf.py, 1 gthread worker x 8 threads, local "
            "profile, Firestore emulator + gcp-storage-emulator on loopback",
            **measured,
            "memory_limit_mib": args.limit_mib,
            "within_limit": measured["worker_peak_rss_mib"] <= args.limit_mib,
        }
        result["upload"]["bytes"] = size
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(json.dumps(result, indent=2))
        return 0 if result["within_limit"] else 1
    finally:
        if gunicorn is not None and gunicorn.poll() is None:
            os.killpg(gunicorn.pid, signal.SIGTERM)
            gunicorn.wait(timeout=20)
        emulators.stop()
        for leftover in workdir.iterdir():
            leftover.unlink()
        workdir.rmdir()


if __name__ == "__main__":
    sys.exit(main())
