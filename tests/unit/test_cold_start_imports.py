"""What `import wsgi` (the app built, as each gunicorn worker builds it) imports: nothing that
only the provider's server, SCIM, SAML, the OpenAPI document, the command line or the
services behind the warm-up need, and no development key made (docs/benchmarks.md, "Cold
start"). The route and page modules are imported, as registering their blueprints needs
(docs/decisions/0454-plain-routing.md). A guard against a heavy import coming back, not a
timing: it names modules."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import jwt
import pytest

from infrastructure.signin.jwt_tokens import ACCESS_TOKEN_TYPE
from tests.support.local_servers import in_thread, send_json
from tests.support.settings import TEST_SECRET
from tests.support.worker_process import in_a_worker, not_served

pytestmark = pytest.mark.unit


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
    "ijson",  # the command line's import of a Firebase export
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
    "saml2",  # SAML: its first sign-in or metadata
    # The app's own: the commands when the command line asks, the capabilities' bindings on
    # the warm-up thread.
    "interfaces.cli.accounts",
    "interfaces.cli.migration",
    "bootstrap.binding",
    "bootstrap.adapters",
    "application.provider.services",
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
    # Nothing listens at port 9: the warm-up's probe fails at once, harmlessly.
    found: list[str] = in_a_worker(PROBE, **{"FIRESTORE_EMULATOR_HOST": "127.0.0.1:9", **env})
    return found


def heavy(imported: list[str]) -> list[str]:
    return [name for name in imported if name.startswith(tuple(f"{m}." for m in LAZY))] + [
        name for name in imported if name in LAZY
    ]


def test_building_the_app_imports_none_of_what_is_used_later() -> None:
    imported = main_thread_imports()
    assert "flask" in imported and "bootstrap" in imported  # the probe saw the imports
    assert "interfaces.http.routes.accounts.accounts" in imported  # the routes registered
    assert "interfaces.web.accounts.account" in imported  # the pages too
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


# Once the app is built, its warm-up thread binds the services and probes Firestore as the
# first authenticated requests read it; then the process's modules are listed.
WARMED = """
import json, sys, threading

import wsgi

for thread in threading.enumerate():
    if thread.name == "firegate-warm-up":
        thread.join(60)
print(json.dumps(sorted(sys.modules)), flush=True)
"""


class _FirestoreRest(BaseHTTPRequestHandler):
    """Firestore's REST batch read, as the emulator answers it: every document missing."""

    asked: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.asked.append(self.path)
        send_json(self, 200, [{"missing": name} for name in body.get("documents", [])])

    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture
def firestore_rest() -> Iterator[str]:
    _FirestoreRest.asked = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FirestoreRest)
    with in_thread(server):
        yield f"127.0.0.1:{server.server_address[1]}"


def test_a_warmed_up_worker_has_not_imported_the_cloud_sdk(firestore_rest: str) -> None:
    """Binding the services and the warm-up's probe (the REST read every authenticated request
    makes) import neither google-cloud-firestore nor google.api_core: they wait for the first
    request that needs the client library (docs/decisions/0432-the-cloud-sdk-on-first-use.md).
    The sweeps, which query through it as soon as a server starts, are off here."""
    modules: list[str] = in_a_worker(
        WARMED,
        FIRESTORE_EMULATOR_HOST=firestore_rest,
        WEBHOOK_SWEEP_INTERVAL="0",
        SSO_CERTIFICATE_SWEEP_INTERVAL="0",
    )
    assert "bootstrap.adapters" in modules  # the services were bound
    assert any(path.endswith(":batchGet") for path in _FirestoreRest.asked)  # and probed
    cloud = [m for m in modules if m.startswith(("google.cloud", "google.api_core", "grpc"))]
    assert cloud == []


# A warmed-up worker answers /healthz and an authenticated GET /user; then the process's
# modules are listed.
SERVED = """
import json, sys, threading

import wsgi

for thread in threading.enumerate():
    if thread.name == "firegate-warm-up":
        thread.join(60)
client = wsgi.app.test_client()
statuses = [
    client.get("/healthz").status_code,
    client.get("/user", headers={"Authorization": "Bearer " + sys.argv[1]}).status_code,
]
print(json.dumps({"statuses": statuses, "modules": sorted(sys.modules)}), flush=True)
"""


def test_a_worker_that_served_healthz_and_get_user_has_not_imported_the_rest(
    firestore_rest: str,
) -> None:
    """The warm-up binds every capability's use cases; the two requests import nothing of
    the provider's server, SCIM, SAML, the OpenAPI document or the command line. The token
    is signed with the worker's secret and names a session the stand-in of Firestore does
    not have: GET /user goes the whole authenticated path, its batch read included, to a 401
    (tests/e2e/test_first_request_without_sdk_emulator.py serves a 200 on the emulator)."""
    now = int(time.time())
    claims: dict[str, str | int] = {"iss": "firegate", "aud": "firegate-api", "role": "user"}
    claims |= {"sub": "u1", "user_id": "u1", "sid": "s1", "jti": "j1"}
    claims |= {"iat": now, "nbf": now, "exp": now + 300}
    token = jwt.encode(claims, TEST_SECRET, algorithm="HS256", headers={"typ": ACCESS_TOKEN_TYPE})
    found: dict[str, Any] = in_a_worker(
        SERVED,
        token,
        FIRESTORE_EMULATOR_HOST=firestore_rest,
        WEBHOOK_SWEEP_INTERVAL="0",
        SSO_CERTIFICATE_SWEEP_INTERVAL="0",
    )
    assert found["statuses"] == [200, 401]
    reads = [path for path in _FirestoreRest.asked if path.endswith(":batchGet")]
    assert len(reads) >= 2  # the warm-up's probe, and GET /user's read of its account
    modules: list[str] = found["modules"]
    assert "bootstrap.binding" in modules  # the services were bound
    assert not_served(modules) == []
