#!/usr/bin/env python3
"""POST /auth/phone-code: the service's CPU per code request, its text handed to a send_sms
hook that answers at once, in floors (GET /healthz's CPU, timed the same way in the same run).

    .venv/bin/python bench/phone_code.py [--count 200] [--rounds 4] [--name phone_code]

The service runs under `gunicorn -c gunicorn.conf.py` (local profile: the in-process job
queue; request limits off; PHONE_SIGN_IN=true, a budget no request meets) on the Firestore
emulator (the bench's ports, or FIRESTORE_EMULATOR_HOST when set). A ``send_sms`` hook, set
by the CLI before the service starts, points at a receiver in this process, which answers
200 ``{}`` at once and notes the number. One client on one kept-alive connection asks for
codes one after another, each for a number of its own (a number takes one request in 30 s),
reading the service's CPU time (master and workers, from their CPU-time clocks) before the
request, at its answer, and once the receiver has the text: the figure is the request and
its sending job, all the service spends on one code (the reading at the answer, kept as
``until_answered``, may hold the job's first steps, which start as the request queues it).
The hook's own time is not in it: the receiver is this process, not the service's, and the
service only waits for its answer, which costs no CPU. ``--rounds`` rounds alternate a block
of code requests with a block of GET /healthz (``--count`` each), after 50 of each to warm
up. Target: at most 3 floors (the median of the rounds' ratios). ``--py-spy PATH``: one
worker, sampled by py-spy while measured. Writes
bench/results/<name>.json (docs/benchmarks.md, "POST /auth/phone-code").
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests
from cryptography.fernet import Fernet

from _common import (
    GUNICORN,
    ROOT,
    Server,
    cpu_seconds,
    loadavg,
    median,
    percentile,
    service_env,
    start_emulators,
    wipe_firestore,
    write_result,
)

FLOORS_MAX = 3.0
WARM_UP = 50
SETTLE = 0.002  # the worker ends its request (its log line) just after the answer


class Receiver(ThreadingHTTPServer):
    """The send_sms hook: answers each call at once and notes the number texted."""

    daemon_threads = True
    texted: set[str]
    arrived: threading.Condition


def receiver() -> Receiver:
    server = Receiver(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server.texted = set()
    server.arrived = threading.Condition()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            payload = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")
            with server.arrived:
                server.texted.add(payload["to"])
                server.arrived.notify_all()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server.RequestHandlerClass = Handler
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class Client:
    """One kept-alive connection; the service's CPU read around each request."""

    def __init__(self, url: str, pids: list[int], hook: Receiver) -> None:
        self.url, self.pids, self.hook = url, pids, hook
        self.http = requests.Session()
        self.numbers = iter(range(10_000_000))

    def timed(self, call: Callable[[], None]) -> float:
        before = cpu_seconds(self.pids)
        call()
        time.sleep(SETTLE)
        return 1000 * (cpu_seconds(self.pids) - before)

    def code(self) -> tuple[float, float]:
        """The CPU of one code request in ms: until its answer, and until its text is in."""
        number = f"+3361{next(self.numbers):07d}"
        before = cpu_seconds(self.pids)
        answer = self.http.post(
            self.url + "/auth/phone-code", json={"phone_number": number}, timeout=60
        )
        time.sleep(SETTLE)
        answered = cpu_seconds(self.pids)
        if answer.status_code != 202:
            raise RuntimeError(f"phone code: {answer.status_code} {answer.text[:300]}")
        with self.hook.arrived:
            if not self.hook.arrived.wait_for(lambda: number in self.hook.texted, 30):
                raise RuntimeError(f"no text reached the hook for {number}")
        time.sleep(SETTLE)
        return 1000 * (answered - before), 1000 * (cpu_seconds(self.pids) - before)

    def healthz(self) -> float:
        def get() -> None:
            if self.http.get(self.url + "/healthz", timeout=60).status_code != 200:
                raise RuntimeError("healthz")

        return self.timed(get)


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "median_ms": round(median(values), 3),
        "p90_ms": round(percentile(values, 90), 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--count", type=int, default=200, help="requests of each kind a round")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--name", default="phone_code", help="result file name")
    parser.add_argument(
        "--py-spy", metavar="PATH", help="one worker, sampled by py-spy into PATH (raw stacks)"
    )
    args = parser.parse_args()
    emulators = start_emulators(("firestore",))
    hook = receiver()
    rounds: list[dict[str, Any]] = []
    try:
        wipe_firestore(emulators)
        env = service_env(
            emulators,
            PHONE_SIGN_IN="true",
            SMS_BUDGETS="*:1000000/h",
            # The hook's secret is sealed with it: the CLI and the service share one.
            MFA_ENCRYPTION_KEY=Fernet.generate_key().decode(),
            **({"WEB_CONCURRENCY": "1"} if args.py_spy else {}),
        )
        workers = int(env.get("WEB_CONCURRENCY", "2"))
        # Set before the workers start, so that each reads it with its first request.
        flask = str(Path(GUNICORN).with_name("flask"))
        url = f"http://127.0.0.1:{hook.server_address[1]}/sms"
        subprocess.run(
            [flask, "--app", "src/wsgi.py", "hooks", "set", "send_sms", url],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        with Server("phone-code", env) as service:
            client = Client(service.url, [service.pid, *service.wait_workers(workers)], hook)
            for _ in range(WARM_UP):  # the emulator's JIT, each worker's first calls
                client.code()
                client.healthz()
            spy = None
            if args.py_spy:
                py_spy = str(ROOT / ".venv/bin/py-spy")
                argv = [py_spy, "record", "--pid", str(client.pids[1]), "--format", "raw"]
                spy = subprocess.Popen(
                    [*argv, "--rate", "250", "--output", args.py_spy],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                time.sleep(1)
            for number in range(args.rounds):
                answers, codes = zip(*(client.code() for _ in range(args.count)), strict=True)
                floor = [client.healthz() for _ in range(args.count)]
                found: dict[str, Any] = {
                    "code": summary(list(codes)),
                    "until_answered": summary(list(answers)),
                    "floor": summary(floor),
                    "load": loadavg(),
                }
                found["floors"] = round(found["code"]["median_ms"] / found["floor"]["median_ms"], 2)
                rounds.append(found)
                print(
                    f"round {number + 1}: code request {found['code']['median_ms']} ms "
                    f"(p90 {found['code']['p90_ms']}; until its answer "
                    f"{found['until_answered']['median_ms']}), GET /healthz "
                    f"{found['floor']['median_ms']} ms: {found['floors']} floors; "
                    f"load {found['load'][0]}",
                    flush=True,
                )
            if spy is not None:
                spy.send_signal(2)  # SIGINT: py-spy writes its samples
                spy.wait(timeout=60)
    finally:
        hook.shutdown()
        emulators.stop()
    floors = median([r["floors"] for r in rounds])
    result = {
        "server": f"gunicorn -c gunicorn.conf.py: gthread, {workers} workers, local profile "
        "(in-process jobs), RATE_LIMIT_ENABLED=false, PHONE_SIGN_IN=true, a send_sms hook "
        "answering at once in the bench's process; Firestore emulator on loopback; one "
        "kept-alive client, one request at a time",
        "rounds": rounds,
        "floors": floors,
        "floors_range": [min(r["floors"] for r in rounds), max(r["floors"] for r in rounds)],
        "target_floors_max": FLOORS_MAX,
        "met": floors <= FLOORS_MAX,
        "load_at_end": loadavg(),
    }
    path = write_result(args.name, result)
    print(f"code request: {floors} floors (rounds {result['floors_range']}); wrote {path}")
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
