#!/usr/bin/env python3
"""A directory's push into one org: N SCIM creates by 8 parallel clients, people a second.

    .venv/bin/python bench/scim_push.py [--people 1000] [--clients 8]

firegate runs under `gunicorn -c gunicorn.conf.py` on the Firestore emulator with the request
limits off; one org with a verified domain and a SCIM token; each client a keep-alive
connection sending POST /scim/v2/Users, each a new person on the org's domain. Prints and
writes to bench/results/scim_push.json the people a second over the whole push. The emulator
models no per-document write limit: what one org takes on Firestore is counted by
tests/e2e/test_scim_push_cost_emulator.py (docs/operations.md, "One org's directory").
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from _common import Server, service_env, start_emulators, unique, wipe_firestore, write_result
from scim import SCIM_JSON, directory, person


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()

    emulators = start_emulators(("firestore",))
    wipe_firestore(emulators)
    env = service_env(emulators, LOG_LEVEL="WARNING")
    with Server("scim-push", env) as service, requests.Session() as http:
        service.wait_workers(int(env.get("WEB_CONCURRENCY", "2")))
        url = service.url
        _, token = directory(url, emulators.project, http)
        scim = {"Authorization": f"Bearer {token}", "Content-Type": SCIM_JSON}
        prefix = unique("push")
        sessions = threading.local()

        def create(n: int) -> None:
            if not hasattr(sessions, "http"):
                sessions.http = requests.Session()
            body = person(f"{prefix}{n}", n)
            answer = sessions.http.post(url + "/scim/v2/Users", json=body, headers=scim, timeout=60)
            if answer.status_code != 201:
                raise SystemExit(f"create: {answer.status_code} {answer.text[:300]}")

        for n in range(5):  # warm-up: connections, imports, the emulator's JIT
            create(10**6 + n)
        started = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(create, range(args.people)))
        seconds = time.perf_counter() - started
    result = {
        "people": args.people,
        "clients": args.clients,
        "seconds": round(seconds, 1),
        "people_per_second": round(args.people / seconds, 1),
        "args": vars(args),
    }
    write_result("scim_push", result)
    print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
