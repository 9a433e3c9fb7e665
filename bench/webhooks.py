#!/usr/bin/env python3
"""Webhook deliveries per second in one process, to a receiver on this machine.

    .venv/bin/python bench/webhooks.py [--count 2000] [--threads 2,8] [--runs 2]

One process as a gunicorn worker is: the production adapters (Firestore emulator on the
bench's port, the pooled requests session) and the in-process job queue with ``--threads``
job threads (JOB_WORKERS), built as bootstrap.bind builds them. First ``--count`` security
events are stored through ``StoringAuditLog`` with their outbox (one endpoint subscribed,
so one delivery each), their jobs kept aside; then the jobs go to the queue at once and the
clock runs until the queue is empty: each delivery is read, signed, POSTed and recorded.
Also the process's CPU time per delivery (all its threads), which a busy machine inflates
less than the wall clock.
The receiver is another process (a threaded http.server answering 204 on keep-alive
connections) that counts the distinct webhook-ids. Writes bench/results/webhooks.json; the
target is 200 deliveries a second (docs/benchmarks.md); exits 1 when a run misses it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from _common import (
    SECRET,
    free_port,
    loadavg,
    start_emulators,
    wipe_firestore,
    write_result,
)
from application import jobs
from application.events.security_events import StoringAuditLog
from application.events.webhooks.admin import CreateWebhook
from application.ports import Audit, AuditEvent, Job
from application.signin.authentication import Actor
from bootstrap import build_adapters, events
from bootstrap.accounts import AccountsAdapters
from bootstrap.signin_adapters import SigninAdapters
from infrastructure.audit_log import LoggingAuditLog
from infrastructure.settings import Settings

TARGET = 200.0
MFA_KEY = "YmVuY2gtbWZhLWtleS1iZW5jaC1tZmEta2V5LWJlbmM="  # a Fernet key (32 bytes)

RECEIVER = r"""
import sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
seen, lock = set(), threading.Lock()
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        with lock:
            seen.add(self.headers["webhook-id"])
        self.send_response(204); self.send_header("Content-Length", "0"); self.end_headers()
    def do_GET(self):
        body = str(len(seen)).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body)))
        self.end_headers(); self.wfile.write(body)
    def log_message(self, *args):
        pass
server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H)
server.daemon_threads = True
server.serve_forever()
"""


class KeptJobs:
    """A queue that keeps the jobs, for the outbox while the events are written."""

    def __init__(self) -> None:
        self.jobs: list[Job] = []

    def enqueue(self, job: Job) -> None:
        self.jobs.append(job)


def one_run(count: int, threads: int, receiver_url: str) -> dict[str, Any]:
    settings = Settings(
        app_profile="local",
        jwt_secret=SECRET,
        mfa_encryption_key=MFA_KEY,
        job_workers=threads,
        job_queue_size=max(count, 1000),
        webhook_sweep_interval=0,  # the bench queues every job itself
        log_level="WARNING",
    )
    adapters = build_adapters(settings)
    base, evt, policy = (
        adapters.platform,
        adapters.of(events.EventsAdapters),
        events.webhook_policy(settings),
    )
    handlers: dict[str, jobs.JobHandler] = {}
    queue = base.job_queue(jobs.JobRunner(handlers).run)
    kept = KeptJobs()
    outbox = events.webhook_outbox(evt, policy, platform=base, queue=kept)
    secrets = adapters.of(SigninAdapters).secret_box
    handlers.update(
        events.webhook_handlers(
            evt,
            policy,
            users=adapters.of(AccountsAdapters).users,
            box_key=secrets,
            platform=base,
            outbox=outbox,
            queue=queue,
        )
    )
    admin = Actor("bench", "bench", "admin", "s", datetime.now(UTC) + timedelta(hours=1))
    webhooks = events.webhooks(
        evt, policy, box_key=secrets, platform=base, outbox=outbox, queue=queue
    )
    webhooks.create(CreateWebhook(admin, f"{receiver_url}/in", ("user.created",)))
    outbox.cache.drop()
    audit = StoringAuditLog(LoggingAuditLog(), evt.security_events, base.clock, outbox)
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(
            pool.map(
                lambda n: audit.record(AuditEvent(Audit.USER_CREATED, user_id=f"bench{n}")),
                range(count),
            )
        )
    if len(kept.jobs) != count or audit.failed_writes:
        raise SystemExit(f"{len(kept.jobs)} deliveries written of {count}")
    began, cpu_began = time.perf_counter(), time.process_time()
    for job in kept.jobs:
        queue.enqueue(job)
    join = getattr(queue, "join", None)
    if join is None or not join(600):
        raise SystemExit("the queue did not empty in 10 minutes")
    seconds = time.perf_counter() - began
    cpu_seconds = time.process_time() - cpu_began  # every thread of this process
    received = int(requests.get(receiver_url, timeout=10).text)
    return {
        "threads": threads,
        "count": count,
        "seconds": round(seconds, 3),
        "per_second": round(count / seconds, 1),
        "cpu_ms_per_delivery": round(cpu_seconds * 1000 / count, 3),
        "per_cpu_second": round(count / cpu_seconds, 1),
        "received_distinct": received,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--threads", default="2,8", help="JOB_WORKERS values, comma-separated")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    emulators = start_emulators(("firestore",))
    os.environ.update(emulators.env())
    port = free_port()
    receiver = subprocess.Popen([sys.executable, "-c", RECEIVER, str(port)])
    url = f"http://127.0.0.1:{port}"
    runs: list[dict[str, Any]] = []
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                requests.get(url, timeout=1)
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        for threads in (int(t) for t in args.threads.split(",")):
            for number in range(args.runs):
                wipe_firestore(emulators)
                before = int(requests.get(url, timeout=10).text)
                run = one_run(args.count, threads, url)
                run["received_distinct"] -= before
                run["met"] = run["per_second"] >= TARGET and run["received_distinct"] == args.count
                runs.append(run)
                print(
                    f"JOB_WORKERS={threads} run {number + 1}: {run['count']} deliveries in "
                    f"{run['seconds']:.2f} s = {run['per_second']:.0f}/s "
                    f"({run['cpu_ms_per_delivery']:.2f} ms of this process's CPU each: "
                    f"{run['per_cpu_second']:.0f} per CPU second), "
                    f"{run['received_distinct']} distinct received "
                    f"{'met' if run['met'] else 'MISSED'}"
                )
    finally:
        receiver.terminate()
        receiver.wait(10)
        emulators.stop()
    met = all(run["met"] for run in runs)
    write_result(
        "webhooks",
        {
            "runs": runs,
            "best_per_second": max(run["per_second"] for run in runs),
            "target": f">= {TARGET:.0f} deliveries/s per worker process",
            "met": met,
            "load_at_end": loadavg(),
        },
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
