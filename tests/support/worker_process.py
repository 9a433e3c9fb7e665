"""A new Python process that builds the app as a gunicorn worker does (``import wsgi``, from
src/), for the tests of what a worker imports and when (docs/benchmarks.md, "Cold start")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.support.settings import TEST_SECRET

SRC = Path(__file__).resolve().parents[2] / "src"


def in_a_worker(code: str, *args: str, **env: str) -> Any:
    """What ``code`` (run with ``args`` as ``sys.argv[1:]``) printed last, read as JSON.
    The environment is the local profile's, at WARNING, and ``env``; the process ends with
    ``os._exit``: the worker's own threads (the sweeps', the hashing threads) are not the
    test's."""
    environ = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(SRC),
        "APP_PROFILE": "local",
        "JWT_SECRET": TEST_SECRET,
        "LOG_LEVEL": "WARNING",
        **env,
    }
    command = [sys.executable, "-c", code + "\nimport os; os._exit(0)", *args]
    done = subprocess.run(
        command, cwd=SRC, env=environ, capture_output=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return json.loads(done.stdout.strip().splitlines()[-1])


# What only the provider's server, SCIM, SAML, an org's domain check, the command line or
# the OpenAPI document need: still not imported once a worker has built its app and served
# those.
NOT_SERVED = (
    "authlib.jose",
    "interfaces.provider.server",
    "saml2",
    "scim2_server",
    "scim2_models",
    "ijson",
    "dns",  # dnspython: an org domain's first check
    "interfaces.cli.accounts",
    "interfaces.cli.migration",
    "interfaces.cli.clients",
    "interfaces.scim.serving",
)


def not_served(modules: list[str]) -> list[str]:
    """Those of ``modules`` that are, or are in, one of ``NOT_SERVED``."""
    return [
        m for m in modules if m in NOT_SERVED or m.startswith(tuple(f"{n}." for n in NOT_SERVED))
    ]
