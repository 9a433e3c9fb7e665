"""What `import wsgi` (the app built and its services bound, as each gunicorn worker does)
imports: no cloud client library, which a worker imports on first use or when configured
(docs/decisions/0453-one-import-in-the-master.md), and nothing that only the provider's
server, the OpenAPI document, SAML, an org's domain check or the command line need; the
route and page modules are imported, as registering their blueprints needs
(docs/decisions/0454-plain-routing.md). A guard against
a heavy import coming back, not a timing: it names modules. Each protocol stack a deployment
may never use is imported by its first use, which still serves
(docs/decisions/0530-protocol-stacks-loaded-when-used.md)."""

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


# Not imported by a worker's start. The cloud client libraries: each worker imports one on
# its first use (Firestore's, Firebase's, Cloud Storage's), or when the settings name it
# (Pub/Sub, Redis); gunicorn's master imports none before it forks. The optional ones: metrics'
# and traces' libraries when they are on, pysaml2 with a SAML connection's first use,
# dnspython with an org domain's first check, scim2 with the first SCIM request, ijson with
# the command line's import of a Firebase export.
LAZY = (
    "firebase_admin",
    "google.cloud",
    "google.api_core",
    "grpc",
    "redis",
    "prometheus_client",  # metrics: only with METRICS_TOKEN (the test below)
    "opentelemetry",  # traces: only when they are on (the test below)
    "saml2",
    "dns",
    "scim2_models",  # SCIM: its first request (interfaces/scim/serving.py)
    "scim2_server",
    "ijson",
    "xmlsec",  # SAML's signatures, with pysaml2
    "lxml",
    # Each with the first request that needs it (docs/decisions/0530-...): requests with the
    # first challenge verified, password screened, dog picture or upstream sign-in; Authlib's
    # client (and its OAuth 2 server's modules) with the first upstream or OpenID connection's
    # sign-in (and the provider's first request); webauthn with the first passkey ceremony;
    # spectree with the first OpenAPI document; segno with the first TOTP QR code.
    "requests",
    "authlib.integrations",
    "authlib.oauth2",
    "authlib.oidc",
    "joserfc",
    "webauthn",
    "OpenSSL",
    "pyasn1",
    "cbor2",
    "spectree",
    "segno",
    "re2",  # a profile schema's first pattern
    "disposable_email_domains",  # only with SIGNUP_BLOCK_DISPOSABLE (the test below)
    "phonenumbers",  # the first phone number parsed (or PHONE_DEFAULT_REGION checked)
    # The app's own: the provider's server with its first request, the commands when the
    # command line asks, the upstream providers' client and its transport with their first
    # sign-in.
    "interfaces.provider.server",
    "interfaces.cli.accounts",
    "interfaces.cli.migration",
    "infrastructure.federation.upstream_oidc",
    "infrastructure.sso.idp_requests",
)

# A worker's start: the app built, its services bound; then what the process holds.
PROBE = """
import json, sys

import wsgi

print(json.dumps(sorted(sys.modules)), flush=True)
"""


def worker_imports(**env: str) -> list[str]:
    # Nothing listens at port 9: building the app reads nothing from Firestore.
    found: list[str] = in_a_worker(PROBE, **{"FIRESTORE_EMULATOR_HOST": "127.0.0.1:9", **env})
    return found


def heavy(imported: list[str]) -> list[str]:
    return [name for name in imported if name.startswith(tuple(f"{m}." for m in LAZY))] + [
        name for name in imported if name in LAZY
    ]


def test_building_the_app_binds_the_services_and_imports_none_of_what_is_used_later() -> None:
    imported = worker_imports()
    # The capabilities' use cases and adapters: bound as the app is built.
    assert {"bootstrap.binding", "application.signin.sessions", "argon2"} <= set(imported)
    assert "interfaces.http.routes.accounts.accounts" in imported  # the routes registered
    assert "interfaces.web.accounts.account" in imported  # the pages too
    assert heavy(imported) == []


def test_metrics_import_prometheus_client_only_when_on() -> None:
    imported = worker_imports(METRICS_TOKEN="m" * 32)
    assert "prometheus_client" in imported and "infrastructure.metrics.prometheus" in imported
    assert "interfaces.shared.metrics" in imported  # the shell's part is always imported


def test_the_provider_is_served_without_its_server_until_its_first_request() -> None:
    imported = worker_imports(OAUTH_PROVIDER="true", OAUTH_DYNAMIC_REGISTRATION="true")
    assert "interfaces.provider.routes" in imported  # its routes are registered all the same
    assert heavy(imported) == []


def test_the_disposable_domains_are_imported_only_when_refused() -> None:
    assert "disposable_email_domains" in worker_imports(SIGNUP_BLOCK_DISPOSABLE="true")


def test_traces_import_opentelemetry_only_when_on() -> None:
    """With an OTLP endpoint the app is built with the SDK, the gRPC and requests
    instrumentations; without one (the test above) nothing of it."""
    imported = worker_imports(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9")
    assert "opentelemetry.sdk.trace" in imported
    assert "infrastructure.telemetry.server" in imported


# The look-alike table (domain/confusables.py, about 30 ms to read): read by the first
# username a worker makes (an account read, a sign-in by name), not by its start.
LOOK_ALIKE_TABLE = """
import json

import wsgi
from domain import confusables
from domain.accounts.credentials import Username

started = confusables._prototypes.cache_info().currsize
Username("zoe")
print(json.dumps([started, confusables._prototypes.cache_info().currsize]), flush=True)
"""


def test_building_the_app_reads_not_the_look_alike_table() -> None:
    found = in_a_worker(LOOK_ALIKE_TABLE, FIRESTORE_EMULATOR_HOST="127.0.0.1:9")
    assert found == [0, 1]


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


# A started worker answers /healthz and an authenticated GET /user; then the process's
# modules are listed.
SERVED = """
import json, sys

import wsgi

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
    """The worker's start binds every capability's use cases; the two requests import their own
    route modules and nothing of the provider's server, SCIM, SAML, the OpenAPI document or
    the command line. The token is signed with
    the worker's secret and names a session the stand-in of Firestore does not have: GET
    /user goes the whole authenticated path, its batch read included, to a 401
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
    assert len(reads) == 1  # GET /user's read of its account
    modules: list[str] = found["modules"]
    assert "bootstrap.binding" in modules  # the services were bound
    assert not_served(modules) == []
    # The read went over REST: the client library waits for its first use.
    assert [m for m in modules if m.startswith(("google.cloud", "google.api_core", "grpc"))] == []


# A started worker, then the first use of one stack: whether its module was imported before,
# what the use gave, whether it is imported after. Port 9: nothing listens there.
FIRST_USES = {
    "spectree": "wsgi.app.test_client().get('/openapi.json').status_code",
    "segno": "qr_svg('otpauth://totp/firegate:zoe?secret=JBSWY3DPEHPK3PXP')[:4]",
    "webauthn": "sorted(WebAuthnCeremonies(rp_id='localhost', rp_name='firegate')"
    ".authentication_options(challenge=bytes(32)))[:2]",
    "requests": "TurnstileChallenge(secret='s', hostname='h', url='http://127.0.0.1:9')"
    ".verify('t', action='login', remote_ip='')",
    "authlib.integrations": "unavailable(lambda: UpstreamClientOnFirstUse(upstream_client("
    "outbound(Settings()))).authorization(PROVIDER, 'secret', 'http://localhost/callback'))",
}
FIRST_USE = """
import json, sys
from datetime import UTC, datetime

import wsgi
from bootstrap.federation import upstream_client
from bootstrap.platform import outbound
from infrastructure.settings import Settings
from domain.errors import Unavailable
from domain.federation.upstream import UpstreamProvider
from infrastructure.accounts.challenge_providers import TurnstileChallenge
from bootstrap.federation_cloud import UpstreamClientOnFirstUse
from infrastructure.signin.webauthn_ceremonies import WebAuthnCeremonies
from interfaces.shared.qr import qr_svg

PROVIDER = UpstreamProvider(
    id="corp", name="Corp", preset="", issuer="http://127.0.0.1:9", client_id="c",
    sealed_secret="sealed", scope="openid email", created_at=datetime(2026, 1, 1, tzinfo=UTC),
)


def unavailable(call):
    try:
        call()
    except Unavailable:
        return "unavailable"
    return "answered"


before = sys.argv[1] in sys.modules
given = eval(sys.argv[2])
print(json.dumps([before, given, sys.argv[1] in sys.modules]), flush=True)
"""
SERVED_BY_FIRST_USE = {
    "spectree": 200,  # the document
    "segno": "<svg",
    "webauthn": ["allowCredentials", "challenge"],  # the options
    "requests": "unreachable",  # the verdict of an outage
    "authlib.integrations": "unavailable",  # the provider's discovery cannot be read
}


@pytest.mark.parametrize("module", sorted(FIRST_USES))
def test_a_stack_is_imported_by_its_first_use_and_serves_it(module: str) -> None:
    before, given, after = in_a_worker(
        FIRST_USE, module, FIRST_USES[module], FIRESTORE_EMULATOR_HOST="127.0.0.1:9"
    )
    assert (before, given, after) == (False, SERVED_BY_FIRST_USE[module], True)
