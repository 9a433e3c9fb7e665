"""Client metadata documents end to end (docs/agents-and-clis.md, "Agents with a client
metadata document"): firegate under gunicorn on the emulators, trusting a CA the test made
through SSL_CERT_FILE; the documents served over https by a local server whose certificate
that CA signed; the MCP Python SDK's own client running the whole flow with its client
metadata URL against an MCP server's protected resource; and each document that redirects,
is too big or is slow refused at every endpoint, fetched once per process however many
requests ask for it at once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
import requests
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import KeySet
from mcp.client.auth import OAuthClientProvider
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthToken,
)
from pydantic import AnyUrl

from tests.support.document_server import (
    DocumentServer,
    Served,
    TestCa,
    document_server,
    served_json,
)
from tests.support.event_loops import run_apart
from tests.support.local_servers import in_thread, send_json
from tests.support.served_oauth import REDIRECT, account, allow, signed_in_session
from tests.support.servers import free_port, serving
from tests.support.settings import TEST_OIDC_KEY

pytestmark = pytest.mark.e2e
WORKERS = 2  # gunicorn's: each process fetches a document at most once while it keeps it


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> TestCa:
    return TestCa(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def documents(ca: TestCa) -> Iterator[DocumentServer]:
    with document_server(ca) as server:
        yield server


@pytest.fixture(scope="module")
def provider(emulators: Any, ca: TestCa) -> Iterator[str]:
    """firegate trusting the test's CA (and only it) for outbound https."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with serving(
        "gunicorn-cimd.log",
        PORT=str(port),
        PUBLIC_URL=url,
        OIDC_PRIVATE_KEY=TEST_OIDC_KEY,
        SSL_CERT_FILE=ca.ca_file,
        WEB_CONCURRENCY=str(WORKERS),
    ) as found:
        yield found


def agent_document(url: str, **fields: object) -> dict[str, object]:
    return {
        "client_id": url,
        "client_name": "MCP Test Agent",
        "redirect_uris": [REDIRECT],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
        **fields,
    }


def publish(documents: DocumentServer, path: str, answer: Served | None = None) -> str:
    url = f"{documents.base}{path}"
    documents.paths[path] = answer or served_json(
        agent_document(url), ("Cache-Control", "max-age=600")
    )
    return url


# -- an MCP server's protected resource (RFC 9728), which firegate authorizes


class _Resource(ThreadingHTTPServer):
    daemon_threads = True
    base: str
    issuer: str
    bearers: list[str]


class _ResourceHandler(BaseHTTPRequestHandler):
    server: _Resource

    def _answer(self) -> None:
        meta = f"{self.server.base}/.well-known/oauth-protected-resource/mcp"
        if self.path == "/.well-known/oauth-protected-resource/mcp":
            send_json(
                self,
                200,
                {
                    "resource": f"{self.server.base}/mcp",
                    "authorization_servers": [self.server.issuer],
                    "scopes_supported": ["openid", "profile"],
                },
            )
            return
        if self.path != "/mcp":
            send_json(self, 404, {})
            return
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            self.send_response(401)
            self.send_header("WWW-Authenticate", f'Bearer resource_metadata="{meta}"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.server.bearers.append(auth.removeprefix("Bearer "))
        send_json(self, 200, {"ok": True})

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def log_message(self, *args: object) -> None:
        pass


class _Memory:
    """The SDK's token storage, in memory."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


def test_the_mcp_sdks_client_signs_in_with_its_client_metadata_url(
    provider: str, documents: DocumentServer
) -> None:
    client_url = publish(documents, "/mcp/client.json")
    resource = _Resource(("127.0.0.1", 0), _ResourceHandler)
    resource.base = f"http://127.0.0.1:{resource.server_address[1]}"
    resource.issuer, resource.bearers = provider, []
    browser = signed_in_session(provider, account(provider))
    consented: list[str] = []
    answers: list[AuthorizationCodeResult] = []

    async def redirect_handler(url: str) -> None:
        """The person's browser: the consent page, which names the verified host first."""
        page = browser.get(url, allow_redirects=False, timeout=10)
        assert page.status_code == 200, page.text
        consented.append(page.text)
        back = allow(browser, page)
        assert back.status_code == 302, back.text
        query = {k: v[0] for k, v in parse_qs(urlsplit(back.headers["Location"]).query).items()}
        answers.append(AuthorizationCodeResult(**query))

    async def callback_handler() -> AuthorizationCodeResult:
        return answers[-1]

    storage = _Memory()
    auth = OAuthClientProvider(
        server_url=f"{resource.base}/mcp",
        client_metadata=OAuthClientMetadata(
            redirect_uris=[AnyUrl(REDIRECT)],
            client_name="MCP Test Agent",
            grant_types=["authorization_code", "refresh_token"],
            token_endpoint_auth_method="none",
        ),
        storage=storage,
        redirect_handler=redirect_handler,
        callback_handler=callback_handler,
        client_metadata_url=client_url,
    )

    async def call() -> int:
        async with httpx2.AsyncClient(auth=auth, timeout=20) as http:
            answer = await http.post(f"{resource.base}/mcp", json={"jsonrpc": "2.0"})
            return answer.status_code

    with in_thread(resource):
        status = run_apart(call)
    assert status == 200
    assert storage.client is not None and storage.client.client_id == client_url  # no DCR
    page = consented[0]
    assert page.index("localhost") < page.index("MCP Test Agent")
    assert "It calls itself “MCP Test Agent”" in page
    assert len(resource.bearers) == 1
    keys = KeySet.import_key_set(
        requests.get(f"{provider}/.well-known/jwks.json", timeout=10).json()
    )
    claims = jwt.decode(resource.bearers[0], keys).claims
    assert claims["client_id"] == client_url
    assert claims["aud"] in (f"{resource.base}/mcp", [f"{resource.base}/mcp"])
    assert storage.tokens is not None and storage.tokens.refresh_token  # offline_access
    assert 1 <= documents.seen.paths("/mcp/client.json") <= WORKERS


def token_request(provider: str, client_id: str) -> requests.Response:
    return requests.post(
        f"{provider}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": client_id,
            "code": "nope",
            "redirect_uri": REDIRECT,
            "code_verifier": "v" * 43,
        },
        timeout=20,
    )


@pytest.mark.parametrize(
    ("path", "answer", "why"),
    [
        ("/moved.json", Served(b"", 302, (("Location", "/mcp/client.json"),)), "(redirect)"),
        ("/big.json", Served(b"{" + b" " * 6000 + b"}", 200), "larger than 5 KB"),
        ("/slow.json", Served(b"{}", 200, (), delay=5.0), "within 3 seconds"),
    ],
)
def test_a_document_that_redirects_is_too_big_or_slow_is_refused_everywhere(
    provider: str, documents: DocumentServer, path: str, answer: Served, why: str
) -> None:
    url = publish(documents, path, answer)
    refused = token_request(provider, url)
    assert refused.status_code in (400, 401), refused.text
    body = refused.json()
    assert body["error"] == "invalid_client" and why in body["error_description"]
    pushed = requests.post(
        f"{provider}/oauth/par",
        data={"client_id": url, "response_type": "code", "redirect_uri": REDIRECT},
        timeout=20,
    )
    assert pushed.json()["error"] == "invalid_client"
    params = {
        "response_type": "code",
        "client_id": url,
        "redirect_uri": REDIRECT,
        "code_challenge": create_s256_code_challenge("v" * 43),
        "code_challenge_method": "S256",
    }
    page = requests.get(
        f"{provider}/oauth/authorize", params=params, allow_redirects=False, timeout=20
    )
    assert page.status_code == 400 and "Location" not in page.headers  # never redirected
    assert documents.seen.paths("/mcp/client.json") <= WORKERS  # no redirect followed


def test_thirty_requests_at_once_for_a_new_document_fetch_it_once_per_process(
    provider: str, documents: DocumentServer
) -> None:
    url = publish(
        documents,
        "/race/client.json",
        Served(
            json.dumps(agent_document(f"{documents.base}/race/client.json")).encode(),
            200,
            (("Content-Type", "application/json"),),
            delay=0.5,
        ),
    )
    with ThreadPoolExecutor(30) as pool:
        answers = list(pool.map(lambda _: token_request(provider, url), range(30)))
    # a known client now, whose code is no good: invalid_grant, never a 500
    assert {a.status_code for a in answers} == {400}
    assert {a.json()["error"] for a in answers} == {"invalid_grant"}
    assert 1 <= documents.seen.paths("/race/client.json") <= WORKERS


def test_a_document_with_another_client_id_is_refused(
    provider: str, documents: DocumentServer
) -> None:
    url = publish(
        documents,
        "/liar.json",
        served_json(agent_document(f"{documents.base}/someone-else.json")),
    )
    refused = token_request(provider, url)
    assert refused.json()["error"] == "invalid_client"
    assert "not the URL" in refused.json()["error_description"]
