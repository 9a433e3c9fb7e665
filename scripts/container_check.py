#!/usr/bin/env python3
"""Build the project's Dockerfile without a Docker engine and check the container for real.

    python3 scripts/container_check.py [--rebuild-base]

No Docker engine runs on our machines and only PyPI, npm and Debian are reachable, so no
registry image can be pulled. This script (as root, Debian) instead:

1. installs podman, buildah, runc and debootstrap from Debian when missing;
2. makes a base image locally: `debootstrap --variant=minbase trixie` with python3 (3.13),
   python3-venv and python-is-python3, plus this machine's CA bundle and an /etc/pip.conf
   pointing pip at it (our package traffic goes through a TLS-inspecting proxy), imported
   as localhost/firegate-base:trixie (cached in /var/tmp/firegate-container);
3. builds the real Dockerfile with `python:3.13-slim` replaced by that base in a sed'ed copy
   (the Dockerfile itself stays standard), with `podman build --isolation chroot --runtime
   runc`, vfs storage under /var/tmp/firegate-container, and ulimits lowered (runc may not
   raise RLIMIT_NPROC/NOFILE to the host's values here);
4. runs the image on the host network against the Firestore emulator (bench ports, local
   profile: the image's production default refuses emulator variables) and checks: /readyz
   200, register 201 and login 200, every process of the container runs as uid 10001, and
   SIGTERM stops it with exit code 0 within 10 s; then that the production profile refuses
   to start with an emulator variable set.

Results go to bench/results/container.json; the exit status is 0 when every check passed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from emulators import REPO_ROOT, EmulatorSet

CACHE = Path(os.environ.get("FIREGATE_CONTAINER_CACHE", "/var/tmp/firegate-container"))  # noqa: S108 - big, kept between runs, root only
BASE = "localhost/firegate-base:trixie"
IMAGE = "localhost/firegate:check"
NAME = "firegate-container-check"
PACKAGES = ["podman", "buildah", "runc", "debootstrap"]
BASE_PACKAGES = "python3,python3-venv,python-is-python3,ca-certificates"
ULIMITS = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096"]
FIRESTORE = "127.0.0.1:47180"  # the bench's emulator port (see bench/_common.py)
SECRET = "container-check-secret-" + "x" * 24
PASSWORD = "correct horse battery staple"
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def podman(*args: str, check: bool = True, capture: bool = True) -> str:
    argv = [
        "podman",
        "--root",
        str(CACHE / "storage"),
        "--runroot",
        str(CACHE / "run"),
        "--storage-driver",
        "vfs",
        "--runtime",
        "runc",
        *args,
    ]
    done = subprocess.run(argv, check=False, capture_output=capture, text=True)
    if check and done.returncode != 0:
        raise RuntimeError(f"podman {' '.join(args[:2])} failed:\n{done.stderr}")
    return done.stdout if capture else ""


def ensure_packages() -> None:
    missing = [p for p in PACKAGES if not shutil.which(p)]
    if not missing:
        return
    if os.geteuid() != 0:
        raise SystemExit(f"missing {', '.join(missing)}: apt-get install -y {' '.join(missing)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(
        ["apt-get", "install", "-y", "-q", *PACKAGES],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )


def make_base(rebuild: bool) -> float:
    """debootstrap a minimal trixie with Python 3.13 (the image's) and import it; seconds
    spent."""
    started = time.monotonic()
    if not rebuild and podman("images", "-q", BASE).strip():
        return 0.0
    rootfs = CACHE / "rootfs"
    if rebuild or not (rootfs / "usr" / "bin" / "python3").exists():
        shutil.rmtree(rootfs, ignore_errors=True)
        subprocess.run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={BASE_PACKAGES}",
                "trixie",
                str(rootfs),
                "http://deb.debian.org/debian",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    # This machine's trust store: package downloads pass a TLS-inspecting proxy.
    shutil.copy("/etc/ssl/certs/ca-certificates.crt", rootfs / "etc/ssl/certs/")
    (rootfs / "etc" / "pip.conf").write_text(
        "[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n", encoding="utf-8"
    )
    for leftover in (rootfs / "var/cache/apt/archives").glob("*.deb"):
        leftover.unlink()
    shutil.rmtree(rootfs / "var/lib/apt/lists", ignore_errors=True)
    (rootfs / "var/lib/apt/lists").mkdir(parents=True, exist_ok=True)
    podman("rmi", "-f", BASE, check=False)
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
    argv = [
        "podman",
        "--root",
        str(CACHE / "storage"),
        "--runroot",
        str(CACHE / "run"),
        "--storage-driver",
        "vfs",
        "import",
        "-",
        BASE,
    ]
    subprocess.run(argv, stdin=tar.stdout, check=True, stdout=subprocess.DEVNULL)
    tar.wait()
    return time.monotonic() - started


def build() -> tuple[float, str]:
    """The real Dockerfile with its base swapped for ours; (seconds, image size)."""
    context = CACHE / "dockerfile"
    context.mkdir(parents=True, exist_ok=True)
    original = (REPO_ROOT / "Dockerfile").read_text(encoding="utf-8")
    swapped = original.replace("FROM python:3.13-slim", f"FROM {BASE}")
    if swapped.count(f"FROM {BASE}") != original.count("FROM "):
        raise RuntimeError("the Dockerfile has a FROM this script does not know how to swap")
    (context / "Dockerfile").write_text(swapped, encoding="utf-8")
    started = time.monotonic()
    log = CACHE / "build.log"
    with log.open("w") as out:
        argv = [
            "podman",
            "--root",
            str(CACHE / "storage"),
            "--runroot",
            str(CACHE / "run"),
            "--storage-driver",
            "vfs",
            "--runtime",
            "runc",
            "build",
            "--isolation",
            "chroot",
            *ULIMITS,
            "-f",
            str(context / "Dockerfile"),
            "-t",
            IMAGE,
            str(REPO_ROOT),
        ]
        done = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        raise RuntimeError("podman build failed:\n" + log.read_text()[-3000:])
    size = podman("images", "--format", "{{.Size}}", IMAGE).strip()
    # vfs stores every layer whole: drop the previous builds' untagged images (and with them
    # the builder stage's cache) so that repeated checks do not fill the disk.
    podman("image", "prune", "-f", check=False)
    return time.monotonic() - started, size


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def http(method: str, url: str, body: dict[str, Any] | None = None) -> tuple[int, str]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with _OPENER.open(request, timeout=30) as answer:
            status: int = answer.status
            return status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def wait_ready(url: str, timeout: float) -> tuple[bool, float]:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        with contextlib.suppress(OSError):
            if http("GET", url + "/readyz")[0] == 200:
                return True, time.monotonic() - started
        time.sleep(0.1)
    return False, time.monotonic() - started


def run_checks(checks: dict[str, Any]) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    podman("rm", "-f", NAME, check=False)
    env = {
        "APP_PROFILE": "local",
        "JWT_SECRET": SECRET,
        "GOOGLE_CLOUD_PROJECT": "demo-firegate",
        "FIRESTORE_EMULATOR_HOST": FIRESTORE,
        "PORT": str(port),
        "TRUSTED_PROXY_HOPS": "0",
    }
    env_args = [arg for name, value in env.items() for arg in ("-e", f"{name}={value}")]
    podman("run", "-d", "--name", NAME, "--network", "host", *ULIMITS, *env_args, IMAGE)
    try:
        ready, seconds = wait_ready(url, 60)
        checks["readyz_200"] = ready
        checks["readyz_after_seconds"] = round(seconds, 2)
        name = f"container{int(time.time())}"
        status, _ = http(
            "POST",
            url + "/register",
            {
                "username": name,
                "email": f"{name}@example.com",
                "password": PASSWORD,
            },
        )
        checks["register_201"] = status == 201
        status, text = http("POST", url + "/login", {"username": name, "password": PASSWORD})
        checks["login_200"] = status == 200 and "access_token" in text
        if checks["login_200"]:
            token = json.loads(text)["access_token"]
            request = urllib.request.Request(url + "/user")
            request.add_header("Authorization", f"Bearer {token}")
            with _OPENER.open(request, timeout=30) as answer:
                checks["get_user_200"] = answer.status == 200
        users = podman("top", NAME, "huser", "args").splitlines()[1:]
        checks["process_uids"] = sorted({line.split()[0] for line in users if line.strip()})
        checks["runs_as_non_root"] = bool(users) and checks["process_uids"] == ["10001"]
        checks["id"] = podman("exec", NAME, "id").strip()
        started = time.monotonic()
        podman("kill", "--signal", "TERM", NAME)
        code = podman("wait", NAME).strip()
        checks["sigterm_stop_seconds"] = round(time.monotonic() - started, 2)
        checks["sigterm_exit_code"] = int(code) if code.lstrip("-").isdigit() else code
        checks["stops_within_10s_on_sigterm"] = (
            checks["sigterm_stop_seconds"] <= 10 and checks["sigterm_exit_code"] == 0
        )
        checks["log_tail"] = podman("logs", NAME).splitlines()[-4:]
    finally:
        podman("rm", "-f", NAME, check=False)
    # The image's default profile is production: an emulator variable must stop it at once.
    done = subprocess.run(
        [
            "podman",
            "--root",
            str(CACHE / "storage"),
            "--runroot",
            str(CACHE / "run"),
            "--storage-driver",
            "vfs",
            "--runtime",
            "runc",
            "run",
            "--rm",
            "--network",
            "host",
            *ULIMITS,
            "-e",
            "JWT_SECRET=" + SECRET,
            "-e",
            "GOOGLE_CLOUD_PROJECT=demo-firegate",
            "-e",
            f"FIRESTORE_EMULATOR_HOST={FIRESTORE}",
            IMAGE,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    checks["production_refuses_emulator_exit_code"] = done.returncode
    checks["production_refuses_emulator"] = done.returncode != 0 and "must not be set" in (
        done.stdout + done.stderr
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rebuild-base", action="store_true")
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "kernel": platform.release()},
        "how": "podman build --isolation chroot --runtime runc, vfs storage, ulimits "
        "nofile=1024 nproc=4096; base = debootstrap trixie minbase + python3 3.13 "
        "(python:3.13-slim swapped in a copy of the Dockerfile)",
    }
    checks: dict[str, Any] = {}
    status = 1
    emulators = EmulatorSet(services=("firestore",), firestore_port=int(FIRESTORE.split(":")[1]))
    try:
        ensure_packages()
        result["tools"] = {
            "podman": podman("--version").strip(),
            "runc": subprocess.run(
                ["runc", "--version"], capture_output=True, text=True, check=False
            ).stdout.splitlines()[0],
        }
        result["base_seconds"] = round(make_base(args.rebuild_base), 1)
        build_seconds, size = build()
        result["build_seconds"] = round(build_seconds, 1)
        result["image_size"] = size
        emulators.start(timeout=120)
        run_checks(checks)
        wanted = [
            "readyz_200",
            "register_201",
            "login_200",
            "runs_as_non_root",
            "stops_within_10s_on_sigterm",
            "production_refuses_emulator",
        ]
        status = 0 if all(checks.get(name) is True for name in wanted) else 1
    except Exception as exc:  # recorded: what failed and why is the result
        result["failure"] = f"{type(exc).__name__}: {exc}"[-4000:]
    finally:
        emulators.stop()
    result["checks"] = checks
    result["passed"] = status == 0
    out = REPO_ROOT / "bench" / "results" / "container.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return status


if __name__ == "__main__":
    sys.exit(main())
