#!/usr/bin/env python3
"""A pushed authorization request (RFC 9126) and its code exchange, against a plain code
exchange, in the provider's CPU.

    .venv/bin/python bench/par.py [--flows 60] [--rounds 3] [--threads 4]

firegate under gunicorn with one worker on the Firestore emulator (bench/oidc.py's
``Firegate``), a confidential client and a signed-in browser whose consent is remembered.
Each round times, in the server's CPU (all its processes), ``--flows`` flows of each kind,
step by step, 4 at a time:

- plain: ``GET /oauth/authorize`` (302 with a code), then the code exchange at
  ``/oauth/token``;
- pushed: ``POST /oauth/par`` (the client's secret, the request checked and kept), the
  browser's arrival with ``request_uri`` (303: spent, a ticket made), the resumed request
  (302 with a code), then the code exchange.

Figures are CPU ms per request of each step and per flow. Target (docs/benchmarks.md):
a PAR plus its code exchange at most 1.3x a plain code exchange's CPU (``par_ratio``); the
whole pushed flow against the whole plain flow is shown beside it (``flow_ratio``).
Writes bench/results/par.json.
"""

from __future__ import annotations

import argparse
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


def one_round(
    fg: Firegate, client: dict[str, Any], browser: requests.Session, n: int
) -> dict[str, float]:
    base = fg.server.url
    server = fg.server
    pids = lambda: [server.pid, *server.workers()]  # noqa: E731 - read at each step
    auth = (client["client_id"], client["client_secret"])
    params = {**AUTHORIZATION, "client_id": client["client_id"]}

    def exchange(code: str) -> None:
        body = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                "code_verifier": VERIFIER}  # fmt: skip
        answer = requests.post(base + "/oauth/token", data=body, auth=auth, timeout=60)
        if answer.status_code != 200:
            raise SystemExit(f"token: {answer.status_code} {answer.text[:300]}")

    def authorize(_: int) -> str:
        answer = browser.get(
            base + "/oauth/authorize", params=params, allow_redirects=False, timeout=60
        )
        return code_of(answer)

    def push(_: int) -> str:
        answer = requests.post(base + "/oauth/par", data=AUTHORIZATION, auth=auth, timeout=60)
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
        "flow_ratio": (par_ms + arrive_ms + resume_ms + pushed_exchange_ms)
        / (authorize_ms + exchange_ms),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--flows", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4, help="firegate's gunicorn threads")
    args = parser.parse_args()
    with Firegate(args.threads) as fg:
        client = fg.cli(
            "clients", "create", "--name", "bench par", "--redirect-uri", REDIRECT,
            "--confidential", "--scope", "openid",
        )  # fmt: skip
        browser = fg.browser()
        fg.codes(browser, client["client_id"], 1)  # consent once; then remembered
        one_round(fg, client, browser, 10)  # warm up: imports, connections, caches
        rounds = [one_round(fg, client, browser, args.flows) for _ in range(args.rounds)]
    figures = {name: median([r[name] for r in rounds]) for name in rounds[0]}
    met = figures["par_ratio"] <= TARGET_RATIO
    for name, value in figures.items():
        print(f"{name:>20}: {value:7.2f}")
    print(f"PAR + exchange / exchange: {figures['par_ratio']:.2f}x (target <= {TARGET_RATIO}x): "
          + ("met" if met else "missed"))  # fmt: skip
    write_result(
        "par",
        {
            "flows": args.flows,
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
