#!/usr/bin/env python3
"""A pushed authorization request (RFC 9126) and its code exchange, against a plain code
exchange, in the provider's CPU.

    .venv/bin/python bench/par.py [--flows 60] [--rounds 3] [--threads 4] [--keep-alive]

firegate under gunicorn with one worker on the Firestore emulator (bench/oidc.py's
``Firegate``), a confidential client and a signed-in browser whose consent is remembered.
Each round times, in the server's CPU (all its processes), ``--flows`` flows of each kind,
step by step, 4 at a time:

- plain: ``GET /oauth/authorize`` (302 with a code), then the code exchange at
  ``/oauth/token``;
- pushed: ``POST /oauth/par`` (the client's secret, the request checked and kept), the
  browser's arrival with ``request_uri`` (303: spent, a ticket made), the resumed request
  (302 with a code), then the code exchange.

The app's own calls (the push, the code exchange) open a connection each, as a client without
a pool does; ``--keep-alive``: over connections kept open, one per request at a time, as a
client with a pool does (and as bench/oidc.py's wrk does). The browser keeps its connection
either way. Figures are CPU ms per request of each step and per flow. Target (docs/benchmarks.md):
a PAR plus its code exchange at most 1.3x a plain code exchange's CPU (``par_ratio``); the
whole pushed flow against the whole plain flow is shown beside it (``flow_ratio``), and the
push alone against a code exchange, both kinds' together (``par_share``: the target is
``par_share <= 0.3`` where both exchanges cost the same; ``par_ratio`` sets two timings of
one operation against each other, which on a busy machine differ by 10-30 %).
Writes bench/results/par.json (with ``--keep-alive``, par_keep_alive.json).
"""

from __future__ import annotations

import argparse
import queue
import sys
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from _common import cpu_seconds, loadavg, median, write_result
from oidc import CHALLENGE, REDIRECT, VERIFIER, Firegate

TARGET_RATIO = 1.3
PARALLEL = 4
AUTHORIZATION = {
    "response_type": "code",
    "redirect_uri": REDIRECT,
    "scope": "openid",
    "code_challenge": CHALLENGE,
    "code_challenge_method": "S256",
}


def timed(
    pids: Callable[[], list[int]], step: Callable[[int], Any], n: int
) -> tuple[float, list[Any]]:
    """CPU ms per call of ``step`` over ``n`` calls, ``PARALLEL`` at a time, and its answers."""
    before = cpu_seconds(pids())
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        found = list(pool.map(step, range(n)))
    return (cpu_seconds(pids()) - before) * 1000 / n, found


def code_of(answer: requests.Response) -> str:
    if answer.status_code != 302:
        raise SystemExit(f"authorize: {answer.status_code} {answer.text[:300]}")
    return urllib.parse.parse_qs(urllib.parse.urlsplit(answer.headers["Location"]).query)["code"][0]


class AppHttp:
    """How the app's own requests reach the server: a new connection each (``requests.post``),
    or, kept alive, one of ``PARALLEL`` sessions, each used by one request at a time."""

    def __init__(self, keep_alive: bool) -> None:
        self.sessions: queue.Queue[requests.Session] | None = None
        if keep_alive:
            self.sessions = queue.Queue()
            for _ in range(PARALLEL):
                self.sessions.put(requests.Session())

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        if self.sessions is None:
            return requests.post(url, timeout=60, **kwargs)
        session = self.sessions.get()
        try:
            return session.post(url, timeout=60, **kwargs)
        finally:
            self.sessions.put(session)


def one_round(
    fg: Firegate, client: dict[str, Any], browser: requests.Session, n: int, app: AppHttp
) -> dict[str, float]:
    base = fg.server.url
    server = fg.server
    pids = lambda: [server.pid, *server.workers()]  # noqa: E731 - read at each step
    auth = (client["client_id"], client["client_secret"])
    params = {**AUTHORIZATION, "client_id": client["client_id"]}

    def exchange(code: str) -> None:
        body = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                "code_verifier": VERIFIER}  # fmt: skip
        answer = app.post(base + "/oauth/token", data=body, auth=auth)
        if answer.status_code != 200:
            raise SystemExit(f"token: {answer.status_code} {answer.text[:300]}")

    def authorize(_: int) -> str:
        answer = browser.get(
            base + "/oauth/authorize", params=params, allow_redirects=False, timeout=60
        )
        return code_of(answer)

    def push(_: int) -> str:
        answer = app.post(base + "/oauth/par", data=AUTHORIZATION, auth=auth)
        if answer.status_code != 201:
            raise SystemExit(f"par: {answer.status_code} {answer.text[:300]}")
        found: str = answer.json()["request_uri"]
        return found

    uris: list[str] = []

    def arrive(i: int) -> str:
        query = {"client_id": client["client_id"], "request_uri": uris[i]}
        answer = browser.get(
            base + "/oauth/authorize", params=query, allow_redirects=False, timeout=60
        )
        if answer.status_code != 303:
            raise SystemExit(f"arrival: {answer.status_code} {answer.text[:300]}")
        return base + answer.headers["Location"]

    resumed: list[str] = []

    def resume(i: int) -> str:
        return code_of(browser.get(resumed[i], allow_redirects=False, timeout=60))

    authorize_ms, codes = timed(pids, authorize, n)
    exchange_ms, _ = timed(pids, lambda i: exchange(codes[i]), n)
    par_ms, pushed = timed(pids, push, n)
    uris.extend(pushed)
    arrive_ms, locations = timed(pids, arrive, n)
    resumed.extend(locations)
    resume_ms, par_codes = timed(pids, resume, n)
    pushed_exchange_ms, _ = timed(pids, lambda i: exchange(par_codes[i]), n)
    return {
        "authorize_ms": authorize_ms,
        "exchange_ms": exchange_ms,
        "par_ms": par_ms,
        "arrival_ms": arrive_ms,
        "resume_ms": resume_ms,
        "pushed_exchange_ms": pushed_exchange_ms,
        "par_ratio": (par_ms + pushed_exchange_ms) / exchange_ms,
        "par_share": par_ms / ((exchange_ms + pushed_exchange_ms) / 2),
        "flow_ratio": (par_ms + arrive_ms + resume_ms + pushed_exchange_ms)
        / (authorize_ms + exchange_ms),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--flows", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4, help="firegate's gunicorn threads")
    parser.add_argument(
        "--keep-alive", action="store_true", help="the app's requests over kept connections"
    )
    args = parser.parse_args()
    with Firegate(args.threads) as fg:
        client = fg.cli(
            "clients", "create", "--name", "bench par", "--redirect-uri", REDIRECT,
            "--confidential", "--scope", "openid",
        )  # fmt: skip
        browser = fg.browser()
        fg.codes(browser, client["client_id"], 1)  # consent once; then remembered
        app = AppHttp(args.keep_alive)
        one_round(fg, client, browser, 10, app)  # warm up: imports, connections, caches
        rounds = [one_round(fg, client, browser, args.flows, app) for _ in range(args.rounds)]
    figures = {name: median([r[name] for r in rounds]) for name in rounds[0]}
    met = figures["par_ratio"] <= TARGET_RATIO
    for name, value in figures.items():
        print(f"{name:>20}: {value:7.2f}")
    print(f"PAR + exchange / exchange: {figures['par_ratio']:.2f}x (target <= {TARGET_RATIO}x): "
          + ("met" if met else "missed"))  # fmt: skip
    write_result(
        "par_keep_alive" if args.keep_alive else "par",
        {
            "flows": args.flows,
            "keep_alive": args.keep_alive,
            "rounds": rounds,
            "median": figures,
            "target": TARGET_RATIO,
            "met": met,
            "load_at_end": loadavg(),
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
