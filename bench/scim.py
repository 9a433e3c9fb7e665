#!/usr/bin/env python3
"""SCIM: the service CPU of a SCIM create against a sign-up's without its argon2 hash, and a
filtered list over an org of 10,000 SCIM users.

    .venv/bin/python bench/scim.py [--creates 200] [--signups 60] [--users 10000]

firegate runs under `gunicorn -c gunicorn.conf.py` on the Firestore emulator with the request
limits off. One org with a verified domain and a SCIM token; requests one at a time on a
keep-alive connection. The figures are the service's CPU (gunicorn's master and workers, read
around each run) per request:

- ``create``: POST /scim/v2/Users, each a new person on the org's domain (the userName
  claimed, the account made, the membership added);
- ``signup``: POST /register, minus one argon2id hash at the service's parameters (measured in
  this process, the same hash the service computes). Target: create <= 3x signup;
- ``list``: GET /scim/v2/Users with ``filter=userName eq "…"`` and ``emails.value co "…"`` over
  an org of ``--users`` SCIM users (their records written directly), each answered by one
  array-contains-any query on the records' keys (docs/decisions/0403-scim-filters-by-keys.md).

Writes bench/results/scim.json.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import argon2
import requests

from _common import (
    PASSWORD,
    Server,
    cpu_seconds,
    median,
    percentile,
    register_and_login,
    service_env,
    start_emulators,
    unique,
    wipe_firestore,
    write_result,
)
from domain.ids import new_id
from domain.orgs.domains import OrgDomain
from domain.scim.users import ScimEmail, ScimUser
from infrastructure.firestore.client import make_client
from infrastructure.firestore.orgs.domains import FirestoreOrgDomains
from infrastructure.firestore.scim.users import FirestoreScimUsers

DOMAIN = "bench-scim.example.com"


class ListFailed(Exception):
    """A filtered list that did not answer its one user."""


SCIM_JSON = "application/scim+json"


def per_request_cpu(pids: list[int], count: int, send: Any) -> tuple[float, list[float]]:
    """The service's CPU per request (ms) and each request's latency (ms)."""
    latencies = []
    before = cpu_seconds(pids)
    for n in range(count):
        started = time.perf_counter()
        send(n)
        latencies.append(1000 * (time.perf_counter() - started))
    return 1000 * (cpu_seconds(pids) - before) / count, latencies


def argon2_cpu_ms(count: int = 10) -> float:
    hasher = argon2.PasswordHasher(
        time_cost=2, memory_cost=19456, parallelism=1, type=argon2.Type.ID
    )
    started = time.process_time()
    for _ in range(count):
        hasher.hash(PASSWORD)
    return 1000 * (time.process_time() - started) / count


def seeded(project: str, org_id: str, users: int) -> None:
    """``users`` SCIM records of the org, written as provisioning writes them (with their
    keys and their userName claims), 16 at a time."""
    records = FirestoreScimUsers(make_client(project))
    now = datetime.now(UTC)

    def one(n: int) -> None:
        address = f"user{n}@{DOMAIN}"
        records.claim(
            ScimUser(
                org_id,
                new_id(),
                address,
                True,
                True,
                now,
                now,
                1,
                (ScimEmail(address, "work", True),),
            )
        )

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(one, range(users)))


def directory(url: str, project: str, http: requests.Session) -> tuple[dict[str, Any], str]:
    """A new org (its owner a new account) with DOMAIN verified, and a SCIM token of it."""
    owner = register_and_login(url, unique("owner"), http)
    admin = {"Authorization": f"Bearer {owner['access_token']}"}
    slug = unique("scim")
    org: dict[str, Any] = http.post(
        url + "/orgs", json={"slug": slug, "name": "Bench"}, headers=admin, timeout=30
    ).json()
    domains = FirestoreOrgDomains(make_client(project))
    domain = OrgDomain.create(org["id"], DOMAIN, "bench", datetime.now(UTC))
    domains.add(domain)
    domains.verify(domain.verified_now(datetime.now(UTC)))
    token: str = http.post(
        f"{url}/orgs/{slug}/scim/tokens", json={"name": "bench"}, headers=admin, timeout=30
    ).json()["token"]
    return org, token


def person(local_part: str, n: int) -> dict[str, Any]:
    """A SCIM User on the org's domain, as Okta creates one."""
    address = f"{local_part}@{DOMAIN}"
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": address,
        "name": {"givenName": "Bench", "familyName": f"Person {n}"},
        "emails": [{"value": address, "type": "work", "primary": True}],
        "active": True,
    }


def main() -> int:  # noqa: PLR0915 - one scenario, read top to bottom
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--creates", type=int, default=200)
    parser.add_argument("--signups", type=int, default=60)
    parser.add_argument("--users", type=int, default=10000)
    parser.add_argument("--lists", type=int, default=50)
    args = parser.parse_args()

    emulators = start_emulators(("firestore",))
    wipe_firestore(emulators)
    env = service_env(emulators, LOG_LEVEL="WARNING")
    with Server("scim", env) as service, requests.Session() as http:
        pids = [service.pid, *service.wait_workers(int(env.get("WEB_CONCURRENCY", "2")))]
        url = service.url
        org, token = directory(url, emulators.project, http)
        scim = {"Authorization": f"Bearer {token}", "Content-Type": SCIM_JSON}
        prefix = unique("p")

        def create(n: int) -> None:
            body = person(f"{prefix}c{n}", n)
            answer = http.post(url + "/scim/v2/Users", json=body, headers=scim, timeout=60)
            if answer.status_code != 201:
                raise SystemExit(f"create: {answer.status_code} {answer.text[:300]}")

        def signup(n: int) -> None:
            name = f"{prefix}s{n}"
            body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
            answer = http.post(url + "/register", json=body, timeout=60)
            if answer.status_code != 201:
                raise SystemExit(f"register: {answer.status_code} {answer.text[:300]}")

        for n in range(5):  # warm-up: connections, imports, the emulator's JIT
            create(10**6 + n)
            signup(10**6 + n)
        create_cpu, create_ms = per_request_cpu(pids, args.creates, create)
        signup_cpu, _ = per_request_cpu(pids, args.signups, signup)
        hash_cpu = argon2_cpu_ms()
        signup_without = signup_cpu - hash_cpu

        started = time.perf_counter()
        seeded(emulators.project, org["id"], args.users)
        seed_seconds = time.perf_counter() - started
        total = http.get(url + "/scim/v2/Users?count=1", headers=scim, timeout=60).json()[
            "totalResults"
        ]
        lists: dict[str, Any] = {}
        for label, expression in (
            ("userName eq", f'userName eq "USER{args.users // 2}@{DOMAIN}"'),
            ("emails.value co", f'emails.value co "r{args.users // 2}@"'),
        ):

            def listed(_: int, expression: str = expression) -> None:
                answer = http.get(
                    url + "/scim/v2/Users", params={"filter": expression}, headers=scim, timeout=60
                )
                if answer.status_code != 200 or answer.json()["totalResults"] != 1:
                    raise ListFailed(f"{answer.status_code} {answer.text[:200]}")

            try:
                listed(0)
                cpu, latencies = per_request_cpu(pids, args.lists, listed)
            except ListFailed as failed:  # the emulator's answer, recorded as it is
                lists[label] = {"failed": str(failed)}
                continue
            lists[label] = {
                "cpu_ms": round(cpu, 2),
                "p50_ms": round(median(latencies), 2),
                "p90_ms": round(percentile(latencies, 90), 2),
            }
    result = {
        "create_cpu_ms": round(create_cpu, 2),
        "create_p50_ms": round(median(create_ms), 2),
        "signup_cpu_ms": round(signup_cpu, 2),
        "argon2_cpu_ms": round(hash_cpu, 2),
        "signup_without_argon2_cpu_ms": round(signup_without, 2),
        "ratio": round(create_cpu / signup_without, 2),
        "target_ratio": 3,
        "org_users": total,
        "seed_seconds": round(seed_seconds, 1),
        "lists": lists,
        "args": vars(args),
    }
    write_result("scim", result)
    print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
