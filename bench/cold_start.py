#!/usr/bin/env python3
"""Cold start: from starting `gunicorn -c gunicorn.conf.py` to the first 200 on /healthz,
and on to the first 200 of an authenticated `GET /user` (a token from an earlier process);
and the import of `wsgi` (the app built) alone, timed and with `python -X importtime`,
beside a bare Flask app's import (`import flask; flask.Flask('x')`) timed the same way.

    .venv/bin/python bench/cold_start.py [--runs 5]

Both are polled every 5 ms. The bytecode is compiled first, as the image's build does it.
Writes bench/results/cold_start.json; the targets are 0.7 s to /healthz, 0.641 s to the
authenticated 200 (the seed app's figure), and `import wsgi` within 3 times the bare Flask
app's import of the same run (docs/benchmarks.md, "Cold start").
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from typing import Any

import requests

from _common import (
    ROOT,
    Server,
    loadavg,
    median,
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
TIMED_BARE_FLASK = (
    "import time; t = time.perf_counter(); import flask; flask.Flask('x'); "
    "print(round(time.perf_counter() - t, 4))"
)
_IMPORTTIME = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)")


def timed(code: str, env: dict[str, str]) -> float:
    """Seconds that ``code`` prints, run in a new interpreter from src/."""
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT / "src",
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(out.strip().splitlines()[-1])


def import_profile(env: dict[str, str]) -> list[dict[str, Any]]:
    """What the imports of ``wsgi`` spend most on under -X importtime: bootstrap and the
    modules it brings in, three levels deep, by cumulative time. (``import bootstrap``, not
    ``wsgi``: the app's warm-up thread would mix its own imports into the profile.)"""
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


def development_keys(env: dict[str, str]) -> dict[str, str]:
    """The local profile's development secrets that ``env`` lacks, made in this process."""
    sys.path.insert(0, str(ROOT / "src"))
    from infrastructure.dev_secrets import development_secrets  # noqa: PLC0415 - from src/

    return development_secrets(env)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
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
        starts: list[float] = []
        authenticated: list[float] = []
        for n in range(args.runs):
            server = Server(f"cold-start-{n}", env)
            try:
                server.start()
                starts.append(server.ready_seconds)
                authenticated.append(first_authenticated(server, token))
            finally:
                server.stop()
        imports: list[float] = []
        bare: list[float] = []
        python_env = {**env, "PYTHONPATH": str(ROOT / "src")}
        for _ in range(args.runs):  # one of each in turn, so both see the same machine
            imports.append(timed(TIMED_IMPORT, python_env))
            bare.append(timed(TIMED_BARE_FLASK, python_env))
        profile = import_profile(python_env)
    finally:
        emulators.stop()

    first_200 = round(median(starts), 3)
    first_user = round(median(authenticated), 3)
    ratio = round(median(imports) / median(bare), 2)
    result = {
        "what": "gunicorn -c gunicorn.conf.py (2 gthread workers) from exec to the first 200 "
        "on /healthz, then to the first 200 on GET /user with a token, polled every 5 ms; "
        "bytecode cached (.pyc) as in the image",
        "first_200_seconds": {"median": first_200, "runs": [round(s, 3) for s in starts]},
        "first_authenticated_200_seconds": {
            "median": first_user,
            "runs": [round(s, 3) for s in authenticated],
        },
        "import_wsgi_seconds": {
            "median": round(median(imports), 3),
            "runs": [round(s, 3) for s in imports],
        },
        "import_bare_flask_seconds": {
            "median": round(median(bare), 3),
            "runs": [round(s, 3) for s in bare],
        },
        "import_ratio": ratio,
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
        f"{first_user} s (medians of {args.runs}); import wsgi "
        f"{result['import_wsgi_seconds']['median']} s, {ratio} x a bare Flask app's "
        f"{result['import_bare_flask_seconds']['median']} s; "
        f"wrote {path}"
    )
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
