"""The floor POST /login is compared with: raw argon2-cffi verifications with the service's
parameters, in the same number of processes, each with as many threads as the service lets
hash at once (HASH_CONCURRENCY). Prints one JSON line: verifies, seconds, per second.

    python bench/floors/argon2_floor.py --processes 2 --threads 2 --seconds 8
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import threading
import time

import argon2

PASSWORD = "correct horse battery staple"


def worker(args: argparse.Namespace, start_at: float, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    hasher = argon2.PasswordHasher(
        time_cost=args.time_cost,
        memory_cost=args.memory_kib,
        parallelism=args.parallelism,
        type=argon2.Type.ID,
    )
    stored = hasher.hash(PASSWORD)
    counts = [0] * args.threads
    while time.time() < start_at:
        time.sleep(0.001)
    deadline = start_at + args.seconds

    def loop(index: int) -> None:
        while time.time() < deadline:
            hasher.verify(stored, PASSWORD)
            counts[index] += 1

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(args.threads)]
    cpu = time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put((sum(counts), time.process_time() - cpu))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--time-cost", type=int, default=2)
    parser.add_argument("--memory-kib", type=int, default=19456)
    parser.add_argument("--parallelism", type=int, default=1)
    args = parser.parse_args()
    results: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    start_at = time.time() + 0.5
    procs = [
        multiprocessing.Process(target=worker, args=(args, start_at, results))
        for _ in range(args.processes)
    ]
    for proc in procs:
        proc.start()
    answers = [results.get() for _ in procs]
    total = sum(count for count, _ in answers)
    cpu = sum(seconds for _, seconds in answers)
    for proc in procs:
        proc.join()
    print(
        json.dumps(
            {
                "verifies": total,
                "cpu_ms_per_verify": round(1000 * cpu / total, 2) if total else 0,
                "seconds": args.seconds,
                "per_second": round(total / args.seconds, 1),
                "processes": args.processes,
                "threads": args.threads,
                "params": {"t": args.time_cost, "m": args.memory_kib, "p": args.parallelism},
            }
        )
    )


if __name__ == "__main__":
    main()
