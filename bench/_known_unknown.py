"""What bench/forgot_password.py and bench/login_failures.py share: each times one request for
a known account against one for an unknown name and a control (a second unknown one: two kinds
that do exactly the same work, so their ratio shows the machine's noise), in runs of rounds,
and wants the known and unknown medians within ``TOLERANCE``."""

from __future__ import annotations

import argparse
from typing import Any

from _common import loadavg, median, percentile, write_result

WARM_UP = 10  # rounds not counted, before ``--count`` that are
TOLERANCE = 0.10
KINDS = ("known", "unknown", "control")


def arguments(doc: str | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pause", type=float, default=0.05, help="seconds between requests")
    return parser.parse_args()


def run_result(samples: dict[str, list[float]]) -> dict[str, Any]:
    """One run's figures from the milliseconds of each kind."""
    result: dict[str, Any] = {}
    for label, values in samples.items():
        result[label] = {
            "p50_ms": round(median(values), 2),
            "p90_ms": round(percentile(values, 90), 2),
        }
    result["ratio"] = round(result["known"]["p50_ms"] / result["unknown"]["p50_ms"], 3)
    result["control_ratio"] = round(result["control"]["p50_ms"] / result["unknown"]["p50_ms"], 3)
    result["met"] = abs(result["ratio"] - 1) <= TOLERANCE
    result["samples_ms"] = {
        label: [round(v, 3) for v in values] for label, values in samples.items()
    }
    return result


def print_run(number: int, run: dict[str, Any]) -> None:
    print(
        f"run {number + 1}: known median {run['known']['p50_ms']:6.2f} ms "
        f"(p90 {run['known']['p90_ms']:6.2f}), unknown median "
        f"{run['unknown']['p50_ms']:6.2f} ms (p90 {run['unknown']['p90_ms']:6.2f}), "
        f"ratio {run['ratio']:.3f} {'met' if run['met'] else 'MISSED'} "
        f"(control {run['control_ratio']:.3f})"
    )


def report(name: str, args: argparse.Namespace, runs: list[dict[str, Any]]) -> int:
    """Prints the runs pooled, writes bench/results/<name>.json; the exit status: 1 when a run
    missed."""
    met = all(run["met"] for run in runs)
    pooled = {
        label: median([value for run in runs for value in run["samples_ms"][label]])
        for label in KINDS
    }
    print(
        f"all {len(runs)} runs pooled: known median {pooled['known']:.2f} ms, unknown "
        f"{pooled['unknown']:.2f} ms, ratio {pooled['known'] / pooled['unknown']:.3f} "
        f"(control {pooled['control'] / pooled['unknown']:.3f})"
    )
    write_result(
        name,
        {
            "count": args.count,
            "pause_s": args.pause,
            "runs": runs,
            "ratio_min": min(run["ratio"] for run in runs),
            "ratio_max": max(run["ratio"] for run in runs),
            "pooled_ratio": round(pooled["known"] / pooled["unknown"], 3),
            "pooled_control_ratio": round(pooled["control"] / pooled["unknown"], 3),
            "target": f"known/unknown median within {TOLERANCE:.0%}",
            "met": met,
            "load_at_end": loadavg(),
        },
    )
    return 0 if met else 1
