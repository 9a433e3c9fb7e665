#!/usr/bin/env python3
"""`make bench`: run every benchmark in bench/ in turn, then print the table of figures with
their floors, ratios and targets (from bench/results/*.json).

    .venv/bin/python bench/run.py [--only get_user,login] [--table] [--markdown]

Each script starts what it needs (gunicorn on the emulators, the floor it is compared with)
and writes its own JSON file. The emulators run on the bench's own ports (bench/_common.py:
Firestore 127.0.0.1:47180, storage 47123; pages.py uses one of its own on 47181), started
here once and reused by every script. Not run here: soak.py (`make soak`, 10 minutes) and
the tools whose names start with "_" (_profile.py, _settings.py).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _auth_rows import hook_rows, hooks_blocking_rows, permissions_rows
from _common import RESULTS, loadavg, start_emulators, table, yes

HERE = Path(__file__).resolve().parent
FIRST = [
    "cold_start",
    "get_user",
    "login",
    "refresh",
    "register",
    "pages",
    "people_pages",
    "dataset_upload",
]
NOT_HERE = {"run", "soak"}


def scripts(only: set[str]) -> list[Path]:
    found = {
        p.stem: p
        for p in HERE.glob("*.py")
        if p.stem not in NOT_HERE and not p.stem.startswith("_")
    }
    order = [name for name in FIRST if name in found]
    order += sorted(name for name in found if name not in FIRST)
    return [found[name] for name in order if not only or name in only]


def load(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


OIDC_GRANTS = {
    "client_credentials": "client_credentials",
    "authorization_code": "code exchange (PKCE)",
    "refresh_token": "refresh (rotated)",
    "token_exchange": "token exchange (RFC 8693)",
    "token_exchange_chained": "token exchange of an exchanged token",
    "introspection": "introspection of a refresh token",
    "introspection_access": "introspection of an access token",
}


def oidc_rows() -> list[list[str]]:
    """The provider's grants per core (requests per second of its own CPU), beside the peer."""
    o = load("oidc")
    if o is None or "firegate" not in o["summary"]:
        return []
    ours, peer = o["summary"]["firegate"], o["summary"].get("oidc-provider", {})
    load_end = str(o["load_at_end"][0]) if o.get("load_at_end") else ""
    out = []
    for grant, label in OIDC_GRANTS.items():
        if grant not in ours:
            continue
        row = ours[grant]
        theirs = peer.get(grant)
        out.append(
            [
                f"provider: {label}, per core, 8 conn",
                f"{row['per_core']}/s, p50 {row['p50_ms']} / p99 {row['p99_ms']} ms",
                f"oidc-provider {theirs['per_core']}/s" if theirs else "",
                f"{row['per_core'] / theirs['per_core']:.2f}x" if theirs else "",
                f">= {row['target_per_core']}/s, p99 <= 3x p50",
                yes(row["met"] and row["p99_within_3x_p50"]),
                load_end,
            ]
        )
    return out


def event_cost_rows() -> list[list[str]]:
    e = load("event_cost")
    if e is None:
        return []
    return [
        [
            "a sign-in's security event: CPU it adds to the login (staged in the session's commit)",
            f"{e['staged_adds_cpu_ms']} ms",
            f"in a commit of its own {e['own_commit_adds_cpu_ms']} ms",
            "",
            f"<= {e['target_cpu_ms_max']} ms",
            yes(e["met"]),
            str(e["load_at_end"][0]),
        ]
    ]


def backchannel_logout_rows() -> list[list[str]]:
    b = load("backchannel_logout")
    if b is None:
        return []
    none, told = b["runs"]["none"][0], b["runs"]["with"][0]
    return [
        [
            f"sign-out with {b['clients']} apps told by back-channel logout: Firestore commits",
            f"{told['commits']} commits, {told['reads']} reads, {told['writes']} writes",
            f"no app: {none['commits']} commits, {none['reads']} reads, {none['writes']} writes",
            f"+{b['more_commits']} commits",
            f"<= +{b['target_more_commits_max']} commit",
            yes(b["met"]),
            str(b["load_at_end"][0]),
        ]
    ]


def firestore_reconnect_rows() -> list[list[str]]:
    r = load("firestore_reconnect")
    if r is None:
        return []
    return [
        [
            f"gRPC reads back after a {row['outage_s']:.0f} s Firestore outage",
            f"{row['firegate']} s",
            f"client library's own channel {row['client library']} s",
            "",
            f"<= {r['target_s']:.0f} s",
            yes(row["firegate"] <= r["target_s"]),
            str(r["loadavg"][0]),
        ]
        for row in r["rows"]
    ]


def get_user_cpu_ms() -> float | None:
    """GET /user's server CPU per request at 8 connections, from its own results."""
    g = load("get_user")
    for level in g["levels"] if g else []:
        if level["connections"] == 8:
            return float(level["service"]["cpu_ms_per_request"])
    return None


def people_pages_rows() -> list[list[str]]:
    p = load("people_pages")
    if p is None:
        return []
    cpu, met, target = p["cpu_ms_per_request"], p["met"], p["targets"]
    load_end = str(p["load_at_end"][0])
    get_user = get_user_cpu_ms()
    return [
        [
            "GET /sign-in server CPU per request, 8 conn",
            f"{cpu['sign_in']} ms",
            f"GET /user {get_user} ms" if get_user is not None else "",
            "",
            f"<= {target['sign_in_cpu_ms_max']} ms",
            yes(met["sign_in_cpu"]),
            load_end,
        ],
        [
            "GET /account (signed in) server CPU per request, 8 conn",
            f"{cpu['account']} ms",
            "",
            "",
            f"<= {target['account_cpu_ms_max']} ms",
            yes(met["account_cpu"]),
            load_end,
        ],
        [
            "/sign-in weight (page with its CSS inlined, script)",
            f"{p['weight_kb']} KB",
            "",
            "",
            f"<= {target['weight_kb_max']} KB",
            yes(met["weight"]),
            "",
        ],
        [
            "/sign-in first contentful paint, Chromium",
            f"{p['first_contentful_paint_ms']['median']} ms",
            "",
            "",
            f"<= {target['first_paint_ms_max']} ms",
            yes(met["first_paint"]),
            "",
        ],
    ]


def known_unknown_rows(name: str, scenario: str) -> list[list[str]]:
    """forgot_password.py's and login_failures.py's: a known against an unknown name."""
    f = load(name)
    if f is None:
        return []
    return [
        [
            f"{scenario}, {f['count']} each",
            f"per-run ratios {f['ratio_min']}-{f['ratio_max']}, pooled {f['pooled_ratio']}",
            f"control (unknown vs unknown) pooled {f['pooled_control_ratio']}",
            f"{f['pooled_ratio']}x",
            "0.9-1.1x",
            yes(f["met"]),
            str(f["load_at_end"][0]),
        ]
    ]


def contention_rows() -> list[list[str]]:
    """The 30-way races of tests/e2e/test_contention_emulator.py, timed."""
    c = load("contention")
    if c is None:
        return []
    return [
        [
            f"{c['racers']} {race}, slowest answer",
            f"{ms:.0f} ms (worst of {len(c['runs'])} runs)",
            "",
            "",
            "< 2 s",
            yes(ms < 2000),
            str(c["load_at_end"][0]),
        ]
        for race, ms in c["worst_p99_ms"].items()
    ]


def scim_push_cost_rows() -> list[list[str]]:
    """tests/e2e/test_scim_push_cost_emulator.py at the directory's size: the writes of the
    most written document that is no one person's own, in each phase."""
    p = load("scim_push_cost")
    if p is None:
        return []
    most = {name: phase["most_writes_of_a_shared_document"] for name, phase in p["phases"].items()}
    return [
        [
            f"a directory's push of {p['people']} people, {p['clients']} clients: most writes "
            "of one shared document in a phase",
            f"{max(most.values())} ({', '.join(f'{name} {n}' for name, n in most.items())})",
            "",
            "",
            f"<= {p['most']}",
            yes(p["passed"]),
            str(p["load_at_end"][0]),
        ]
    ]


def phone_code_rows() -> list[list[str]]:
    """POST /auth/phone-code and its text job, service CPU in GET /healthz's."""
    r = load("phone_code")
    if r is None:
        return []
    rounds = r["rounds"]
    low, high = r["floors_range"]
    codes = sorted(x["code"]["median_ms"] for x in rounds)
    floors = sorted(x["floor"]["median_ms"] for x in rounds)
    return [
        [
            "POST /auth/phone-code and its text (hook answering at once), service CPU",
            f"{codes[0]}-{codes[-1]} ms ({r['floors']} floors; rounds {low}-{high})",
            f"GET /healthz {floors[0]}-{floors[-1]} ms",
            f"{r['floors']} floors",
            f"<= {r['target_floors_max']} floors",
            yes(r["met"]),
            str(r["load_at_end"][0]),
        ]
    ]


def refresh_rows() -> list[list[str]]:
    """POST /auth/refresh, one session after another and under load, in GET /healthz's."""
    r = load("refresh")
    if r is None:
        return []
    floor, young, aged, under = r["floor"], r["first_ten"], r["aged"], r["load"]
    target = r["targets"]
    return [
        [
            f"POST /auth/refresh server CPU, rotations 1-10 / after {aged['after_rotations']}",
            f"{young['median_ms']} / {aged['median_ms']} ms "
            f"({young['floors']} / {aged['floors']} floors)",
            f"GET /healthz {floor['median_ms']} ms",
            f"{r['aged_over_first_ten']}x as it ages",
            f"<= {target['floors_max']} floors, aged <= {target['aged_over_first_ten_max']}x",
            yes(r["met"]),
            str(r["load_at_end"][0]),
        ],
        [
            f"POST /auth/refresh server CPU, {under['refresh']['connections']} conn",
            f"{under['refresh']['cpu_ms_per_request']} ms, p50 {under['refresh']['p50_ms']} / "
            f"p99 {under['refresh']['p99_ms']} ms",
            f"GET /healthz {under['floor']['cpu_ms_per_request']} ms",
            f"{under['floors']} floors",
            "(reported)",
            "",
            "",
        ],
    ]


def webhook_rows() -> list[list[str]]:
    w = load("webhooks")
    if w is None:
        return []
    return [
        [
            f"webhook deliveries, one process, JOB_WORKERS={run['threads']}",
            f"{run['per_second']:.0f}/s ({run['cpu_ms_per_delivery']} ms CPU each)",
            "",
            "",
            ">= 200/s",
            yes(run["met"]),
            str(w["load_at_end"][0]),
        ]
        for run in w["runs"]
    ]


def upstream_callback_rows() -> list[list[str]]:
    """An upstream sign-in's callback against POST /auth/firebase, service CPU a sign-in."""
    u = load("upstream_callback")
    if u is None:
        return []
    return [
        [
            "upstream sign-in callback (oidc-provider on the machine), service CPU",
            f"{u['callback_service_cpu_ms']} ms (upstream {u['upstream_cpu_ms_per_callback']} ms)",
            f"POST /auth/firebase {u['firebase_service_cpu_ms']} ms",
            f"{u['ratio']}x",
            f"<= {u['target_ratio_max']}x",
            yes(u["met"]),
            str(u["runs"]["callback"][-1]["load_after"][0]),
        ]
    ]


def saml_acs_rows() -> list[list[str]]:
    """A SAML answer at the ACS against the upstream callback, service CPU a sign-in, for each
    way the IdP signs (bench/saml_acs.py --signed)."""
    rows = []
    for signed in ("assertion", "both"):
        a = load(f"saml_acs_{signed}")
        if a is None:
            continue
        rows.append(
            [
                f"SAML ACS (the IdP signs {signed}), service CPU",
                f"{a['acs_service_cpu_ms']} ms",
                f"upstream callback {a['callback_service_cpu_ms']} ms",
                f"{a['ratio']}x",
                f"<= {a['target_ratio_max']}x",
                yes(a["met"]),
                str(a["runs"]["acs"][-1]["load_after"][0]),
            ]
        )
    return rows


def import_users_rows() -> list[list[str]]:
    """users import on the emulator: users/s, peak RSS of a million, the first sign-in."""
    i = load("import_users")
    if i is None:
        return []
    speed, first, later = i["speed"], i["sign_in"]["first"], i["sign_in"]["next"]
    out = [
        [
            f"users import, Firebase file of {speed['users']}, emulator",
            "/".join(str(r) for r in speed["users_per_second"]) + " users/s",
            "",
            "",
            f">= {i['targets']['users_per_second_min']}/s",
            yes(i["met"]["speed"]),
            str(i["load_at_end"][0]),
        ],
        [
            "first sign-in with a Firebase hash / the next (p50)",
            f"{first['p50_ms']} / {later['p50_ms']} ms",
            f"scrypt {i['sign_in']['floor']['scrypt_ms']} ms, argon2id hash "
            f"{i['sign_in']['floor']['argon2id_hash_ms']} ms",
            "",
            "(reported)",
            "",
            "",
        ],
    ]
    if (m := i.get("memory")) is not None:
        out.append(
            [
                f"users import peak RSS, {m['users']} users ({m['mode']})",
                f"{m['peak_rss_mib']} MiB",
                "",
                "",
                f"<= {i['targets']['peak_rss_mib_max']} MiB",
                yes(i["met"]["memory"]),
                "",
            ]
        )
    return out


def par_rows() -> list[list[str]]:
    """A pushed authorization request and its code exchange against a plain code exchange,
    service CPU (bench/par.py)."""
    p = load("par")
    if p is None:
        return []
    m = p["median"]
    return [
        [
            "PAR + code exchange, service CPU",
            f"{m['par_ms']:.2f} + {m['pushed_exchange_ms']:.2f} ms",
            f"code exchange {m['exchange_ms']:.2f} ms",
            f"{m['par_ratio']:.2f}x",
            f"<= {p['target']}x",
            yes(p["met"]),
            str(p["load_at_end"][0]),
        ]
    ]


def rows() -> list[list[str]]:  # noqa: PLR0912 - one table, a branch per scenario
    out: list[list[str]] = []
    if (g := load("get_user")) is not None:
        for level in g["levels"]:
            s, f = level["service"], level["floor"]
            out.append(
                [
                    f"GET /user, {level['connections']} conn",
                    f"{s['rps']:.0f} req/s, p50 {s['p50_ms']} / p99 {s['p99_ms']} ms",
                    f"{f['rps']:.0f} req/s, p50 {f['p50_ms']} / p99 {f['p99_ms']} ms",
                    f"{level['ratio_rps']:.2f}x "
                    f"(CPU/req {level.get('ratio_cpu_per_request', 0):.2f}x)",
                    ">= 0.9x",
                    yes(level["ratio_rps"] >= 0.9),
                    str(s["runs"] and level["runs"]["service"][-1]["load_after"][0]),
                ]
            )
            if "wsgi_floor" in level:
                w = level["wsgi_floor"]
                out.append(
                    [
                        f"GET /user vs raw WSGI floor, {level['connections']} conn",
                        f"{s['rps']:.0f} req/s",
                        f"{w['rps']:.0f} req/s, p50 {w['p50_ms']} / p99 {w['p99_ms']} ms",
                        f"{level['ratio_rps_wsgi_floor']:.2f}x "
                        f"(CPU/req {level['ratio_cpu_per_request_wsgi_floor']:.2f}x)",
                        "(reported)",
                        "",
                        "",
                    ]
                )
            if level["connections"] == 8 and "wsgi_floor" in level:
                limit = g["targets"]["cpu_ms_per_request_max_at_8"]
                out.append(
                    [
                        "GET /user server CPU per request, 8 conn",
                        f"{s['cpu_ms_per_request']} ms",
                        f"Flask floor {f['cpu_ms_per_request']} ms, raw WSGI floor "
                        f"{level['wsgi_floor']['cpu_ms_per_request']} ms",
                        "",
                        f"<= {limit} ms",
                        yes(s["cpu_ms_per_request"] <= limit),
                        "",
                    ]
                )
            if level["connections"] == 8:
                out.append(
                    [
                        "GET /user p99/p50, 8 conn",
                        f"{level['service_p99_over_p50']}x",
                        f"{level['floor_p99_over_p50']}x",
                        "",
                        "<= 3x",
                        yes(level["service_p99_over_p50"] <= 3),
                        "",
                    ]
                )
        out.append(
            [
                "worker peak RSS, GET /user load",
                f"{g['max_worker_peak_rss_mib']} MiB",
                "",
                "",
                "<= 150 MiB",
                yes(g["max_worker_peak_rss_mib"] <= 150),
                "",
            ]
        )
    if (lg := load("login")) is not None:
        c16 = lg["concurrent_16"]
        cpu_only = lg.get("cpu", {}).get("ratio_floor_over_service_only", 0)
        out.append(
            [
                "POST /login, 8 conn",
                f"{lg['service']['rps']} logins/s, p50 {lg['service']['p50_ms']} ms",
                f"{lg['floor']['per_second']} argon2 verifies/s",
                f"{lg['ratio']:.2f}x "
                f"(CPU {lg.get('cpu', {}).get('ratio_floor_over_login', 0):.2f}x)",
                ">= 0.9x",
                # Saturated CPU: throughput follows CPU per login, which noise does not move.
                yes(lg["ratio"] >= 0.9 and cpu_only >= 0.9) + f" (CPU, service only: {cpu_only}x)",
                str(lg["service_runs"][-1]["load_after"][0]),
            ]
        )
        out.append(
            [
                "16 concurrent logins, all processes",
                f"{c16['peak_total_rss_mib']} MiB RSS ({c16['peak_total_pss_mib']} PSS)",
                "",
                "",
                "< 512 MiB",
                yes(c16["peak_total_rss_mib"] < 512),
                str(c16["load_after"][0]),
            ]
        )
        out.append(
            [
                "worker peak RSS, login load",
                f"{lg['max_worker_peak_rss_mib']} MiB",
                "",
                "",
                "<= 150 MiB",
                yes(lg["max_worker_peak_rss_mib"] <= 150),
                "",
            ]
        )
    if (r := load("register")) is not None:
        out.append(
            [
                "POST /register, sequential",
                f"p50 {r['service']['p50_ms']} ms, p90 {r['service']['p90_ms']} ms",
                f"p50 {r['floor']['p50_ms']} ms (hash {r['floor']['hash_p50_ms']} + commit "
                f"{r['floor']['commit_p50_ms']})",
                f"{r['ratio_p50']:.2f}x",
                "(reported)",
                yes(r["errors"] == 0),
                str(r["load_at_end"][0]),
            ]
        )
    if (p := load("pages")) is not None:
        for kind in ("tasks", "users"):
            if kind not in p:
                continue
            k = p[kind]
            small, large = k["phases"]
            over_small = small["first_page"]["p50_ms"] - small["floor_first_page"]["p50_ms"]
            over_large = large["first_page"]["p50_ms"] - large["floor_first_page"]["p50_ms"]
            own = k.get("service_cpu_beyond_client_mean_ms", ["?", "?"])
            out.append(
                [
                    f"GET /{kind}?limit=20, {large['items']} vs {small['items']}",
                    f"p50 {large['first_page']['p50_ms']} vs {small['first_page']['p50_ms']} ms "
                    f"({k['ratio_p50_first_page']}x; middle page {k['ratio_p50_middle_page']}x)",
                    f"straight query {k['ratio_straight_query_first_page']}x",
                    f"{k['ratio_p50_first_page']}x (service over the query: "
                    f"{over_small:.0f} -> {over_large:.0f} ms; service CPU/req beyond the "
                    f"client's, mean of both pages: {own[0]} -> {own[1]} ms)",
                    "<= 1.2x",
                    "met"
                    if k["met_latency_on_emulator"]
                    else "MISSED (emulator scans; service CPU/req "
                    + ("does not grow)" if k["met_service_cost"] else "grows too)"),
                    str(large["first_page"]["load_after"][0]),
                ]
            )
    out += people_pages_rows()
    out += oidc_rows()
    out += event_cost_rows() + backchannel_logout_rows()
    out += known_unknown_rows("forgot_password", "POST /auth/password/forgot, known vs unknown")
    out += known_unknown_rows("login_failures", "POST /login, wrong password vs unknown user")
    out += contention_rows() + scim_push_cost_rows()
    out += refresh_rows() + phone_code_rows()
    out += webhook_rows()
    out += import_users_rows()
    out += upstream_callback_rows()
    out += saml_acs_rows() + par_rows() + firestore_reconnect_rows()
    if (c := load("cold_start")) is not None:
        authenticated = c.get("first_authenticated_200_seconds", {}).get("median", "")
        out.append(
            [
                "cold start: exec -> first 200 /healthz; -> first authenticated 200",
                f"{c['first_200_seconds']['median']} s; {authenticated} s",
                f"import wsgi {c['import_wsgi_seconds']['median']} s",
                "",
                f"<= {c['target_seconds']} s; <= {c.get('authenticated_target_seconds', '')} s",
                yes(c["met"]),
                str(c["load_at_end"][0]),
            ]
        )
    if (d := load("dataset_upload")) is not None:
        out.append(
            [
                "dataset upload (200k rows, 20 MB)",
                f"{d['seconds']} s, worker peak {d['worker_peak_rss_mib']} MiB",
                "",
                "",
                f"<= {d['memory_limit_mib']} MiB",
                yes(d["within_limit"]),
                "",
            ]
        )
    if (s := load("soak")) is not None:
        out.append(
            [
                f"soak {s['minutes']} min (make soak)",
                f"{s['requests']} requests, {s['errors']} errors, memory "
                f"{s['memory']['growth']:+.1%}",
                "",
                "",
                "0 errors, < 10%",
                yes(s["met"]),
                "",
            ]
        )
    if (k := load("container")) is not None:
        out.append(
            [
                "container (podman, scripts/container_check.py)",
                "readyz, register/login, uid 10001, SIGTERM "
                f"{k.get('checks', {}).get('sigterm_stop_seconds', '?')} s",
                "",
                "",
                "all checks",
                yes(k.get("passed")),
                "",
            ]
        )
    return [
        *out,
        *hook_rows(load("hooks")),
        *hooks_blocking_rows(load("hooks_blocking")),
        *permissions_rows(load("permissions")),
    ]


def print_table(markdown: bool = False) -> None:
    header = ["scenario", "service", "floor", "ratio", "target", "status", "load"]
    if not markdown:
        print(table(rows(), header))
        return
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows():
        print("| " + " | ".join(cell.replace("|", "/") for cell in row) + " |")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--only", default="", help="comma-separated script names")
    parser.add_argument("--table", action="store_true", help="only print the table")
    parser.add_argument("--markdown", action="store_true", help="the table in Markdown")
    args = parser.parse_args()
    if args.table or args.markdown:
        print_table(markdown=args.markdown)
        return 0
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    chosen = scripts(only)
    emulators = start_emulators(("firestore", "storage"))
    failed: list[str] = []
    try:
        env = {**os.environ, **emulators.env(), "STORAGE_BUCKET": "demo-firegate.appspot.com"}
        for script in chosen:
            started = time.monotonic()
            print(f"== {script.name} (load {loadavg()})", flush=True)
            code = subprocess.call([sys.executable, str(script)], cwd=HERE.parent, env=env)
            print(
                f"== {script.name}: exit {code} in {time.monotonic() - started:.0f} s", flush=True
            )
            if code != 0:
                failed.append(script.stem)
    finally:
        emulators.stop()
    print()
    print_table()
    print()
    print(
        f"{len(chosen) - len(failed)} passed, {len(failed)} failed"
        + (f" (target missed or error: {', '.join(failed)})" if failed else "")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
