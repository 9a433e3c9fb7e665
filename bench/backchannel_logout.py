#!/usr/bin/env python3
"""What back-channel logout adds to a sign-out: its Firestore commits, reads and writes.

    .venv/bin/python bench/backchannel_logout.py [--rounds 3] [--clients 3]

A sign-out's logout tokens are deliveries of the webhook outbox, written in the commit of the
sign-out's own security event (docs/decisions/0416-back-channel-logout-through-the-outbox.md).
This script builds the app on the bench Firestore emulator with its every call counted
(tests/support/firestore_cost.py), signs a browser in, lets ``--clients`` apps with a
``backchannel_logout_uri`` get tokens from that session (or none), and counts what
``POST /sign-out`` asks of Firestore, the request alone (the deliveries' jobs run after).
Target: with the apps, at most one commit more than with none. Writes
bench/results/backchannel_logout.json.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from _common import ROOT, loadavg, start_emulators, wipe_firestore, write_result
from bootstrap import build_adapters, build_app

sys.path.insert(0, str(ROOT))  # the tests' metered client and browser
from tests.fakes.kernel import FakeJobQueue
from tests.fakes.mail import FakeMailer
from tests.support.app import swap
from tests.support.firestore_cost import Cost, FirestoreMeter, metered_client
from tests.support.oauth import EmulatorWorld
from tests.support.pages import csrf
from tests.support.settings import make_settings

COMMITS = ("Commit", "BatchWrite", "commit")  # the client library's calls, and REST's
MAX_MORE_COMMITS = 1


def commits(cost: Cost) -> int:
    return sum(cost.calls[name] for name in COMMITS)


def sign_out_cost(client: Any, meter: FirestoreMeter, clients: int) -> Cost:
    settings = make_settings()
    adapters = swap(
        build_adapters(settings, firestore=client),
        job_queue=FakeJobQueue().attach,
        webhook_queue=None,
        mailer=FakeMailer(),
    )
    world = EmulatorWorld(build_app(settings, adapters))
    for number in range(clients):
        app = world.relying_party("--backchannel-logout-uri", f"http://127.0.0.1:9/bc{number}")
        world.rp_tokens(app)
    token = csrf(world.client, "/account")
    with meter.measuring() as cost:
        answer = world.client.post("/sign-out", data={"csrf_token": token})
    if answer.status_code != 303:
        raise RuntimeError(f"the sign-out answered {answer.status_code}")
    return cost


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=3)
    args = parser.parse_args()

    emulators = start_emulators()
    client, meter = metered_client(emulators.project)
    runs: dict[str, list[dict[str, int]]] = {"none": [], "with": []}
    for _ in range(args.rounds):
        for name, count in (("none", 0), ("with", args.clients)):
            wipe_firestore(emulators)
            cost = sign_out_cost(client, meter, count)
            runs[name].append(
                {
                    "commits": commits(cost),
                    "reads": cost.reads,
                    "writes": cost.writes,
                    "round_trips": cost.round_trips,
                }
            )
    worst_more = max(w["commits"] for w in runs["with"]) - min(n["commits"] for n in runs["none"])
    met = worst_more <= MAX_MORE_COMMITS
    for name, found in runs.items():
        print(f"sign-out, {name} apps holding grants: {found}")
    print(f"commits more with {args.clients} apps: {worst_more} (target <= {MAX_MORE_COMMITS})")
    path = write_result(
        "backchannel_logout",
        {
            "clients": args.clients,
            "runs": runs,
            "more_commits": worst_more,
            "target_more_commits_max": MAX_MORE_COMMITS,
            "met": met,
            "load_at_end": loadavg(),
        },
    )
    print(f"wrote {path}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
