#!/usr/bin/env python3
"""The service CPU of an upstream sign-in's callback against a password-free sign-in's own work.

    .venv/bin/python bench/upstream_callback.py [--signins 240] [--rounds 2] [--connections 4]
        [--port 0]

firegate runs under `gunicorn -c gunicorn.conf.py` (as `make run` starts it) on the Firestore
and Auth emulators with the request limits off; the upstream is the OpenID provider the tests
run (panva's oidc-provider, tests/upstream_provider.mjs), on this machine, configured by
UPSTREAM_PROVIDERS. Sixteen people sign in with it once (their accounts made, their browsers'
device cookies kept: not timed). Then, each round:

- ``callback``: ``--signins`` returns to /sign-in/with/oidc/callback, each a flight of its own
  (the start at /sign-in/with/oidc and the person's part at the upstream are done first and not
  timed; oidc-provider's codes live 60 s, so they are minted right before). Each callback
  opens its flight, exchanges the code at the upstream's token endpoint, checks the ID token
  against its JWKS (Authlib), reads userinfo, finds the linked identity, checks the device
  cookie and starts a browser session (303 with its cookies);
- ``firebase``: as many POST /auth/firebase with the Auth emulator's ID tokens of sixteen
  linked Firebase users: the same linking module (sign_in_external) and sign-in step, the
  password-free sign-in the callback is compared with (docs/decisions/0275-*).

The figure is the service's own CPU per sign-in (gunicorn's master and workers, read from
their CPU clocks around each run); the upstream's (node) and the emulator's are read apart:
while a worker waits on the upstream it spends ~0, and Authlib's token, JWKS and ID-token work
is the worker's, so counted in the callback's. Target: callback <= 2x firebase. The rows
alternate, ``--rounds`` times. Writes bench/results/upstream_callback.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from _common import (
    LOGS,
    ROOT,
    Server,
    cpu_seconds,
    emulator_pid,
    free_port,
    loadavg,
    median,
    service_env,
    start_emulators,
    unique,
    wipe_firestore,
    write_result,
)

PEOPLE = 16
TARGET_RATIO = 2.0
PROVIDER = "oidc"
CLIENT = ("firegate", "firegate-secret")
ENTRY = ROOT / ".tools" / "node_modules" / "oidc-provider" / "lib" / "index.js"


class Upstream:
    """tests/upstream_provider.mjs (oidc-provider) on ``port``, its client's callback
    firegate's."""

    def __init__(self, port: int, redirect_uri: str) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.port, self.redirect_uri = port, redirect_uri
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Upstream:
        if not ENTRY.exists():
            raise SystemExit("oidc-provider is missing: make tools")
        LOGS.mkdir(parents=True, exist_ok=True)
        log = LOGS / "upstream-provider.log"
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                [shutil.which("node") or "node", str(ROOT / "tests" / "upstream_provider.mjs")],
                env={
                    **os.environ,
                    "OIDC_PROVIDER": str(ENTRY),
                    "PORT": str(self.port),
                    "REDIRECT_URI": self.redirect_uri,
                },
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        # tests/upstream_provider.mjs says "listening on {issuer}" once it answers.
        for _ in range(300):
            if f"listening on {self.url}" in log.read_text(errors="replace"):
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise SystemExit(f"oidc-provider did not start: see {log}")

    def __exit__(self, *_: object) -> None:
        if self.proc is not None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)

    @property
    def pid(self) -> int:
        return self.proc.pid if self.proc is not None else 0


class Person:
    """Someone with an account at the upstream: its browser there (the upstream's session and
    grant, after the first sign-in) and at firegate (the device cookie)."""

    def __init__(self, login: str, firegate: str, callback: str) -> None:
        self.login, self.firegate, self.callback = login, firegate, callback
        self.upstream = requests.Session()
        self.browser = requests.Session()

    def flight(self) -> tuple[str, str]:
        """A started sign-in brought back to the callback's door: its URL (code and state)
        and the Cookie header the browser sends with it (the flight, the device)."""
        left = self.browser.get(
            f"{self.firegate}/sign-in/with/{PROVIDER}", allow_redirects=False, timeout=30
        )
        if left.status_code not in (302, 303):
            raise SystemExit(f"start: {left.status_code} {left.text[:300]}")
        cookies = "; ".join(
            f"{c.name}={c.value}" for c in self.browser.cookies if c.name != "firegate_session"
        )
        url = left.headers["Location"]
        for _ in range(12):
            if url.startswith(self.callback):
                return url, cookies
            got = self.upstream.get(url, allow_redirects=False, timeout=30)
            if got.status_code in (302, 303):
                url = urljoin(url, got.headers["Location"])
            elif got.status_code == 200 and 'value="login"' in got.text:  # its development login
                fields = {"prompt": "login", "login": self.login, "password": "x"}
                url = self._post_form(url, got.text, fields)
            elif got.status_code == 200 and 'value="consent"' in got.text:
                url = self._post_form(url, got.text, {"prompt": "consent"})
            else:
                raise SystemExit(f"upstream: {got.status_code} {got.text[:300]}")
        raise SystemExit("upstream: no way back to the callback")

    def _post_form(self, url: str, html: str, fields: dict[str, str]) -> str:
        action = html.split('action="', 1)[1].split('"', 1)[0]
        got = self.upstream.post(urljoin(url, action), data=fields, allow_redirects=False)
        if got.status_code not in (302, 303):
            raise SystemExit(f"upstream form: {got.status_code} {got.text[:300]}")
        return urljoin(url, got.headers["Location"])

    def first_sign_in(self) -> None:
        url, _ = self.flight()
        back = self.browser.get(url, allow_redirects=False, timeout=30)
        if back.status_code != 303 or "/sign-in" in back.headers.get("Location", "/sign-in"):
            raise SystemExit(f"first callback: {back.status_code} {back.headers}")


def flights(people: Sequence[Person], n: int) -> list[tuple[str, str]]:
    """``n`` flights, each person's made in turn (a browser holds one flight at a time)."""

    def of(person: Person) -> list[tuple[str, str]]:
        return [person.flight() for _ in range(n // len(people))]

    with ThreadPoolExecutor(max_workers=8) as pool:
        made = list(pool.map(of, people))
    return [item for row in zip(*made, strict=True) for item in row]


def returns(made: Sequence[tuple[str, str]]) -> Callable[[requests.Session, int], int]:
    """The timed request of a run of callbacks: the ``i``-th flight's return, its status
    (negative unless it signed the browser in and sent it on)."""

    def send(http: requests.Session, i: int) -> int:
        url, cookies = made[i]
        got = http.get(url, headers={"Cookie": cookies}, allow_redirects=False, timeout=60)
        ok = got.status_code == 303 and "/account" in got.headers["Location"]
        return got.status_code if ok else -got.status_code

    return send


# -- Firebase: the password-free sign-in compared with


def firebase_tokens(auth_url: str, project: str) -> list[str]:
    """ID tokens of sixteen Firebase users with verified addresses, from the Auth emulator."""
    tokens = []
    prefix = unique("fb")
    for n in range(PEOPLE):
        email, password = f"{prefix}-{n}@example.com", "firebase secret 1"
        made = requests.post(
            f"{auth_url}/identitytoolkit.googleapis.com/v1/projects/{project}/accounts",
            json={"email": email, "password": password, "emailVerified": True},
            headers={"Authorization": "Bearer owner"},
            timeout=30,
        )
        made.raise_for_status()
        signed = requests.post(
            f"{auth_url}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=any",
            json={"email": email, "password": password, "returnSecureToken": True},
            timeout=30,
        )
        signed.raise_for_status()
        tokens.append(signed.json()["idToken"])
    return tokens


# -- the timed runs


def drive(
    send: Callable[[requests.Session, int], int], count: int, connections: int, pids: list[int]
) -> dict[str, Any]:
    """``count`` requests over ``connections`` keep-alive connections; the CPU of each group
    of ``pids`` (service, upstream, emulator) per request, and the statuses."""
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    local = threading.local()

    def one(i: int) -> None:
        if not hasattr(local, "http"):
            local.http = requests.Session()
        status = send(local.http, i)
        with lock:
            statuses[status] = statuses.get(status, 0) + 1

    load_before = loadavg()
    before = [cpu_seconds([pid]) for pid in pids]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=connections) as pool:
        list(pool.map(one, range(count)))
    seconds = time.perf_counter() - started
    spent = [cpu_seconds([pid]) - b for pid, b in zip(pids, before, strict=True)]
    return {
        "requests": count,
        "seconds": round(seconds, 2),
        "per_second": round(count / seconds, 1),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "cpu_ms": [round(1000 * s / count, 3) for s in spent],
        "load_before": load_before,
        "load_after": loadavg(),
    }


def main() -> int:  # noqa: PLR0915 - one scenario, read top to bottom
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--signins", type=int, default=240, help="callbacks a round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--port", type=int, default=0, help="firegate's; the upstream's +1")
    args = parser.parse_args()
    signins = max(PEOPLE, args.signins // PEOPLE * PEOPLE)

    emulators = start_emulators(("firestore", "auth"))
    firegate_port = args.port or free_port()
    upstream_port = args.port + 1 if args.port else free_port()
    firegate = f"http://127.0.0.1:{firegate_port}"
    callback = f"{firegate}/sign-in/with/{PROVIDER}/callback"
    runs: dict[str, list[dict[str, Any]]] = {"callback": [], "firebase": []}
    try:
        wipe_firestore(emulators)
        with Upstream(upstream_port, callback) as upstream:
            provider = {
                "id": PROVIDER,
                "issuer": upstream.url,
                "client_id": CLIENT[0],
                "client_secret": CLIENT[1],
                "name": "Bench OP",
            }
            env = service_env(
                emulators,
                PUBLIC_URL=firegate,
                UPSTREAM_PROVIDERS=json.dumps([provider]),
                LOG_LEVEL="WARNING",
            )
            with Server("upstream-callback", env, port=firegate_port) as service:
                workers = service.wait_workers(int(env.get("WEB_CONCURRENCY", "2")))
                prefix = unique("up")
                people = [Person(f"{prefix}{n}", firegate, callback) for n in range(PEOPLE)]
                with ThreadPoolExecutor(max_workers=8) as pool:
                    list(pool.map(Person.first_sign_in, people))
                tokens = firebase_tokens(emulators.url("auth"), emulators.project)
                for token in tokens:  # each Firebase user's account made and linked
                    first = requests.post(
                        firegate + "/auth/firebase", json={"id_token": token}, timeout=30
                    )
                    if first.status_code != 200:
                        raise SystemExit(f"firebase: {first.status_code} {first.text[:300]}")
                bodies = [json.dumps({"id_token": token}) for token in tokens]
                emulator = emulator_pid(emulators.firestore_port) or 0
                auth = emulator_pid(emulators.port("auth")) or 0
                pids = [service.pid, *workers]

                def timed_callbacks(count: int) -> dict[str, Any]:
                    made = flights(people, count)
                    measured = [*pids, upstream.pid, emulator]
                    return drive(returns(made), len(made), args.connections, measured)

                def timed_firebase(count: int) -> dict[str, Any]:
                    def send(http: requests.Session, i: int) -> int:
                        got = http.post(
                            firegate + "/auth/firebase",
                            data=bodies[i % len(bodies)],
                            headers={"Content-Type": "application/json"},
                            timeout=60,
                        )
                        return got.status_code

                    return drive(send, count, args.connections, [*pids, auth, emulator])

                # Warm-up, not timed: the workers' first callbacks read the upstream's
                # discovery document and keys; the emulator's JVM settles.
                for _ in range(2):
                    timed_callbacks(signins)
                    timed_firebase(signins)
                for round_no in range(args.rounds):
                    order = ["callback", "firebase"]
                    for label in order if round_no % 2 == 0 else order[::-1]:
                        run = (timed_callbacks if label == "callback" else timed_firebase)(signins)
                        cpu = run.pop("cpu_ms")
                        run["service_cpu_ms"] = round(sum(cpu[: len(pids)]), 3)
                        run["upstream_cpu_ms" if label == "callback" else "auth_cpu_ms"] = cpu[-2]
                        run["firestore_emulator_cpu_ms"] = cpu[-1]
                        runs[label].append(run)
                        print(
                            f"round {round_no + 1} {label:>8}: service {run['service_cpu_ms']:.2f}"
                            f" ms CPU a sign-in ({run['per_second']}/s, statuses "
                            f"{run['statuses']}); emulator {run['firestore_emulator_cpu_ms']} ms;"
                            f" load {run['load_after']}",
                            flush=True,
                        )
    finally:
        emulators.stop()

    callback_ms = round(median([r["service_cpu_ms"] for r in runs["callback"]]), 3)
    firebase_ms = round(median([r["service_cpu_ms"] for r in runs["firebase"]]), 3)
    pairs = zip(runs["callback"], runs["firebase"], strict=True)
    ratios = [round(c["service_cpu_ms"] / f["service_cpu_ms"], 2) for c, f in pairs]
    ratio = round(callback_ms / firebase_ms, 2) if firebase_ms else float("inf")
    errors = sum(
        n
        for r in runs["callback"] + runs["firebase"]
        for s, n in r["statuses"].items()
        if s not in ("200", "303")
    )
    result = {
        "server": "gunicorn -c gunicorn.conf.py, RATE_LIMIT_ENABLED=false, Firestore and Auth "
        "emulators; upstream: oidc-provider (tests/upstream_provider.mjs) on this machine",
        "signins_per_run": signins,
        "connections": args.connections,
        "callback_service_cpu_ms": callback_ms,
        "firebase_service_cpu_ms": firebase_ms,
        "upstream_cpu_ms_per_callback": round(
            median([r["upstream_cpu_ms"] for r in runs["callback"]]), 3
        ),
        "ratio": ratio,
        "ratios_per_round": ratios,
        "target_ratio_max": TARGET_RATIO,
        "errors": errors,
        "met": ratio <= TARGET_RATIO and errors == 0,
        "runs": runs,
        "host": urlsplit(firegate).netloc,
    }
    path = write_result("upstream_callback", result)
    print(
        f"callback {callback_ms} ms against firebase {firebase_ms} ms of service CPU a sign-in: "
        f"{ratio}x (per round {ratios}; target <= {TARGET_RATIO}); wrote {path}"
    )
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
