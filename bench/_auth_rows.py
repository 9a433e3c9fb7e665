"""The table rows (bench/run.py) of issues 74 and 75's benches: auth hooks (hooks.py,
hooks_blocking.py) and an org's permissions (permissions.py)."""

from __future__ import annotations

from typing import Any

from _common import yes


def hook_rows(h: dict[str, Any] | None) -> list[list[str]]:
    """bench/hooks.py's rows: no hook against ``ref``'s tree; a hook answering in 5 ms
    against none, where this tree calls one."""
    if h is None:
        return []
    plain, ref = h["no_hook_against_ref"], h["ref"]
    ratio = plain["ratio_of_medians"]
    rows = [
        [
            f"POST /login, no hook configured, against {ref}",
            f"p50 {plain['this tree']['p50_ms']} ms",
            f"{ref}: p50 {plain[ref]['p50_ms']} ms",
            f"{ratio:.3f}x",
            "<= 1.02x",
            yes(ratio <= 1.02),
            str(h["loadavg"][0]),
        ]
    ]
    for kind, what, target in (
        ("before_token", "POST /login", 1.3),
        ("before_sign_up", "POST /register", None),
    ):
        found = h.get(kind)
        if found is None:
            rows.append(
                [f"{what} with a {kind} hook (5 ms)", "no hook called yet", "", "", "", "-", ""]
            )
            continue
        hooked = found["ratio_of_medians"]
        rows.append(
            [
                f"{what} with a {kind} hook (5 ms), {found['calls']} calls",
                f"p50 {found['hook']['p50_ms']} ms",
                f"no hook: p50 {found['no hook']['p50_ms']} ms",
                f"{hooked:.2f}x",
                f"<= {target}x" if target else "(reported)",
                yes(hooked <= target) if target else "",
                str(h["loadavg"][0]),
            ]
        )
    return rows


def hooks_blocking_rows(b: dict[str, Any] | None) -> list[list[str]]:
    """bench/hooks_blocking.py's row: GET /user during 30 sign-ups held by a slow hook."""
    if b is None:
        return []
    quiet, during = b["get_user_quiet"], b["get_user_during_sign_ups"]
    return [
        [
            f"GET /user during {b['sign_ups_at_once']} sign-ups, before_sign_up hook answering "
            f"in {b['hook_delay_s']} s",
            f"p50 {during['p50_ms']} / p95 {during['p95_ms']} ms ({during['count']} reads)",
            f"without them: p50 {quiet['p50_ms']} / p95 {quiet['p95_ms']} ms",
            f"{during['p50_ms'] / quiet['p50_ms']:.2f}x p50",
            "(reported)",
            "",
            str(b["loadavg"][0]),
        ]
    ]


def permissions_rows(p: dict[str, Any] | None) -> list[list[str]]:
    """bench/permissions.py's rows: GET /user with an active org carrying permissions
    against no org, and POST /access/v1/evaluation in floors."""
    if p is None:
        return []
    over = p["ratio_over_no_org"]
    target = p["targets"]["read_ratio_max"]
    rows = [
        [
            f"GET /user, active org with {p['permissions']} permissions, {p['connections']} conn",
            f"{p['org_with_permissions']['cpu_ms_per_request']} ms CPU/req",
            f"no org: {p['no_org']['cpu_ms_per_request']} ms CPU/req",
            f"{over['cpu_per_request']}x CPU ({over['mean_latency']}x latency)",
            f"<= {target}x",
            yes(p["met_detail"]["read_cpu"] and p["met_detail"]["read_latency"]),
            str(p["load_at_end"][0]),
        ]
    ]
    evaluation = p.get("evaluation")
    if evaluation is not None:
        most = p["targets"]["evaluation_floors_max"]
        rows.append(
            [
                f"POST /access/v1/evaluation, a person about themselves, {p['connections']} conn",
                f"{evaluation['evaluation']['cpu_ms_per_request']} ms CPU/req, "
                f"p50 {evaluation['evaluation']['p50_ms']} ms",
                f"JWT + get_all floor: {evaluation['floor']['cpu_ms_per_request']} ms CPU/req",
                f"{evaluation['floors']} floors ({evaluation['healthz_floors']}x GET /healthz)",
                f"<= {most} floors",
                yes(evaluation["floors"] <= most),
                str(p["load_at_end"][0]),
            ]
        )
    return rows
