#!/usr/bin/env python3
"""The active organization: GET /user with an access token naming an org against one naming
none, and POST /auth/org against POST /auth/refresh.

    PYTHONPATH=src .venv/bin/python bench/active_org.py [--seconds 5] [--rounds 5]
        [--connections 8] [--sample 200]

The service runs under `gunicorn -c gunicorn.conf.py` on the Firestore emulator (the bench's
ports), request limits off. One account is a member of one org (its documents written by the
layout of application/orgs/ports.py). GET /user: wrk runs the two tokens in turn, rotating
which goes first, ``--rounds`` times; the ratio is the median of each round's paired ratio
(latency, and the service's CPU per request). Target: the org's at most 1.1x. Then one client
on one kept-alive connection alternates POST /auth/org (by id) and POST /auth/refresh (each
with the refresh token the last gave), ``--sample`` of each, reading the wall time and the
service's CPU around each. Target: the switch's median at most the refresh's. Writes
bench/results/active_org.json.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import requests

from _common import (
    cpu_seconds,
    loadavg,
    median,
    register_and_login,
    summarize_runs,
    unique,
    write_result,
)
from _reads import paired_ratio, reads_parser, rotated_reads, service_on_firestore
from domain.accounts.credentials import username_key
from domain.orgs.orgs import new_org_id
from infrastructure.firestore.client import claim_id, make_client

READ_RATIO_MAX = 1.10  # GET /user naming an org, over naming none
SWITCH_OVER_REFRESH_MAX = 1.0


def add_org(project: str, slug: str, user_id: str) -> str:
    client, org_id, now = make_client(project), new_org_id(), datetime.now(UTC)
    org = client.collection("orgs").document(org_id)
    org.set(
        {
            "slug": slug,
            "name": slug,
            "created_at": now,
            "updated_at": now,
            "require_mfa": False,
            "owners": 1,
            "member_version": 1,
            "deleted_at": None,
        }
    )
    client.collection("org_slugs").document(claim_id(username_key(slug))).set({"org_id": org_id})
    org.collection("members").document(user_id).set(
        {
            "org_id": org_id,
            "user_id": user_id,
            "roles": ["owner"],
            "version": 1,
            "joined_at": now,
            "updated_at": now,
        }
    )
    return org_id


def timed(pids: list[int], call: Callable[[], requests.Response]) -> tuple[float, float]:
    """Wall ms and service CPU ms of one request."""
    before_cpu, before = cpu_seconds(pids), time.perf_counter()
    answer = call()
    wall = 1000 * (time.perf_counter() - before)
    time.sleep(0.002)  # the worker finishes its request just after the answer
    if answer.status_code != 200:
        raise RuntimeError(f"{answer.status_code} {answer.text[:300]}")
    return wall, 1000 * (cpu_seconds(pids) - before_cpu)


def main() -> int:
    parser = reads_parser(__doc__, "active_org")
    parser.add_argument("--sample", type=int, default=200)
    args = parser.parse_args()

    with service_on_firestore("active_org") as served:
        service, emulators, workers = served
        pair = register_and_login(service.url, unique("orguser"))
        org_id = add_org(emulators.project, unique("org-"), pair["user_id"])
        http = requests.Session()
        auth = {"Authorization": f"Bearer {pair['access_token']}"}
        switched = http.post(service.url + "/auth/org", json={"org": org_id}, headers=auth)
        if switched.status_code != 200:
            raise RuntimeError(f"switch: {switched.status_code} {switched.text[:300]}")
        tokens = {"none": pair["access_token"], "org": switched.json()["access_token"]}
        runs, pids = rotated_reads(served, tokens, args)

        refresh_token = pair["refresh_token"]
        switch: dict[str, list[float]] = {"wall": [], "cpu": []}
        refresh: dict[str, list[float]] = {"wall": [], "cpu": []}
        for index in range(50 + args.sample):  # the first 50 warm both up
            body = {"org": org_id if index % 2 else None}
            wall, cpu = timed(
                pids,
                lambda b=body: http.post(  # type: ignore[misc]
                    service.url + "/auth/org", json=b, headers=auth, timeout=60
                ),
            )
            if index >= 50:
                switch["wall"].append(wall)
                switch["cpu"].append(cpu)
            answer: dict[str, str] = {}

            def refreshed(token: str = refresh_token, out: dict[str, str] = answer) -> Any:
                got = http.post(
                    service.url + "/auth/refresh", json={"refresh_token": token}, timeout=60
                )
                out.update(got.json())
                return got

            wall, cpu = timed(pids, refreshed)
            refresh_token = answer["refresh_token"]
            if index >= 50:
                refresh["wall"].append(wall)
                refresh["cpu"].append(cpu)

    none, org = summarize_runs(runs["none"]), summarize_runs(runs["org"])

    def paired(key: str) -> float:
        return paired_ratio(runs["org"], runs["none"], key)

    figures = {
        "switch_ms": round(median(switch["wall"]), 3),
        "refresh_ms": round(median(refresh["wall"]), 3),
        "switch_cpu_ms": round(median(switch["cpu"]), 3),
        "refresh_cpu_ms": round(median(refresh["cpu"]), 3),
    }
    met = {
        "read_latency": paired("mean_ms") <= READ_RATIO_MAX,
        "read_cpu": paired("cpu_ms_per_request") <= READ_RATIO_MAX,
        "switch_latency": figures["switch_ms"] <= SWITCH_OVER_REFRESH_MAX * figures["refresh_ms"],
        "errors": none["errors"] + org["errors"] == 0,
    }
    result = {
        "server": f"gunicorn -c gunicorn.conf.py: gthread, {workers} workers, local profile, "
        "RATE_LIMIT_ENABLED=false, Firestore emulator on loopback",
        "read": {
            "connections": args.connections,
            "no_org": none,
            "org": org,
            "ratio_mean_latency": paired("mean_ms"),
            "ratio_cpu_per_request": paired("cpu_ms_per_request"),
        },
        "switch_against_refresh": {**figures, "sample": args.sample},
        "targets": {"read_ratio_max": READ_RATIO_MAX, "switch_over_refresh_max": 1.0},
        "met_detail": met,
        "met": all(met.values()),
        "load_at_end": loadavg(),
    }
    path = write_result(args.name, result)
    print(
        f"GET /user c={args.connections}: no org {none['mean_ms']} ms mean, "
        f"{none['cpu_ms_per_request']} ms CPU; org {org['mean_ms']} ms, "
        f"{org['cpu_ms_per_request']} ms CPU (x{paired('mean_ms')} latency, "
        f"x{paired('cpu_ms_per_request')} CPU); POST /auth/org {figures['switch_ms']} ms "
        f"({figures['switch_cpu_ms']} ms CPU) vs refresh {figures['refresh_ms']} ms "
        f"({figures['refresh_cpu_ms']} ms CPU); wrote {path}"
    )
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
