#!/usr/bin/env python3
"""POST /auth/password/forgot: the time for an address with an account against one without.

    source .local/ports.env; .venv/bin/python bench/forgot_password.py [--count 30]

The whole service in this process (Flask test client, the real adapters) on the running
Firestore emulator and maildev (`scripts/emulators.py start`); requests for the known and
the unknown address alternate, one at a time, after 10 warm-up requests of each. Prints the
median and p90 of each and their ratio; docs/security.md promises medians within 10%.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from bootstrap import build_adapters, build_app
from infrastructure.settings import Settings

PASSWORD = "correct horse battery staple"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=30)
    args = parser.parse_args()
    if not os.environ.get("FIRESTORE_EMULATOR_HOST"):
        print("set FIRESTORE_EMULATOR_HOST (source .local/ports.env)", file=sys.stderr)
        return 2
    settings = Settings(
        app_profile="local", jwt_secret="bench-secret-" + "x" * 40, rate_limit_enabled=False
    )
    client = build_app(settings, build_adapters(settings), configure_logs=False).test_client()
    stamp = str(time.time_ns())
    known = f"bench{stamp}@example.com"
    body = {"username": f"bench{stamp}", "email": known, "password": PASSWORD}
    if client.post("/register", json=body).status_code != 201:
        raise SystemExit("could not register the bench account")
    samples: dict[str, list[float]] = {"known": [], "unknown": []}
    for i in range(10 + args.count):
        for label, address in (("known", known), ("unknown", f"nobody{stamp}@example.com")):
            began = time.perf_counter()
            answer = client.post("/auth/password/forgot", json={"email": address})
            took = (time.perf_counter() - began) * 1000
            if answer.status_code != 202 or answer.get_json() != {}:
                raise SystemExit(f"unexpected answer {answer.status_code}")
            if i >= 10:
                samples[label].append(took)
    for label, values in samples.items():
        p90 = statistics.quantiles(values, n=10)[-1]
        print(f"{label:8} median {statistics.median(values):6.2f} ms  p90 {p90:6.2f} ms")
    ratio = statistics.median(samples["known"]) / statistics.median(samples["unknown"])
    print(f"known/unknown median ratio {ratio:.3f} ({args.count} requests each)")
    return 0 if abs(ratio - 1) <= 0.10 else 1


if __name__ == "__main__":
    sys.exit(main())
