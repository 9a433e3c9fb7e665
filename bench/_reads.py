"""What the benches of GET /user with several tokens share (active_org.py, permissions.py):
their arguments, the service on a wiped Firestore emulator, the rounds in rotated order, and
the ratio of paired rounds."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from _common import (
    Server,
    emulator_pid,
    median,
    service_env,
    start_emulators,
    warm_up,
    wipe_firestore,
    wrk,
)
from emulators import EmulatorSet


def rotated_runs(
    url: str, tokens: Mapping[str, str], *, rounds: int, **load: Any
) -> dict[str, list[dict[str, Any]]]:
    """``rounds`` wrk runs of ``url`` with each token (by label), in turn, the order rotated
    each round so that neither always goes first on a machine that warms or tires."""
    labels = list(tokens)
    runs: dict[str, list[dict[str, Any]]] = {label: [] for label in labels}
    for round_ in range(rounds):
        shift = round_ % len(labels)
        for label in labels[shift:] + labels[:shift]:
            runs[label].append(wrk(url, token=tokens[label], **load))
    return runs


def reads_parser(doc: str | None, name: str) -> argparse.ArgumentParser:
    """The arguments of a bench of GET /user with several tokens (``rotated_reads``):
    ``--seconds``, ``--rounds``, ``--connections``, and ``--name``, its result file's."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--name", default=name, help="result file name (experiments)")
    return parser


@contextlib.contextmanager
def service_on_firestore(name: str) -> Iterator[tuple[Server, EmulatorSet, int]]:
    """The service under `gunicorn -c gunicorn.conf.py` on a wiped Firestore emulator (the
    bench's ports): the server, the emulators and the number of workers; both stop after."""
    emulators = start_emulators(("firestore",))
    try:
        wipe_firestore(emulators)
        env = service_env(emulators)
        with Server(f"{name}-service", env) as service:
            yield service, emulators, int(env.get("WEB_CONCURRENCY", "2"))
    finally:
        emulators.stop()


def rotated_reads(
    served: tuple[Server, EmulatorSet, int], tokens: Mapping[str, str], args: argparse.Namespace
) -> tuple[dict[str, list[dict[str, Any]]], list[int]]:
    """GET /user with each token (``rotated_runs``, after a warm-up with the last one): the
    runs by label, and the service's processes (the master and its workers)."""
    service, emulators, workers = served
    pids = [service.pid, *service.wait_workers(workers)]
    emulator = emulator_pid(emulators.firestore_port)
    warm_up(service.url + "/user", emulator, connections=8, token=list(tokens.values())[-1])
    runs = rotated_runs(
        service.url + "/user",
        tokens,
        rounds=args.rounds,
        connections=args.connections,
        seconds=args.seconds,
        cpu_of=pids,
    )
    return runs, pids


def paired_ratio(
    over: Sequence[dict[str, Any]], under: Sequence[dict[str, Any]], key: str
) -> float:
    """The median of each round's ratio of ``key``: ``over``'s run over ``under``'s."""
    pairs = zip(over, under, strict=True)
    return round(median([o[key] / u[key] for o, u in pairs if u[key]]), 3)
