#!/usr/bin/env python3
"""What one kept range of breached passwords takes in memory (docs/security.md, "Breached
passwords"; docs/decisions/0500-breached-password-cache-compact-and-capped-by-bytes.md).

    .venv/bin/python bench/breached_range_size.py

A range answer as the API gives it (padded to 800-1,000 lines, CRLF) is built for several
numbers of real suffixes, and tracemalloc measures what each way of keeping it takes: the
answer itself, a dict of suffix strings to counts, and the adapter's sorted 18-byte records
as the adapter keeps them (its entry and key included), beside the size the
adapter counts against its cap. No network, no emulator.
"""

from __future__ import annotations

import gc
import random
import sys
import tracemalloc
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from infrastructure.accounts.hibp_range import KeptRange, compact_range

KEPT = 200  # ranges measured at once, so that per-object noise averages out


def answer(rng: random.Random, real: int) -> bytes:
    lines = [f"{rng.getrandbits(140):035X}:{rng.randint(1, 5000)}" for _ in range(real)]
    padding = max(0, rng.randint(800, 1000) - real)
    lines += [f"{rng.getrandbits(140):035X}:0" for _ in range(padding)]
    rng.shuffle(lines)
    return "\r\n".join(lines).encode()


def as_dict(body: bytes) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in body.decode("ascii").splitlines():
        suffix, _, count = line.partition(":")
        if int(count) > 0:
            counts[suffix] = int(count)
    return counts


def per_range(keep: Callable[[bytes], object], bodies: list[bytes]) -> float:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept: OrderedDict[tuple[str, int], object] = OrderedDict()
    for i, body in enumerate(bodies):
        kept[(f"{i:05X}", 1)] = keep(body)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return (after - before) / len(bodies)


def main() -> None:
    print(f"{'real suffixes':>14} {'answer':>10} {'dict':>10} {'records':>10} {'counted':>10}")
    for real in (300, 900, 1000):
        rng = random.Random(real)
        bodies = [answer(rng, real) for _ in range(KEPT)]
        raw = per_range(lambda body: bytes(bytearray(body)), bodies)
        mapping = per_range(as_dict, bodies)
        records = per_range(lambda body: KeptRange(1.0, compact_range(body, 1)), bodies)
        counted = KeptRange(1.0, compact_range(bodies[0], 1)).size  # the cap's count of one
        print(f"{real:>14} {raw:>10.0f} {mapping:>10.0f} {records:>10.0f} {counted:>10}")


if __name__ == "__main__":
    main()
