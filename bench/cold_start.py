#!/usr/bin/env python3
"""Cold start, as Cloud Run starts the image: from starting `gunicorn -c gunicorn.conf.py` to
the first 200 on /healthz, and on to the first 200 of an authenticated `GET /user` (a token
from an earlier process), with the bytecode compiled beforehand as the image's build does
(`compileall`); then each worker's memory once started. And the import of `wsgi` (the app
built) alone, timed and with `python -X importtime`, beside a bare Flask app's import
(`import flask; flask.Flask('x')`) timed the same way, and beside the same with the service's
settings read (`Settings()`): what any start of the service pays before its own modules;
and `import wsgi` again with every optional unit off (UNITS_OFF): the core alone, what
loading the units on first use could reach at most.

    .venv/bin/python bench/cold_start.py [--runs 5] [--without-bytecode]

Both are polled every 5 ms. ``--without-bytecode`` also times the same starts from a fresh
copy of src/ (no __pycache__) with PYTHONDONTWRITEBYTECODE=1, as a copy of the tree without
its build step would start: every start then compiles src/ first. That is not a Cloud Run
start (docs/benchmarks.md, "Cold start").
Writes bench/results/cold_start.json; the targets are 0.7 s to /healthz, 0.641 s to the
authenticated 200 (the seed app's figure), and `import wsgi` within 3 times the bare Flask
app's import of the same run (docs/benchmarks.md, "Cold start").
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from _common import (
    ROOT,
    Server,
    loadavg,
    median,
    mib,
    proc_pss,
    proc_status,
    register_and_login,
    service_env,
    start_emulators,
    unique,
    write_result,
)

HEALTHZ_TARGET, AUTHENTICATED_TARGET = 0.7, 0.641
IMPORT_RATIO_TARGET = 3.0  # import wsgi, against a bare Flask app's import


def first_authenticated(server: Server, token: str, timeout: float = 30) -> float:
    """Seconds from the server's exec to its first 200 on GET /user with ``token``."""
    deadline = time.monotonic() + timeout
    headers = {"Authorization": f"Bearer {token}"}
    with requests.Session() as http:
        while time.monotonic() < deadline:
            try:
                if http.get(server.url + "/user", headers=headers, timeout=5).status_code == 200:
                    return time.perf_counter() - server.started_at
            except requests.RequestException:
                pass
            time.sleep(0.005)
    raise RuntimeError(f"{server.name}: no authenticated 200:\n{server.tail()}")


TIMED_IMPORT = (
    "import time; t = time.perf_counter(); import wsgi; print(round(time.perf_counter() - t, 4))"
)
# The same, in its two parts: what gunicorn's master imports before it forks (bootstrap) and
# what each worker then does (wsgi: the app built, its services bound).
TIMED_PARTS = (
    "import time; t = time.perf_counter(); import bootstrap; m = time.perf_counter(); "
    "import wsgi; print(round(m - t, 4), round(time.perf_counter() - m, 4))"
)
# Where the worker's part goes: the units' route and page modules, imported as the master
# imports them (``import_units``), then the rest of the app's build (``import wsgi``), then
# werkzeug compiling the rules' URL builders again on a new map (what registering the
# blueprints pays for their rules, however they are registered: decision 0454).
TIMED_ROUTES = (
    "import time; import bootstrap; from bootstrap.units import import_units; "
    "from infrastructure.settings import Settings; settings = Settings(); "
    "t = time.perf_counter(); import_units(settings); m = time.perf_counter(); "
    "import wsgi; b = time.perf_counter(); from werkzeug.routing import Map; "
    "rules = list(wsgi.app.url_map.iter_rules()); "
    "again = Map(converters=dict(wsgi.app.url_map.converters)); r = time.perf_counter(); "
    "[again.add(rule.empty()) for rule in rules]; "
    "print(round(m - t, 4), round(b - m, 4), round(time.perf_counter() - r, 4), len(rules))"
)
TIMED_BARE_FLASK = (
    "import time; t = time.perf_counter(); import flask; flask.Flask('x'); "
    "print(round(time.perf_counter() - t, 4))"
)
# What any start of the service pays before its own modules: Flask and an app, and the
# settings read and checked (pydantic-settings, pydantic and the validators the fields use).
TIMED_SETTINGS_FLOOR = (
    "import time; t = time.perf_counter(); import flask; flask.Flask('x'); "
    "from infrastructure.settings import Settings; Settings(); "
    "print(round(time.perf_counter() - t, 4))"
)
_IMPORTTIME = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)")


def timed(code: str, env: dict[str, str]) -> float:
    """Seconds that ``code`` prints, run in a new interpreter from src/."""
    return printed(code, env)[0]


def printed(code: str, env: dict[str, str]) -> list[float]:
    """The seconds that ``code`` prints on its last line, run in a new interpreter from src/."""
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT / "src",
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [float(word) for word in out.strip().splitlines()[-1].split()]


def import_profile(env: dict[str, str]) -> list[dict[str, Any]]:
    """What the imports of ``wsgi`` spend most on under -X importtime: bootstrap (what
    gunicorn's master imports) and the modules it brings in, three levels deep, by
    cumulative time."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import bootstrap"],
        cwd=ROOT / "src",
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    top: dict[str, int] = {}
    for line in done.stderr.splitlines():
        match = _IMPORTTIME.match(line)
        if match and (len(match.group(3)) - 1) // 2 <= 3:
            top[match.group(4)] = max(top.get(match.group(4), 0), int(match.group(2)))
    ranked = sorted(top.items(), key=lambda item: -item[1])
    return [{"module": name, "cumulative_ms": round(us / 1000, 1)} for name, us in ranked[:15]]


SETTLE = 1.0  # after the first authenticated 200: every worker started (and, before, warmed up)


def workers_memory(server: Server) -> dict[str, float]:
    """The largest worker's RSS and the workers' mean PSS (MiB), once every worker has started;
    the master's RSS; and the instance's memory, every page counted once (the PSS of the
    master and its workers). RSS counts each page a worker shares with the master; PSS splits
    it between them."""
    server.wait_workers(2)
    time.sleep(SETTLE)
    workers = server.workers()
    pss = [proc_pss(pid) for pid in workers]
    return {
        "worker_rss_mib": mib(max(proc_status(pid)["VmRSS"] for pid in workers)),
        "worker_pss_mib": mib(sum(pss) / len(pss)),
        "master_rss_mib": mib(proc_status(server.pid)["VmRSS"]),
        "instance_pss_mib": mib(proc_pss(server.pid) + sum(pss)),
    }


def fresh_copy() -> Path:
    """gunicorn.conf.py beside a copy of src/ without its bytecode: a tree without a build."""
    where = Path(tempfile.mkdtemp(prefix="firegate-fresh-"))
    shutil.copy2(ROOT / "gunicorn.conf.py", where / "gunicorn.conf.py")
    shutil.copytree(ROOT / "src", where / "src", ignore=shutil.ignore_patterns("__pycache__"))
    return where


def starts(
    runs: int, env: dict[str, str], token: str, *, cwd: Path = ROOT
) -> dict[str, list[float]]:
    """``runs`` starts of gunicorn in ``cwd``: the first 200, the first authenticated 200 and
    the workers' memory of each."""
    found: dict[str, list[float]] = {"first_200": [], "first_user": []}
    for n in range(runs):
        server = Server(f"cold-start-{n}", env, cwd=cwd)
        try:
            server.start()
            found["first_200"].append(server.ready_seconds)
            found["first_user"].append(first_authenticated(server, token))
            for name, value in workers_memory(server).items():
                found.setdefault(name, []).append(value)
        finally:
            server.stop()
    return found


def summary(values: list[float], digits: int = 3) -> dict[str, Any]:
    return {"median": round(median(values), digits), "runs": [round(v, digits) for v in values]}


def development_keys(env: dict[str, str]) -> dict[str, str]:
    """The local profile's development secrets that ``env`` lacks, made in this process."""
    sys.path.insert(0, str(ROOT / "src"))
    from infrastructure.dev_secrets import development_secrets  # noqa: PLC0415 - from src/

    return development_secrets(env)


def import_times(runs: int, python_env: dict[str, str]) -> dict[str, list[float]]:
    """Each import timed ``runs`` times, one of each in turn so that all see the same
    machine: ``wsgi``, a ``bare`` Flask app, the ``core`` alone (every optional unit off:
    UNITS_OFF, so not imported), Flask and the ``settings``, the ``master``'s and the
    ``worker``'s parts, and TIMED_ROUTES' four numbers (``share0``..``share3``)."""
    core_env = {**python_env, "UNITS_OFF": ",".join(optional_units())}
    times: dict[str, list[float]] = {}
    for _ in range(runs):
        found = {
            "wsgi": timed(TIMED_IMPORT, python_env),
            "bare": timed(TIMED_BARE_FLASK, python_env),
            "core": timed(TIMED_IMPORT, core_env),
            "settings": timed(TIMED_SETTINGS_FLOOR, python_env),
        }
        found["master"], found["worker"] = printed(TIMED_PARTS, python_env)
        for i, share in enumerate(printed(TIMED_ROUTES, python_env)):
            found[f"share{i}"] = share
        for name, seconds in found.items():
            times.setdefault(name, []).append(seconds)
    return times


def optional_units() -> tuple[str, ...]:
    """Every optional unit's name (src/bootstrap/units.py)."""
    sys.path.insert(0, str(ROOT / "src"))
    from bootstrap.units import UNITS  # noqa: PLC0415 - from src/

    return UNITS


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--without-bytecode",
        action="store_true",
        help="also time the starts from a fresh copy of src/ without bytecode (not Cloud Run's)",
    )
    args = parser.parse_args()

    # Bytecode cached, as the image has it (the Dockerfile's compileall): without it, as with
    # PYTHONDONTWRITEBYTECODE=1, every start would compile src/ again and time that instead.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src")], check=True)
    emulators = start_emulators(("firestore",))
    try:
        env = service_env(emulators, LOG_LEVEL="WARNING")
        # The keys made once, as `make run` keeps them and production configures them: a
        # start that made its own RSA keys would time that (0.1-0.14 s in gunicorn's master).
        env.update(development_keys(env))
        with Server("cold-start-account", env) as server:
            token = register_and_login(server.url, unique("cold"))["access_token"]
        started = starts(args.runs, env, token)
        unbuilt: dict[str, list[float]] = {}
        if args.without_bytecode:
            copy = fresh_copy()
            try:
                plain = {**env, "PYTHONDONTWRITEBYTECODE": "1"}
                unbuilt = starts(args.runs, plain, token, cwd=copy)
            finally:
                shutil.rmtree(copy, ignore_errors=True)
        python_env = {**env, "PYTHONPATH": str(ROOT / "src")}
        times = import_times(args.runs, python_env)
        profile = import_profile(python_env)
    finally:
        emulators.stop()

    first_200 = round(median(started["first_200"]), 3)
    first_user = round(median(started["first_user"]), 3)
    ratio = round(median(times["wsgi"]) / median(times["bare"]), 2)
    result = {
        "what": "gunicorn -c gunicorn.conf.py (2 gthread workers) from exec to the first 200 "
        "on /healthz, then to the first 200 on GET /user with a token, polled every 5 ms; "
        "bytecode cached (.pyc) as in the image; then the workers' memory, 1 s later",
        "first_200_seconds": summary(started["first_200"]),
        "first_authenticated_200_seconds": summary(started["first_user"]),
        "worker_rss_mib": summary(started["worker_rss_mib"], 1),
        "worker_pss_mib": summary(started["worker_pss_mib"], 1),
        "master_rss_mib": summary(started["master_rss_mib"], 1),
        "instance_pss_mib": summary(started["instance_pss_mib"], 1),
        "import_wsgi_seconds": {
            "median": round(median(times["wsgi"]), 3),
            "runs": [round(s, 3) for s in times["wsgi"]],
        },
        "import_bare_flask_seconds": {
            "median": round(median(times["bare"]), 3),
            "runs": [round(s, 3) for s in times["bare"]],
        },
        "import_ratio": ratio,
        # Flask and the settings alone, beside the bare Flask app: the share of the ratio
        # that no change to the service's own modules can take away
        "import_settings_floor_seconds": summary(times["settings"]),
        "settings_floor_ratio": round(median(times["settings"]) / median(times["bare"]), 2),
        # The same with every optional unit off: what laziness of the units could reach at most
        "import_core_only_seconds": summary(times["core"]),
        "core_only_ratio": round(median(times["core"]) / median(times["bare"]), 2),
        "import_bootstrap_seconds": summary(times["master"]),  # gunicorn's master, before forking
        "worker_build_seconds": summary(times["worker"]),  # then each worker: import wsgi
        # The route and page modules' share (the master imports them before forking), the
        # rest of the app's build, and the URL builders of its rules compiled again
        "route_and_page_modules_seconds": summary(times["share0"]),
        "build_after_route_modules_seconds": summary(times["share1"]),
        "rule_builders_seconds": summary(times["share2"]),
        "rules": int(times["share3"][-1]),
        **(
            {
                "without_bytecode": {
                    "what": "the same starts from a fresh copy of src/ without __pycache__, "
                    "PYTHONDONTWRITEBYTECODE=1: not a Cloud Run start",
                    "first_200_seconds": summary(unbuilt["first_200"]),
                    "first_authenticated_200_seconds": summary(unbuilt["first_user"]),
                }
            }
            if unbuilt
            else {}
        ),
        "import_profile_top": profile,
        "target_seconds": HEALTHZ_TARGET,
        "authenticated_target_seconds": AUTHENTICATED_TARGET,
        "import_ratio_target": IMPORT_RATIO_TARGET,
        "met": first_200 <= HEALTHZ_TARGET
        and first_user <= AUTHENTICATED_TARGET
        and ratio <= IMPORT_RATIO_TARGET,
        "load_at_end": loadavg(),
        "cpus": os.cpu_count(),
    }
    path = write_result("cold_start", result)
    print(
        f"cold start: first 200 after {first_200} s, first authenticated 200 after "
        f"{first_user} s (medians of {args.runs}); a worker's RSS "
        f"{result['worker_rss_mib']['median']} MiB, PSS {result['worker_pss_mib']['median']} "
        f"MiB, the instance's {result['instance_pss_mib']['median']} MiB; import wsgi "
        f"{result['import_wsgi_seconds']['median']} s, {ratio} x a bare Flask app's"
        f" {result['import_bare_flask_seconds']['median']} s (Flask and the settings alone: "
        f"{result['settings_floor_ratio']} x; the core alone, every optional unit off: "
        f"{result['core_only_ratio']} x); load {loadavg()}"
    )
    print(
        f"of a worker's build: the route and page modules "
        f"{result['route_and_page_modules_seconds']['median']} s, the rest "
        f"{result['build_after_route_modules_seconds']['median']} s; the {result['rules']} "
        f"rules' URL builders {result['rule_builders_seconds']['median']} s"
    )
    if unbuilt:
        print(
            "without bytecode (a fresh copy of src/): first 200 after "
            f"{round(median(unbuilt['first_200']), 3)} s, first authenticated 200 after "
            f"{round(median(unbuilt['first_user']), 3)} s"
        )
    print(f"wrote {path}")
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
