#!/usr/bin/env python3
"""The pages for people: server CPU per GET /sign-in and per signed-in GET /account, the
weight of the sign-in page, and its first paint in Chromium.

    .venv/bin/python bench/people_pages.py [--seconds 5] [--rounds 3] [--loads 15]

The service runs under `gunicorn -c gunicorn.conf.py` on the Firestore emulator (local
profile, request limits on as in production). A person signs up and signs in through the
pages with `requests` (CSRF token and cookies as a browser sends them); then wrk loads
GET /sign-in (signed out) and GET /account (with that browser's cookies) at 8 connections,
`--rounds` times each, and the CPU time of the service's processes over the requests served
is the figure (steadier than throughput on a shared machine). The weight is every byte the
browser receives for /sign-in: the page and each stylesheet and script it names, headers
included, uncompressed. First paint: Debian's Chromium, headless, a fresh context per load,
`first-contentful-paint` of /sign-in; the median of `--loads`. Writes
bench/results/people_pages.json.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from typing import Any
from urllib.parse import urljoin

import requests
from playwright.sync_api import sync_playwright

from _common import (
    PASSWORD,
    Server,
    loadavg,
    median,
    service_env,
    start_emulators,
    unique,
    wipe_firestore,
    write_result,
    wrk,
)

SIGN_IN_CPU_MS_MAX = 1.0  # the GET /user figure
ACCOUNT_CPU_MS_MAX = 2.0
WEIGHT_KB_MAX = 30.0
FIRST_PAINT_MS_MAX = 100.0
CHROMIUM = "/usr/bin/chromium"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ASSETS = re.compile(r'<(?:link[^>]*\bhref|script[^>]*\bsrc)="([^"]+)"')


def signed_in_browser(url: str) -> requests.Session:
    """A person who signed up and is signed in through the pages."""
    browser = requests.Session()
    name = unique("pagesbench")
    form = browser.get(url + "/sign-up", timeout=30)
    token = CSRF.search(form.text)
    if token is None:
        raise RuntimeError("no CSRF token on /sign-up")
    fields = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    done = browser.post(
        url + "/sign-up", data={**fields, "csrf_token": token[1]}, allow_redirects=False
    )
    if done.status_code != 303:
        raise RuntimeError(f"sign-up: {done.status_code} {done.text[:300]}")
    if browser.get(url + "/account", allow_redirects=False, timeout=30).status_code != 200:
        raise RuntimeError("the signed-up browser is not signed in")
    return browser


def weight(url: str) -> dict[str, int]:
    """Bytes received for /sign-in and every stylesheet and script it names."""
    page = requests.get(url + "/sign-in", timeout=30)
    sizes: dict[str, int] = {}
    named = [path for path in ASSETS.findall(page.text) if not path.startswith("data:")]
    for path in ["/sign-in", *named]:  # a data: URL (the icon) is in the page's own bytes
        answer = requests.get(urljoin(url + "/sign-in", path), timeout=30)
        answer.raise_for_status()
        head = sum(len(k) + len(v) + 4 for k, v in answer.headers.items())
        sizes[path] = len(answer.content) + head
    return sizes


def first_paints(url: str, loads: int) -> list[float]:
    """``first-contentful-paint`` of /sign-in in ms, one fresh browser context per load."""
    paints: list[float] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        try:
            for _ in range(loads + 1):
                context = browser.new_context()
                page = context.new_page()
                page.goto(url + "/sign-in")
                fcp = page.evaluate(
                    """() => new Promise(done => new PerformanceObserver((list, observer) => {
                        const entry = list.getEntriesByName("first-contentful-paint")[0];
                        if (entry) { observer.disconnect(); done(entry.startTime); }
                    }).observe({type: "paint", buffered: true}))"""
                )
                paints.append(round(float(fcp), 1))
                context.close()
        finally:
            browser.close()
    return paints[1:]  # the first load also starts the browser's own processes


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--loads", type=int, default=15)
    args = parser.parse_args()

    emulators = start_emulators(("firestore",))
    runs: dict[str, list[dict[str, Any]]] = {"sign_in": [], "account": []}
    try:
        wipe_firestore(emulators)
        env = service_env(emulators, RATE_LIMIT_ENABLED="true")
        with Server("people-pages", env) as service:
            service.wait_workers(int(env.get("WEB_CONCURRENCY", "2")))
            browser = signed_in_browser(service.url)
            cookie = "; ".join(f"{c.name}={c.value}" for c in browser.cookies)
            cpu_of = [service.pid, *service.workers()]
            for path, who in (("/sign-in", None), ("/account", cookie)):  # warm both up
                wrk(service.url + path, connections=8, seconds=3, cookie=who)
            for round_no in range(args.rounds):
                for label, path, who in (
                    ("sign_in", "/sign-in", None),
                    ("account", "/account", cookie),
                ):
                    run = wrk(
                        service.url + path,
                        connections=8,
                        seconds=args.seconds,
                        cookie=who,
                        cpu_of=cpu_of,
                    )
                    runs[label].append(run)
                    print(
                        f"round {round_no + 1} GET {path:<9} {run['rps']:>7.1f} req/s  "
                        f"p50 {run['p50_ms']:>6.2f} ms  cpu/req {run['cpu_ms_per_request']:.3f}"
                        f" ms  errors {run['socket_errors'] + run['non_2xx']}  "
                        f"load {run['load_after']}",
                        flush=True,
                    )
            sizes = weight(service.url)
            paints = first_paints(service.url, args.loads)
    finally:
        emulators.stop()

    cpu = {label: median([r["cpu_ms_per_request"] for r in rs]) for label, rs in runs.items()}
    errors = sum(r["socket_errors"] + r["non_2xx"] for rs in runs.values() for r in rs)
    total_kb = round(sum(sizes.values()) / 1024, 1)
    paint = round(statistics.median(paints), 1)
    met = {
        "sign_in_cpu": cpu["sign_in"] <= SIGN_IN_CPU_MS_MAX,
        "account_cpu": cpu["account"] <= ACCOUNT_CPU_MS_MAX,
        "weight": total_kb <= WEIGHT_KB_MAX,
        "first_paint": paint <= FIRST_PAINT_MS_MAX,
        "no_errors": errors == 0,
    }
    result = {
        "server": "gunicorn -c gunicorn.conf.py, local profile, request limits on, Firestore "
        "emulator on loopback; wrk at 8 connections (keep-alive)",
        "cpu_ms_per_request": cpu,
        "rps": {label: median([r["rps"] for r in rs]) for label, rs in runs.items()},
        "weight_bytes": sizes,
        "weight_kb": total_kb,
        "first_contentful_paint_ms": {"median": paint, "max": max(paints), "loads": paints},
        "errors": errors,
        "targets": {
            "sign_in_cpu_ms_max": SIGN_IN_CPU_MS_MAX,
            "account_cpu_ms_max": ACCOUNT_CPU_MS_MAX,
            "weight_kb_max": WEIGHT_KB_MAX,
            "first_paint_ms_max": FIRST_PAINT_MS_MAX,
        },
        "met": met,
        "runs": runs,
        "load_at_end": loadavg(),
    }
    path = write_result("people_pages", result)
    print(
        f"GET /sign-in {cpu['sign_in']} ms CPU/req, GET /account {cpu['account']} ms CPU/req; "
        f"/sign-in weighs {total_kb} KB ({len(sizes)} files); first contentful paint "
        f"{paint} ms (median of {len(paints)}); wrote {path}"
    )
    return 0 if all(met.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
