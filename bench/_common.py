"""What the bench scripts share: emulators on the bench's own ports, gunicorn servers, wrk,
memory readings from /proc, and the result files. Not a benchmark itself (run.py skips
files whose name starts with "_").
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
LOGS = ROOT / ".local" / "bench"
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "src"))
from emulators import EmulatorSet  # noqa: E402

PROJECT = "demo-firegate"
SECRET = "bench-secret-" + "x" * 40
PASSWORD = "correct horse battery staple"
ISSUER, AUDIENCE = "firegate", "firegate-api"
# The bench's own emulator ports, away from the defaults (8080, 9099, ...) that `make test`
# and `make run` use on the same machine. FIRESTORE_EMULATOR_HOST & co. override them.
BENCH_EMULATORS = {
    "FIRESTORE_EMULATOR_HOST": "127.0.0.1:47180",
    "FIREBASE_AUTH_EMULATOR_HOST": "127.0.0.1:47199",
    "PUBSUB_EMULATOR_HOST": "127.0.0.1:47185",
    "STORAGE_EMULATOR_HOST": "http://127.0.0.1:47123",
}
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")


def use_bench_emulator_ports() -> None:
    """Point this process (and its children) at the bench emulator ports unless set."""
    for name, value in BENCH_EMULATORS.items():
        os.environ.setdefault(name, value)
    os.environ.setdefault("GOOGLE_CLOUD_PROJECT", PROJECT)


def start_emulators(services: Sequence[str] = ("firestore",)) -> EmulatorSet:
    """Start (or reuse, when already answering) the emulators on the bench ports."""
    use_bench_emulator_ports()
    emulators = EmulatorSet.from_env(
        services=tuple(services), storage_bucket=f"{PROJECT}.appspot.com"
    )
    emulators.start(timeout=120)
    return emulators


def wipe_firestore(emulators: EmulatorSet) -> None:
    url = (
        f"{emulators.url('firestore')}/emulator/v1/projects/{emulators.project}"
        "/databases/(default)/documents"
    )
    requests.delete(url, timeout=600).raise_for_status()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def write_result(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    body = {"benchmark": name, "when": now_iso(), "machine": machine(), **data}
    path.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return float(ordered[rank - 1])


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    """Latencies in milliseconds: p50, p90, p99 and how many."""
    ms = [value * 1000 for value in seconds]
    return {
        "p50_ms": round(median(ms), 2),
        "p90_ms": round(percentile(ms, 90), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "count": len(ms),
    }


# --------------------------------------------------------------------------- /proc


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of a process, in KiB (zeros for a process that is gone)."""
    values = {"VmRSS": 0, "VmHWM": 0}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in values:
                values[key] = int(rest.split()[0])
    return values


def proc_pss(pid: int) -> int:
    """Proportional set size in KiB: shared (copy-on-write) pages split between sharers."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pids: Sequence[int]) -> float:
    """CPU time of these processes (all their threads, exited ones included), in seconds.

    Read from each process's CPU-time clock (Linux ``clock_getcpuclockid``: clock id
    ``~pid << 3 | 2``), to the nanosecond; /proc/<pid>/stat counts 10 ms ticks, too coarse
    for a few dozen requests. Falls back to those ticks where the clock cannot be read.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            total += time.clock_gettime(((~pid) << 3) | 2)
            continue
        except OSError:
            pass
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = Path(f"/proc/{pid}/stat").read_text()
            fields = stat.rpartition(")")[2].split()
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def emulator_pid(port: int) -> int | None:
    """The process serving an emulator on this port (by its command line), if any."""
    wanted = f"--port\x00{port}\x00".encode()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if wanted in (entry / "cmdline").read_bytes():
                    return int(entry.name)
    return None


def children_of(pid: int) -> list[int]:
    with contextlib.suppress(OSError):
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return []


class MemorySampler:
    """Samples RSS (and PSS) of a set of processes every ``interval`` seconds, in a thread."""

    def __init__(self, pids: Sequence[int], interval: float = 0.05) -> None:
        self.pids = list(pids)
        self.interval = interval
        self.peak_rss_kib: dict[int, int] = dict.fromkeys(self.pids, 0)
        self.peak_total_rss_kib = 0
        self.peak_total_pss_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        tick = 0
        while not self._stop.wait(self.interval):
            total = 0
            for pid in self.pids:
                rss = proc_status(pid)["VmRSS"]
                self.peak_rss_kib[pid] = max(self.peak_rss_kib[pid], rss)
                total += rss
            self.peak_total_rss_kib = max(self.peak_total_rss_kib, total)
            if tick % 4 == 0:  # smaps_rollup is dearer: every 4th sample
                pss = sum(proc_pss(pid) for pid in self.pids)
                self.peak_total_pss_kib = max(self.peak_total_pss_kib, pss)
            tick += 1

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def mib(kib: float) -> float:
    return round(kib / 1024, 1)


# --------------------------------------------------------------------------- servers


def service_env(emulators: EmulatorSet, **overrides: str) -> dict[str, str]:
    """The service's environment for the bench: local profile on the bench emulators,
    request limits off (the bench logs in hundreds of times a second from one address)."""
    return {
        **os.environ,
        **emulators.env(),
        "APP_PROFILE": "local",
        "JWT_SECRET": SECRET,
        "GOOGLE_CLOUD_PROJECT": emulators.project,
        "RATE_LIMIT_ENABLED": "false",
        "LOG_LEVEL": "INFO",  # as in production: the per-request log line is part of the cost
        # As the image sets it (docs/decisions/0004-malloc-arenas.md); another value from the
        # bench's own environment (16 is glibc's default on 2 vCPUs).
        "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "64"),
        **overrides,
    }


class Server:
    """gunicorn -c gunicorn.conf.py on a free loopback port, in its own process group."""

    def __init__(
        self,
        name: str,
        env: dict[str, str],
        *,
        app: str | None = None,
        extra_path: Path | None = None,
        args: Sequence[str] = (),
        port: int | None = None,
        cwd: Path = ROOT,
    ) -> None:
        self.name = name
        self.cwd = cwd
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**env, "PORT": str(self.port)}
        self.argv = [GUNICORN, "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{self.port}"]
        if extra_path is not None:
            self.argv += ["--pythonpath", f"{ROOT / 'src'},{extra_path}"]
        self.argv += list(args)
        if app is not None:
            self.argv.append(app)
        LOGS.mkdir(parents=True, exist_ok=True)
        self.log = LOGS / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.ready_seconds = 0.0

    def start(self, timeout: float = 60) -> Server:
        with self.log.open("wb") as out:
            self.started_at = time.perf_counter()
            self.proc = subprocess.Popen(
                self.argv,
                cwd=self.cwd,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float) -> None:
        if self.proc is None:
            raise RuntimeError(f"{self.name}: not started")
        deadline = time.monotonic() + timeout
        with requests.Session() as http:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.name}: gunicorn exited:\n{self.tail()}")
                try:
                    if http.get(self.url + "/healthz", timeout=1).status_code == 200:
                        self.ready_seconds = time.perf_counter() - self.started_at
                        # Every worker up (each one answers /healthz on its own schedule).
                        return
                except requests.RequestException:
                    pass
                time.sleep(0.005)
        raise RuntimeError(f"{self.name}: no answer on /healthz:\n{self.tail()}")

    def tail(self) -> str:
        with contextlib.suppress(OSError):
            return self.log.read_text(errors="replace")[-3000:]
        return ""

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise RuntimeError(f"{self.name}: not started")
        return self.proc.pid

    def workers(self) -> list[int]:
        return children_of(self.pid)

    def wait_workers(self, count: int, timeout: float = 30) -> list[int]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = self.workers()
            if len(pids) >= count:
                return pids
            time.sleep(0.05)
        raise RuntimeError(f"{self.name}: {count} workers did not start")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --------------------------------------------------------------------------- wrk


def ensure_wrk() -> str:
    """wrk from Debian; installed with apt-get when missing (needs root)."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit("wrk is missing: apt-get install -y wrk (as root)")
    print("installing wrk (apt-get install -y wrk)", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "wrk"]
    if subprocess.call(install, env=env, stdout=subprocess.DEVNULL) != 0:
        subprocess.check_call(["apt-get", "update", "-q"], env=env, stdout=subprocess.DEVNULL)
        subprocess.check_call(install, env=env, stdout=subprocess.DEVNULL)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk could not be installed")
    return found


def wrk(
    url: str,
    *,
    connections: int,
    seconds: float,
    method: str = "GET",
    token: str | None = None,
    cookie: str | None = None,
    bodies: Sequence[str] = (),
    timeout_s: int = 10,
    cpu_of: Sequence[int] = (),
    content_type: str | None = None,
    authorization: str | None = None,
    once: bool = False,
    proofs: Sequence[str] = (),
) -> dict[str, Any]:
    """One wrk run; returns requests/s, latency percentiles (ms), errors, load average, and
    the CPU time the ``cpu_of`` processes spent per request (steadier than throughput on a
    shared machine)."""
    env = {**os.environ, "WRK_METHOD": method}
    if token:
        env["WRK_TOKEN"] = token
    if cookie:
        env["WRK_COOKIE"] = cookie
    if content_type:
        env["WRK_CONTENT_TYPE"] = content_type
    if authorization:
        env["WRK_AUTHORIZATION"] = authorization
    if once:
        env["WRK_ONCE"] = "1"
    body_file = None
    if bodies:
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as handle:
            handle.write("\n".join(bodies) + "\n")
            body_file = handle.name
        env["WRK_BODIES"] = body_file
    proof_file = None
    if proofs:  # a DPoP header per body, line for line
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
            handle.write("\n".join(proofs) + "\n")
            proof_file = handle.name
        env["WRK_DPOP"] = proof_file
    threads = max(1, min(connections, 2))
    env["WRK_THREADS"] = str(threads)
    argv = [
        ensure_wrk(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={timeout_s}s",
        "-s",
        str(BENCH / "wrk_report.lua"),
        url,
    ]
    load_before = loadavg()
    cpu_before = cpu_seconds(cpu_of)
    try:
        done = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
    finally:
        if body_file:
            os.unlink(body_file)
        if proof_file:
            os.unlink(proof_file)
    cpu = cpu_seconds(cpu_of) - cpu_before
    line = next(
        (ln for ln in reversed(done.stdout.splitlines()) if ln.startswith("WRKJSON ")), None
    )
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{done.stdout}\n{done.stderr}")
    raw = json.loads(line.removeprefix("WRKJSON "))
    errors = sum(raw[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
    return {
        "connections": connections,
        "requests": raw["requests"],
        "rps": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p90_ms": round(raw["p90_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "mean_ms": round(raw["mean_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "socket_errors": errors,
        "non_2xx": raw["status_errors"],
        "cpu_ms_per_request": round(1000 * cpu / raw["requests"], 3) if raw["requests"] else 0,
        "load_before": load_before,
        "load_after": loadavg(),
    }


def summarize_runs(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The median of each figure over repeated runs (with the min and max throughput)."""
    keys = ("rps", "p50_ms", "p90_ms", "p99_ms", "mean_ms", "cpu_ms_per_request")
    out: dict[str, Any] = {k: round(median([r[k] for r in runs]), 2) for k in keys}
    out["rps_min"] = min(r["rps"] for r in runs)
    out["rps_max"] = max(r["rps"] for r in runs)
    out["errors"] = sum(r["socket_errors"] + r["non_2xx"] for r in runs)
    out["runs"] = len(runs)
    return out


# --------------------------------------------------------------------------- accounts


def register_and_login(url: str, name: str, http: requests.Session | None = None) -> dict[str, Any]:
    """A new account through the API; returns the /login answer (tokens) plus the user id."""
    client = http or requests.Session()
    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    created = client.post(url + "/register", json=body, timeout=60)
    if created.status_code != 201:
        raise RuntimeError(f"register {name}: {created.status_code} {created.text[:300]}")
    login = client.post(url + "/login", json={"username": name, "password": PASSWORD}, timeout=60)
    if login.status_code != 200:
        raise RuntimeError(f"login {name}: {login.status_code} {login.text[:300]}")
    return {**login.json(), "user_id": created.json()["id"]}


def unique(prefix: str) -> str:
    return f"{prefix}{int(time.time() * 1000) % 10**10}"


@contextlib.contextmanager
def servers(*items: Server) -> Iterator[tuple[Server, ...]]:
    started: list[Server] = []
    try:
        for item in items:
            started.append(item.start())
        yield tuple(started)
    finally:
        for item in reversed(started):
            item.stop()


def yes(flag: bool | None) -> str:
    """A target's status cell in the table: met, MISSED, or - (nothing measured)."""
    return "-" if flag is None else ("met" if flag else "MISSED")


def table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=False)]
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines)


_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


def safe_name(text: str) -> str:
    return _SAFE.sub("_", text)


def warm_up(url: str, emulator: int | None, *, chunks: int = 12, **load: Any) -> list[float]:
    """Load ``url`` with wrk in 5-second chunks until the emulator's CPU per request settles
    (3 chunks at least; then until one costs >= 90% of the one before; ``chunks`` at most).

    A fresh emulator JVM spends 2-4x more CPU per call for its first ~30 s of load (JIT);
    measured before it settles, that cost lands on whichever server runs first. Returns the
    emulator's CPU ms per request of each chunk.
    """
    settled: list[float] = []
    for _ in range(chunks):
        before = cpu_seconds([emulator] if emulator else [])
        run = wrk(url, seconds=5, **load)
        spent = cpu_seconds([emulator] if emulator else []) - before
        settled.append(round(1000 * spent / max(run["requests"], 1), 2))
        if len(settled) >= 3 and settled[-1] >= 0.9 * settled[-2]:
            break
    print(f"warm-up {url}: emulator CPU ms per request {settled}", flush=True)
    return settled
