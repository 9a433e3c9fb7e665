#!/usr/bin/env python3
"""Profile one route of the service under load with py-spy (not part of `make bench`).

    .venv/bin/python bench/_profile.py [--path /user] [--connections 8] [--seconds 10]
        [--workers 1] [--method GET] [--login-body] [--scim-create]

``--scim-create``: POST /scim/v2/Users, each request a new person on an org's verified
domain, with the org's SCIM token (bench/scim.py's org).

Starts the service under gunicorn on the bench emulators (one worker by default, so one
process holds all the samples), loads the route with wrk while `py-spy record` samples the
worker, and prints the functions with the most inclusive and self samples. The collapsed
stacks stay in .local/bench/profile-*.txt (open them with speedscope or flamegraph.pl).
py-spy is a dev requirement (requirements-dev.txt).
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import requests

from _common import (
    BENCH,
    LOGS,
    PASSWORD,
    Server,
    register_and_login,
    safe_name,
    service_env,
    start_emulators,
    unique,
    wrk,
)
from scim import directory, person

SCIM_BODIES = 20000  # more than the creates of a run: each is sent once


def report(stacks: Path, top: int) -> None:
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in stacks.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():  # a frame name with a line break in it
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    print(f"{total} samples")
    print("-- inclusive")
    for frame, count in inclusive.most_common(top):
        print(f"{100 * count / total:5.1f}%  {frame}")
    print("-- self")
    for frame, count in own.most_common(top):
        print(f"{100 * count / total:5.1f}%  {frame}")


def scim_bodies() -> list[str]:
    """SCIM Users, each a person none of the run's other bodies names."""
    prefix = unique("p")
    return [json.dumps(person(f"{prefix}{n}", n)) for n in range(SCIM_BODIES)]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--path", default="/user")
    parser.add_argument("--method", default="GET")
    parser.add_argument("--login-body", action="store_true", help="POST a valid /login body")
    parser.add_argument("--scim-create", action="store_true", help="POST new SCIM Users")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", default="1")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--gil", action="store_true", help="only the thread holding the GIL")
    parser.add_argument("--floor", action="store_true", help="profile the floor app instead")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args()
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))

    emulators = start_emulators(("firestore",))
    extra = dict(item.split("=", 1) for item in args.env)
    env = service_env(emulators, **{"WEB_CONCURRENCY": args.workers, **extra})
    floor = Server("profile-floor", env, app="floor_app:app", extra_path=BENCH / "floors")
    with Server("profile-service", env) as service, floor:
        name = unique("profiler")
        tokens = register_and_login(service.url, name)
        target = floor if args.floor else service
        (worker, *_) = target.wait_workers(int(args.workers))
        bodies = [json.dumps({"username": name, "password": PASSWORD})] if args.login_body else []
        scim: dict[str, Any] = {}
        if args.scim_create:
            args.path, args.method = "/scim/v2/Users", "POST"
            _, directory_token = directory(service.url, emulators.project, requests.Session())
            bodies = scim_bodies()
            scim = {
                "authorization": f"Bearer {directory_token}",
                "content_type": "application/scim+json",
                "once": True,
            }
        wrk(
            target.url + args.path,
            connections=args.connections,
            seconds=3,
            method=args.method,
            token=tokens["access_token"],
            bodies=bodies,
            **scim,
        )
        label = "floor" if args.floor else "service"
        out = LOGS / f"profile-{label}-{safe_name(args.method + args.path)}.txt"
        spy = subprocess.Popen(
            [
                py_spy,
                "record",
                "--format",
                "raw",
                "-r",
                "250",
                "-d",
                str(int(args.seconds)),
                "-p",
                str(worker),
                "-o",
                str(out),
                "--nonblocking",
                *(["--gil"] if args.gil else []),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        load: dict[str, object] = {}

        def drive() -> None:
            load.update(
                wrk(
                    target.url + args.path,
                    connections=args.connections,
                    seconds=args.seconds,
                    method=args.method,
                    token=tokens["access_token"],
                    bodies=scim_bodies() if args.scim_create else bodies,  # none sent before
                    **scim,
                )
            )

        driver = threading.Thread(target=drive)
        driver.start()
        spy.wait()
        driver.join()
    emulators.stop()
    print(
        f"{args.method} {args.path}: {load.get('rps')} req/s, p50 {load.get('p50_ms')} ms "
        f"(under py-spy), {load.get('requests')} requests"
    )
    report(out, args.top)
    print(f"collapsed stacks: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
