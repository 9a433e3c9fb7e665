#!/usr/bin/env python3
"""The device flow's pending poll per core, beside ``GET /healthz`` on the same server.

    .venv/bin/python bench/device.py [--seconds 4] [--rounds 3] [--connections 8]

firegate under gunicorn with one worker on the Firestore emulator (bench/oidc.py's
``Firegate``), a client made with ``--grant device_code``; before the run it starts as many
device authorization requests as the run can poll (``POST /oauth/device_authorization``).
wrk then polls ``/oauth/token`` with ``grant_type=urn:ietf:params:oauth:grant-type:device_code``
for ``--seconds`` at ``--connections`` connections, each device code once (a client polls
each of its codes once per interval: every answer is ``authorization_pending``, which one
poll checks first on a code of its own), then ``GET /healthz`` the same way (the floor), then
the token endpoint's cheapest answer (``grant_type=unsupported``, refused by Authlib once it
has parsed the form: what every token request pays before its grant runs), ``--rounds``
times. Figures are the server's CPU per request; target: a pending poll at most 2x the
floor's. Writes bench/results/device.json.
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from _common import median, write_result, wrk
from oidc import FORM, REDIRECT, Firegate, form

GRANT = "urn:ietf:params:oauth:grant-type:device_code"
TARGET_RATIO = 2.0


def device_codes(base: str, client_id: str, n: int) -> list[str]:
    def one(_: int) -> str:
        answer = requests.post(
            base + "/oauth/device_authorization",
            data={"client_id": client_id, "scope": "openid"},
            timeout=60,
        )
        if answer.status_code != 200:
            raise SystemExit(f"device_authorization: {answer.status_code} {answer.text[:300]}")
        code: str = answer.json()["device_code"]
        return code

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(one, range(n)))


def check_pending(base: str, client_id: str) -> None:
    """One poll of a code of its own answers authorization_pending: what the run times."""
    (code,) = device_codes(base, client_id, 1)
    body = {"grant_type": GRANT, "device_code": code, "client_id": client_id}
    answer = requests.post(base + "/oauth/token", data=body, timeout=30).json()
    if answer.get("error") != "authorization_pending":
        raise SystemExit(f"not pending: {answer}")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=8, help="firegate's gunicorn threads")
    parser.add_argument("--codes", type=int, default=6000, help="device codes per round")
    args = parser.parse_args()
    rounds: list[dict[str, Any]] = []
    with Firegate(args.threads) as firegate:
        server = firegate.server
        client = firegate.cli(
            "clients", "create", "--name", "bench tv", "--redirect-uri", REDIRECT,
            "--grant", "device_code",
        )  # fmt: skip
        client_id = client["client_id"]
        check_pending(server.url, client_id)
        for number in range(1, args.rounds + 1):
            codes = device_codes(server.url, client_id, args.codes)
            bodies = [form(grant_type=GRANT, device_code=c, client_id=client_id) for c in codes]
            pids = [server.pid, *server.workers()]
            poll = wrk(
                server.url + "/oauth/token",
                connections=args.connections,
                seconds=args.seconds,
                method="POST",
                bodies=bodies,
                content_type=FORM,
                once=True,
                cpu_of=pids,
            )
            floor = wrk(
                server.url + "/healthz",
                connections=args.connections,
                seconds=args.seconds,
                cpu_of=pids,
            )
            endpoint = wrk(
                server.url + "/oauth/token",
                connections=args.connections,
                seconds=args.seconds,
                method="POST",
                bodies=[form(grant_type="unsupported", client_id=client_id)],
                content_type=FORM,
                cpu_of=pids,
            )
            ratio = poll["cpu_ms_per_request"] / floor["cpu_ms_per_request"]
            measured = {"poll": poll, "floor": floor, "endpoint": endpoint, "ratio": ratio}
            rounds.append({"round": number, **measured})
            print(
                f"round {number}: pending poll {poll['cpu_ms_per_request']:.3f} ms CPU "
                f"({poll['requests']} polls, {poll['rps']:.0f}/s, p50 {poll['p50_ms']} ms), "
                f"/healthz {floor['cpu_ms_per_request']:.3f} ms: {ratio:.2f}x; the token "
                f"endpoint's cheapest answer {endpoint['cpu_ms_per_request']:.3f} ms",
                flush=True,
            )
    ratio = median([r["ratio"] for r in rounds])
    met = ratio <= TARGET_RATIO
    write_result(
        "device",
        {
            "pending_poll_cpu_ms": median([r["poll"]["cpu_ms_per_request"] for r in rounds]),
            "floor_cpu_ms": median([r["floor"]["cpu_ms_per_request"] for r in rounds]),
            "token_endpoint_floor_cpu_ms": median(
                [r["endpoint"]["cpu_ms_per_request"] for r in rounds]
            ),
            "ratio": round(ratio, 2),
            "target_ratio": TARGET_RATIO,
            "met": met,
            "rounds": rounds,
        },
    )
    print(
        f"pending poll / healthz: {ratio:.2f}x (target <= {TARGET_RATIO}x): "
        f"{'met' if met else 'MISSED'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
