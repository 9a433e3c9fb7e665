#!/usr/bin/env python3
"""What auth hooks cost a sign-in: with no hook configured against main's tree, and with a
hook answering in 5 ms against none.

    .venv/bin/python bench/hooks.py [--count 40] [--ref main]

Three services under `gunicorn -c gunicorn.conf.py` (request limits off) on one Firestore
emulator: this tree with no hook, this tree with a ``before_token`` and a ``before_sign_up``
hook set (in a Firestore project of its own, so the hooks are its alone), and ``--ref``'s tree
(`git archive`, run from a temporary folder with this tree's virtual environment). The hooks'
receiver is a threaded http.server in this process that answers each call after 5 ms
(``{"claims": {}}`` for ``before_token``, ``{"decision": "allow"}`` for ``before_sign_up``)
and counts them. Requests are sequential on keep-alive connections, the services in
alternating blocks of 10:

- ``POST /login``, this tree without a hook against ``--ref``'s (target: at most 2 % slower);
- ``POST /login``, with the hook against without (target: at most 1.3 times), reported only
  when the receiver was called: a tree whose sign-in calls no ``before_token`` hook yet says so;
- ``POST /register``, with the hook against without, likewise for ``before_sign_up``.

Writes bench/results/hooks.json (docs/benchmarks.md, "Auth hooks").
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

from _common import (
    GUNICORN,
    PASSWORD,
    ROOT,
    Server,
    latency_summary,
    loadavg,
    median,
    servers,
    service_env,
    start_emulators,
    unique,
    wipe_firestore,
    write_result,
)

BLOCK = 10
type Request = Callable[[requests.Session, int], requests.Response]  # the i-th request
ANSWER_DELAY = 0.005  # the receiver's own time: 5 ms


class Receiver(ThreadingHTTPServer):
    daemon_threads = True
    calls: dict[str, int]
    delay: float  # seconds before each answer
    lock: threading.Lock  # the calls are counted from the handlers' threads


def _handler(server: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            payload = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            kind = "before_token" if "token_kind" in payload else "before_sign_up"
            with server.lock:
                server.calls[kind] = server.calls.get(kind, 0) + 1
            time.sleep(server.delay)
            answer: dict[str, object] = (
                {"claims": {}} if kind == "before_token" else {"decision": "allow"}
            )
            body = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


def receiver(delay: float = ANSWER_DELAY) -> Receiver:
    """The hooks' receiver on a free port, answering each call after ``delay`` seconds."""
    server = Receiver(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server.RequestHandlerClass = _handler(server)
    server.calls = {}
    server.delay = delay
    server.lock = threading.Lock()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def tree_of(ref: str, into: Path) -> Path:
    """``ref``'s files (git archive), with the compiled catalogues of this tree."""
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def admin_headers(server: Server, env: dict[str, str]) -> dict[str, str]:
    """A new admin of ``server`` (its role set on the command line): bearer headers."""
    name = unique("root")
    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    made = requests.post(server.url + "/register", json=body, timeout=60)
    if made.status_code != 201:
        raise RuntimeError(f"register {name}: {made.status_code} {made.text[:200]}")
    flask = str(Path(GUNICORN).with_name("flask"))
    subprocess.run(
        [flask, "--app", "src/wsgi.py", "users", "set-role", name, "admin"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    login = requests.post(
        server.url + "/login", json={"username": name, "password": PASSWORD}, timeout=60
    )
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def accounts(server: Server, count: int) -> list[str]:
    names = [unique(f"u{i}x") for i in range(count)]
    with requests.Session() as http:
        for name in names:
            body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
            made = http.post(server.url + "/register", json=body, timeout=60)
            if made.status_code != 201:
                raise RuntimeError(f"register {name}: {made.status_code} {made.text[:200]}")
    return names


def timed(http: requests.Session, call: Request, i: int) -> float:
    started = time.perf_counter()
    answer = call(http, i)
    took = time.perf_counter() - started
    if answer.status_code not in (200, 201):
        raise RuntimeError(f"{answer.status_code} {answer.text[:200]}")
    return took


def compare(sides: dict[str, Request], count: int) -> dict[str, Any]:
    """Each side's request ``count`` times, sequential, the sides in alternating blocks."""
    seconds: dict[str, list[float]] = {name: [] for name in sides}
    sessions = {name: requests.Session() for name in sides}
    for start in range(0, count, BLOCK):
        for name, call in sides.items():
            for i in range(start, min(start + BLOCK, count)):
                seconds[name].append(timed(sessions[name], call, i))
    for http in sessions.values():
        http.close()
    found: dict[str, Any] = {name: latency_summary(values) for name, values in seconds.items()}
    first, second = list(sides)
    found["ratio_of_medians"] = median(seconds[second]) / median(seconds[first])
    return found


def login_of(server: Server, names: list[str]) -> Request:
    def call(http: requests.Session, i: int) -> requests.Response:
        body = {"username": names[i % len(names)], "password": PASSWORD}
        return http.post(server.url + "/login", json=body, timeout=60)

    return call


def register_of(server: Server, prefix: str) -> Request:
    def call(http: requests.Session, i: int) -> requests.Response:
        name = f"{prefix}{i}"
        body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
        return http.post(server.url + "/register", json=body, timeout=60)

    return call


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--ref", default="main")
    args = parser.parse_args()
    emulators = start_emulators()
    wipe_firestore(emulators)
    hooks = receiver()
    hook_url = f"http://127.0.0.1:{hooks.server_address[1]}/hook"
    plain_env = service_env(emulators)
    hooked_env = {**plain_env, "GOOGLE_CLOUD_PROJECT": emulators.project + "-hooks"}
    with tempfile.TemporaryDirectory(prefix="bench-hooks-") as folder:
        other = tree_of(args.ref, Path(folder))
        for catalogue in (ROOT / "src/interfaces/web/translations").rglob("*.mo"):
            target = other / catalogue.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(catalogue.read_bytes())
        with servers(
            Server("hooks-plain", plain_env),
            Server("hooks-hooked", hooked_env),
            Server(f"hooks-{args.ref}", plain_env, cwd=other),
        ) as (plain, hooked, reference):
            root = admin_headers(hooked, hooked_env)
            for kind in ("before_token", "before_sign_up"):
                body = {"kind": kind, "url": hook_url, "timeout_ms": 2000, "on_failure": "allow"}
                made = requests.post(
                    hooked.url + "/admin/auth-hooks", json=body, headers=root, timeout=30
                )
                if made.status_code != 201:
                    raise RuntimeError(f"hook {kind}: {made.status_code} {made.text[:200]}")
            names, hooked_names = accounts(plain, 16), accounts(hooked, 16)
            hooks.calls.clear()
            no_hook = compare(
                {args.ref: login_of(reference, names), "this tree": login_of(plain, names)},
                args.count,
            )
            login = compare(
                {"no hook": login_of(plain, names), "hook": login_of(hooked, hooked_names)},
                args.count,
            )
            login_calls = hooks.calls.get("before_token", 0)
            register = compare(
                {
                    "no hook": register_of(plain, unique("rp")),
                    "hook": register_of(hooked, unique("rh")),
                },
                args.count,
            )
            register_calls = hooks.calls.get("before_sign_up", 0)
    result = {
        "count": args.count,
        "ref": args.ref,
        "loadavg": loadavg(),
        "no_hook_against_ref": no_hook,
        "before_token": {"calls": login_calls, **login} if login_calls else None,
        "before_sign_up": {"calls": register_calls, **register} if register_calls else None,
    }
    path = write_result("hooks", result)
    print(json.dumps(result, indent=2))
    print(f"written: {path}")
    if not login_calls:
        print("before_token: this tree's sign-in calls no hook yet; nothing to compare")
    if not register_calls:
        print("before_sign_up: this tree's /register calls no hook yet; nothing to compare")
    return 0


if __name__ == "__main__":
    sys.exit(main())
