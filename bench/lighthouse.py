#!/usr/bin/env python3
"""Lighthouse's scores of the pages people see first: /sign-in (signed out) and /account
(signed in), as a phone and as a desktop.

    .venv/bin/python bench/lighthouse.py [--rounds 2]

The service runs under `gunicorn -c gunicorn.conf.py` on the Firestore emulator (local
profile, as bench/people_pages.py). A person signs up through the pages with `requests`;
Lighthouse (npm, pinned and installed into .tools by `make tools`) drives Debian's Chromium
(/usr/bin/chromium, headless) over each page with that browser's cookies, in its mobile
(the default: a mid-range phone, slow 4G and a 4x slower CPU, simulated) and desktop presets,
`--rounds` times; a category's figure is its lowest score over the rounds. Targets
(issue 38): accessibility 100, best practices >= 95, performance >= 95 on each. Writes
bench/results/lighthouse.json; exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from _common import (
    Server,
    loadavg,
    service_env,
    start_emulators,
    table,
    wipe_firestore,
    write_result,
)
from people_pages import CHROMIUM, signed_in_browser

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
from emulators import ensure_lighthouse  # noqa: E402 - scripts/ is not a package

TARGETS = {"accessibility": 100, "best-practices": 95, "performance": 95}
PAGES = ("/sign-in", "/account")
FORMS = ("mobile", "desktop")


def score(lighthouse: Path, url: str, form: str, cookie: str | None) -> dict[str, Any]:
    """One Lighthouse run: each category's score (0-100) and the audits that lost points."""
    with tempfile.TemporaryDirectory(prefix="lighthouse-") as profile:
        command = [
            str(lighthouse),
            url,
            "--quiet",
            "--output=json",
            "--output-path=stdout",
            f"--only-categories={','.join(TARGETS)}",
            f"--chrome-flags=--headless=new --no-sandbox --user-data-dir={profile}",
            "--max-wait-for-load=30000",
        ]
        if form == "desktop":
            command.append("--preset=desktop")
        if cookie:
            command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
        answer = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
            env={**os.environ, "CHROME_PATH": CHROMIUM},
        )
    if answer.returncode != 0:
        raise RuntimeError(f"lighthouse failed ({answer.returncode}): {answer.stderr[-2000:]}")
    report = json.loads(answer.stdout)
    scores = {name: round(100 * (report["categories"][name]["score"] or 0)) for name in TARGETS}
    lost = sorted(
        audit["id"]
        for audit in report["audits"].values()
        if audit.get("scoreDisplayMode") in ("binary", "numeric") and (audit["score"] or 0) < 1
    )
    final = report.get("finalDisplayedUrl") or report.get("finalUrl")
    return {"scores": scores, "lost": lost, "final_url": final}


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    lighthouse = ensure_lighthouse(REPO)

    emulators = start_emulators(("firestore",))
    runs: list[dict[str, Any]] = []
    try:
        wipe_firestore(emulators)
        env = service_env(emulators)
        with Server("lighthouse", env) as service:
            service.wait_workers(int(env.get("WEB_CONCURRENCY", "2")))
            browser = signed_in_browser(service.url)
            cookie = "; ".join(f"{c.name}={c.value}" for c in browser.cookies)
            for round_no in range(args.rounds):
                for path in PAGES:
                    for form in FORMS:
                        who = cookie if path == "/account" else None
                        run = score(lighthouse, service.url + path, form, who)
                        if not str(run["final_url"]).endswith(path):  # signed out: /sign-in
                            raise RuntimeError(f"{path} ended at {run['final_url']}")
                        runs.append({"round": round_no + 1, "path": path, "form": form, **run})
                        print(
                            f"round {round_no + 1} {path:<9} {form:<8} {run['scores']}"
                            + (f"  lost: {', '.join(run['lost'])}" if run["lost"] else ""),
                            flush=True,
                        )
    finally:
        emulators.stop()

    lowest = {
        f"{path} {form}": {
            name: min(r["scores"][name] for r in runs if (r["path"], r["form"]) == (path, form))
            for name in TARGETS
        }
        for path in PAGES
        for form in FORMS
    }
    met = {
        f"{page} {name}": found[name] >= target
        for page, found in lowest.items()
        for name, target in TARGETS.items()
    }
    result = {
        "server": "gunicorn -c gunicorn.conf.py, local profile, Firestore emulator on loopback",
        "lighthouse": "npm lighthouse in .tools, Debian's Chromium headless; mobile = default "
        "(simulated slow 4G, 4x CPU), desktop = --preset=desktop",
        "lowest": lowest,
        "targets": TARGETS,
        "met": met,
        "runs": runs,
        "load_at_end": loadavg(),
    }
    path = write_result("lighthouse", result)
    rows = [[page, *(str(found[name]) for name in TARGETS)] for page, found in lowest.items()]
    print(table(rows, ["page", *TARGETS]))
    print(f"wrote {path}")
    return 0 if all(met.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
