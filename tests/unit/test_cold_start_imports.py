"""What `import wsgi` (the app built, as each gunicorn worker builds it) imports: nothing that
only the provider, the pages' rarer forms, the OpenAPI document, the command line or the
services behind the warm-up need, and no development key made (docs/benchmarks.md,
"Cold start"). A guard against a heavy import coming back, not a timing: it names modules."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.settings import TEST_SECRET

pytestmark = pytest.mark.unit

SRC = Path(__file__).resolve().parents[2] / "src"

# Each is imported where it is first used: a request of the provider (Authlib) or of SCIM
# (scim2-server, scim2-models), an enrolment's QR code (segno), the first /openapi.json
# (spectree), a key made or read (cryptography), or the services the warm-up thread binds
# after the app is built.
LAZY = (
    "prometheus_client",  # metrics: only with METRICS_TOKEN (the test below)
    "authlib.oauth2",
    "authlib.oidc",
    "authlib.integrations",
    "authlib.jose",
    "spectree",
    "scim2_models",  # SCIM: its first request (interfaces/scim/serving.py)
    "scim2_server",
    "segno",
    "cryptography",
    "jwt",
    "argon2",
    "pyotp",
    "webauthn",
    "cbor2",
    "firebase_admin",
    "google.cloud",
    "google.api_core",
    "grpc",
    "redis",
    "smtplib",
    # Traces' SDK: only when they are on (the cloud SDKs import its API on the warm-up thread).
    "opentelemetry",
)

# Records the modules that the main thread imports: the warm-up thread, which `build_app`
# starts last to bind the services in the background, imports the cloud SDKs by design.
PROBE = """
import json, sys, threading

main = threading.main_thread()
imported = []


def hook(event, args):
    if event == "import" and threading.current_thread() is main:
        imported.append(args[0])


sys.addaudithook(hook)
import wsgi

print(json.dumps(imported), flush=True)
"""


def main_thread_imports(**env: str) -> list[str]:
    environ = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(SRC),
        "APP_PROFILE": "local",
        "JWT_SECRET": TEST_SECRET,
        "LOG_LEVEL": "WARNING",
        # Nothing listens here: the warm-up's readiness probe fails at once, harmlessly.
        "FIRESTORE_EMULATOR_HOST": "127.0.0.1:9",
        **env,
    }
    # os._exit: the warm-up thread may still be importing; its outcome is not this test's.
    done = subprocess.run(
        [sys.executable, "-c", PROBE + "import os; os._exit(0)"],
        cwd=SRC,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def heavy(imported: list[str]) -> list[str]:
    return [name for name in imported if name.startswith(tuple(f"{m}." for m in LAZY))] + [
        name for name in imported if name in LAZY
    ]


def test_building_the_app_imports_none_of_what_is_used_later() -> None:
    imported = main_thread_imports()
    assert "flask" in imported and "bootstrap" in imported  # the probe saw the imports
    assert heavy(imported) == []


def test_metrics_import_prometheus_client_only_when_on() -> None:
    imported = main_thread_imports(METRICS_TOKEN="m" * 32)
    assert "prometheus_client" in imported and "infrastructure.metrics.prometheus" in imported
    assert "interfaces.shared.metrics" in imported  # the shell's part is always imported


def test_the_provider_is_served_without_authlib_until_its_first_request() -> None:
    imported = main_thread_imports(OAUTH_PROVIDER="true", OAUTH_DYNAMIC_REGISTRATION="true")
    assert "interfaces.provider.routes" in imported  # its routes are registered all the same
    assert heavy(imported) == []


def test_traces_import_opentelemetry_only_when_on() -> None:
    """With an OTLP endpoint the app is built with the SDK, the gRPC and requests
    instrumentations; without one (the test above) nothing of it."""
    imported = main_thread_imports(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9")
    assert "opentelemetry.sdk.trace" in imported
    assert "infrastructure.telemetry.server" in imported
