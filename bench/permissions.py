#!/usr/bin/env python3
"""GET /user with an active org whose roles carry permissions, against no org (and an org
without permissions).

    PYTHONPATH=src .venv/bin/python bench/permissions.py [--seconds 5] [--rounds 5]
        [--connections 8] [--permissions 100]

The service runs under `gunicorn -c gunicorn.conf.py` on the Firestore emulator (the bench's
ports), request limits off. One account owns two orgs, made through the API: one with roles
as firegate makes them, and one where the account also holds four roles of the org's own
that carry ``--permissions`` permissions between them (its membership document holds them
resolved; its access token carries them in ``org.permissions``). wrk runs the three tokens in
turn, rotating which goes first, ``--rounds`` times; a ratio is the median of each round's
paired ratio (latency, and the service's CPU per request). Target: the org with permissions
at most 1.1x the same read in the org without (what the permissions add; the active org's own
cost is bench/active_org.py's); over no org is reported beside it
(docs/decisions/0492-what-the-permissions-read-target-compares.md).

Then ``POST /access/v1/evaluation``: the account about itself and one of the org's
permissions, with its plain access token, against its floor (bench/floors/floor_app.py's
``GET /user`` with the same token: the same JWT check and one Firestore batch read, bare,
served beside it) and the service's ``GET /healthz``, in turn, rotated, ``--rounds`` times.
Target: the evaluation's CPU per request at most 2 floors (the median of each round's
ratio). Writes bench/results/permissions.json.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from collections.abc import Callable
from typing import Any

import requests

from _common import (
    BENCH,
    Server,
    loadavg,
    register_and_login,
    service_env,
    summarize_runs,
    unique,
    write_result,
    wrk,
)
from _reads import paired_ratio, reads_parser, rotated_reads, service_on_firestore
from emulators import EmulatorSet

READ_RATIO_MAX = 1.10  # GET /user in an org with permissions, over one in an org without
EVALUATION_FLOORS_MAX = 2.0  # POST /access/v1/evaluation's CPU per request, in floors
EVALUATION_SIDES = ("evaluation", "floor", "healthz")
ROLES = 4  # the org's own roles the account holds, the permissions spread over them


def ok(answer: requests.Response, what: str) -> Any:
    if answer.status_code not in (200, 201):
        raise RuntimeError(f"{what}: {answer.status_code} {answer.text[:300]}")
    return answer.json()


def org_token(
    http: requests.Session, url: str, auth: dict[str, str], user_id: str, permissions: int
) -> tuple[str, str]:
    """An access token naming a new org the account owns, and the org's id; with
    ``permissions`` > 0 the account also holds the org's roles that carry them."""
    slug = unique("perm-" if permissions else "plain-")
    org = ok(http.post(url + "/orgs", json={"slug": slug, "name": slug}, headers=auth), "org")
    held = ["owner"]
    for index in range(ROLES if permissions else 0):
        role = f"role-{index}"
        names = [f"app:{index}:{n}" for n in range(index, permissions, ROLES)]
        body = {"description": f"Role {index}", "permissions": names}
        ok(http.put(f"{url}/orgs/{org['id']}/roles/{role}", json=body, headers=auth), role)
        held.append(role)
    if permissions:
        path = f"{url}/orgs/{org['id']}/members/{user_id}"
        ok(http.patch(path, json={"roles": held}, headers=auth), "roles")
    switched = ok(http.post(url + "/auth/org", json={"org": org["id"]}, headers=auth), "switch")
    token = str(switched["access_token"])
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    carried = len(claims["org"].get("permissions", ()))
    if carried != permissions:  # the scenario is the one named: the token carries them all
        raise RuntimeError(f"the token carries {carried} permissions, not {permissions}")
    return token, str(org["id"])


def evaluations(
    served: tuple[Server, EmulatorSet, int], token: str, question: str, args: argparse.Namespace
) -> dict[str, Any]:
    """``POST /access/v1/evaluation`` (``question``, with the person's own ``token``) against
    its floor, bench/floors/floor_app.py's ``GET /user`` with the same token (the same JWT
    check and one Firestore batch read, bare), and the service's ``GET /healthz``: wrk in
    turn, the order rotated each round; the CPU per request in floors, each round's ratio."""
    service, emulators, workers = served
    env = service_env(emulators)
    with Server("permissions-floor", env, app="floor_app:app", extra_path=BENCH / "floors") as flr:
        service_pids = [service.pid, *service.workers()]
        floor_pids = [flr.pid, *flr.wait_workers(workers)]
        load = {"connections": args.connections, "seconds": args.seconds}
        sides: dict[str, Callable[[], dict[str, Any]]] = {
            "evaluation": lambda: wrk(
                service.url + "/access/v1/evaluation",
                method="POST",
                bodies=[question],
                content_type="application/json",
                token=token,
                cpu_of=service_pids,
                **load,
            ),
            "floor": lambda: wrk(flr.url + "/user", token=token, cpu_of=floor_pids, **load),
            "healthz": lambda: wrk(service.url + "/healthz", cpu_of=service_pids, **load),
        }
        sides["floor"]()  # the floor's workers warm, as the service's are
        runs: dict[str, list[dict[str, Any]]] = {label: [] for label in sides}
        labels = list(sides)
        for round_ in range(args.rounds):
            shift = round_ % len(labels)
            for label in labels[shift:] + labels[:shift]:
                runs[label].append(sides[label]())
    return {
        **{label: summarize_runs(found) for label, found in runs.items()},
        "floors": paired_ratio(runs["evaluation"], runs["floor"], "cpu_ms_per_request"),
        "healthz_floors": paired_ratio(runs["evaluation"], runs["healthz"], "cpu_ms_per_request"),
    }


def main() -> int:
    parser = reads_parser(__doc__, "permissions")
    parser.add_argument("--permissions", type=int, default=100)
    args = parser.parse_args()

    with service_on_firestore("permissions") as served:
        service, _, workers = served
        pair = register_and_login(service.url, unique("permuser"))
        http = requests.Session()
        auth = {"Authorization": f"Bearer {pair['access_token']}"}
        plain, _ = org_token(http, service.url, auth, pair["user_id"], 0)
        held, org_id = org_token(http, service.url, auth, pair["user_id"], args.permissions)
        tokens = {"none": pair["access_token"], "org": plain, "permissions": held}
        runs, _ = rotated_reads(served, tokens, args)
        question = json.dumps(
            {
                "subject": {"type": "user", "id": pair["user_id"]},
                "action": {"name": "app:0:0"},
                "resource": {"type": "org", "id": org_id},
            }
        )
        answer = http.post(
            service.url + "/access/v1/evaluation",
            data=question,
            headers={**auth, "Content-Type": "application/json"},
        )
        if ok(answer, "evaluation") != {"decision": True}:  # the question is the one named
            raise RuntimeError(f"the evaluation answers {answer.text[:200]}")
        evaluation = evaluations(served, pair["access_token"], question, args)

    summary = {label: summarize_runs(found) for label, found in runs.items()}

    def ratios(under: str) -> dict[str, float]:
        return {
            "mean_latency": paired_ratio(runs["permissions"], runs[under], "mean_ms"),
            "cpu_per_request": paired_ratio(runs["permissions"], runs[under], "cpu_ms_per_request"),
        }

    over_none, over_org = ratios("none"), ratios("org")
    met = {
        "read_latency": over_org["mean_latency"] <= READ_RATIO_MAX,
        "read_cpu": over_org["cpu_per_request"] <= READ_RATIO_MAX,
        "evaluation_floors": evaluation["floors"] <= EVALUATION_FLOORS_MAX,
        "errors": sum(s["errors"] for s in summary.values()) == 0,
        "evaluation_errors": sum(evaluation[side]["errors"] for side in EVALUATION_SIDES) == 0,
    }
    result = {
        "server": f"gunicorn -c gunicorn.conf.py: gthread, {workers} workers, local profile, "
        "RATE_LIMIT_ENABLED=false, Firestore emulator on loopback",
        "connections": args.connections,
        "permissions": args.permissions,
        "token_bytes": {label: len(token) for label, token in tokens.items()},
        "no_org": summary["none"],
        "org": summary["org"],
        "org_with_permissions": summary["permissions"],
        "ratio_over_no_org": over_none,
        "ratio_over_org_without_permissions": over_org,
        "evaluation": evaluation,
        "targets": {
            "read_ratio_max": READ_RATIO_MAX,
            "evaluation_floors_max": EVALUATION_FLOORS_MAX,
        },
        "met_detail": met,
        "met": all(met.values()),
        "load_at_end": loadavg(),
    }
    path = write_result(args.name, result)
    print(
        f"GET /user c={args.connections}: no org {summary['none']['mean_ms']} ms mean, "
        f"{summary['none']['cpu_ms_per_request']} ms CPU; org {summary['org']['mean_ms']} ms, "
        f"{summary['org']['cpu_ms_per_request']} ms CPU; org with {args.permissions} "
        f"permissions {summary['permissions']['mean_ms']} ms, "
        f"{summary['permissions']['cpu_ms_per_request']} ms CPU (x{over_none['mean_latency']} "
        f"latency, x{over_none['cpu_per_request']} CPU over no org; "
        f"x{over_org['mean_latency']}, x{over_org['cpu_per_request']} over the org without); "
        f"POST /access/v1/evaluation {evaluation['evaluation']['cpu_ms_per_request']} ms CPU, "
        f"{evaluation['floors']} floors (floor {evaluation['floor']['cpu_ms_per_request']} ms; "
        f"{evaluation['healthz_floors']}x GET /healthz); "
        f"wrote {path}"
    )
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
