"""An org's agent policy governs an MCP client known by its client metadata document, end to
end (docs/customers-govern-agents.md, "Agents with a client metadata document"): firegate
under gunicorn on the emulators in the local profile, the document served over https from
``localhost`` by a server whose certificate a CA of the test signed (``SSL_CERT_FILE``), an
MCP server that asks for scope ``organization``, and the MCP Python SDK's own client. The
person picks their org on the consent page: an org whose policy is ``none`` stops the agent
there, and the SDK's client ends with ``access_denied`` and firegate's reason, never a
JSON-RPC internal error; an allow list naming ``localhost`` lets it call a tool."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx2
import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet
from mcp import Client
from mcp.client.auth import OAuthClientProvider, OAuthFlowError
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata
from pydantic import AnyUrl

from tests.support.api import PASSWORD
from tests.support.document_server import DocumentServer, TestCa, document_server, served_json
from tests.support.event_loops import run_apart
from tests.support.mcp_server import MemoryTokens, mcp_server
from tests.support.served_oauth import REDIRECT, account, allow, signed_in_session
from tests.support.servers import free_port, serving
from tests.support.settings import TEST_OIDC_KEY

pytestmark = pytest.mark.e2e
AGENT_PATH = "/agents/mcp-client.json"


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> TestCa:
    return TestCa(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def documents(ca: TestCa) -> Iterator[DocumentServer]:
    with document_server(ca) as server:
        url = f"{server.base}{AGENT_PATH}"
        server.paths[AGENT_PATH] = served_json(
            {
                "client_id": url,
                "client_name": "Desk Agent",
                "redirect_uris": [REDIRECT],
                "grant_types": ["authorization_code", "refresh_token"],
                "token_endpoint_auth_method": "none",
            },
            ("Cache-Control", "max-age=600"),
        )
        yield server


@pytest.fixture(scope="module")
def provider(emulators: Any, ca: TestCa) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with serving(
        "gunicorn-document-agents.log",
        PORT=str(port),
        PUBLIC_URL=url,
        OIDC_PRIVATE_KEY=TEST_OIDC_KEY,
        SSL_CERT_FILE=ca.ca_file,
    ) as found:
        yield found


def owner_of_an_org(provider: str, mode: str, hosts: list[str]) -> str:
    """A new person who owns a new org whose agent policy is ``mode`` with ``hosts``: their
    username."""
    username = account(provider)
    token = requests.post(
        f"{provider}/login", json={"username": username, "password": PASSWORD}, timeout=10
    ).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    slug = f"o{username[1:]}"
    made = requests.post(
        f"{provider}/orgs", json={"slug": slug, "name": "Acme"}, headers=auth, timeout=10
    )
    assert made.status_code == 201, made.text
    put = requests.put(
        f"{provider}/orgs/{slug}/agent-policy",
        json={"mode": mode, "hosts": hosts},
        headers=auth,
        timeout=10,
    )
    assert put.status_code == 200, put.text
    return username


def agent_run(provider: str, documents: DocumentServer, username: str) -> tuple[Any, list[str]]:
    """The MCP SDK's client, known by its metadata document, calls the MCP server's tool for
    ``username``, who picks their org on the consent page and follows what firegate answers:
    the tool's answer (or the exception the client ended with), and the pages seen."""
    browser = signed_in_session(provider, username)
    pages: list[str] = []
    answers: list[dict[str, str]] = []

    async def redirect_handler(url: str) -> None:
        page = browser.get(url, allow_redirects=False, timeout=10)
        assert page.status_code == 200, page.text
        pages.append(page.text)
        org = re.search(r'name="organization" value="([^"]+)"', page.text)
        assert org is not None, page.text  # the org is offered to the agent
        back = allow(browser, page, organization=org.group(1))
        if back.status_code == 403:  # the org's refusal: the person follows its link back
            pages.append(back.text)
            link = re.search(r'<a href="([^"]+)">Back to', back.text)
            assert link is not None, back.text
            location = urljoin(provider, unescape(link.group(1)))
        else:
            assert back.status_code == 302, back.text
            location = back.headers["Location"]
        answers.append({k: v[0] for k, v in parse_qs(urlsplit(location).query).items()})

    async def callback_handler() -> AuthorizationCodeResult:
        """The app's callback, as an app writes it: an error the server sent back is
        raised with its description."""
        query = answers[-1]
        if "error" in query:
            raise OAuthFlowError(f"{query['error']}: {query.get('error_description', '')}")
        return AuthorizationCodeResult(code=query["code"], state=query["state"], iss=query["iss"])

    storage = MemoryTokens()

    async def run(url: str) -> Any:
        auth = OAuthClientProvider(
            server_url=url,
            client_metadata=OAuthClientMetadata(
                redirect_uris=[AnyUrl(REDIRECT)],
                grant_types=["authorization_code", "refresh_token"],
                token_endpoint_auth_method="none",
            ),
            storage=storage,
            redirect_handler=redirect_handler,
            callback_handler=callback_handler,
            client_metadata_url=f"{documents.base}{AGENT_PATH}",
        )
        try:
            async with (
                httpx2.AsyncClient(auth=auth, timeout=30) as http,
                Client(streamable_http_client(url, http_client=http)) as client,
            ):
                result = await client.call_tool("whoami", {})
                return (str(result.content[0].text), storage.tokens)  # type: ignore[union-attr]
        except Exception as ended:  # what the client ends with is the outcome
            return ended

    with mcp_server(provider, scopes=("openid", "organization")) as url:
        return run_apart(run, url), pages


def messages(error: BaseException) -> str:
    """Every message an exception carries, its group's and causes' among them."""
    found = [str(error)]
    for inner in getattr(error, "exceptions", ()):
        found.append(messages(inner))
    if error.__cause__ is not None:
        found.append(messages(error.__cause__))
    return " | ".join(found)


def test_an_org_whose_policy_is_none_stops_the_mcp_sdks_document_agent(
    provider: str, documents: DocumentServer
) -> None:
    username = owner_of_an_org(provider, "none", [])
    ended, pages = agent_run(provider, documents, username)
    assert isinstance(ended, BaseException), ended
    said = messages(ended)
    assert "access_denied" in said and "does not allow this app" in said, said
    assert "-32603" not in said and "Internal error" not in said, said
    assert "Acme does not allow localhost to act for its members." in pages[-1]


def test_an_allow_list_naming_localhost_lets_the_document_agent_act_in_the_org(
    provider: str, documents: DocumentServer
) -> None:
    username = owner_of_an_org(provider, "allow_list", ["localhost"])
    answered, _ = agent_run(provider, documents, username)
    assert not isinstance(answered, BaseException), messages(answered)
    subject, tokens = answered
    keys = KeySet.import_key_set(
        requests.get(f"{provider}/.well-known/jwks.json", timeout=10).json()
    )
    claims = jwt.decode(tokens.access_token, keys).claims
    assert claims["sub"] == subject and claims["client_id"].endswith(AGENT_PATH)
    assert "organization" in claims["scope"].split() and claims["org_slug"].startswith("o")
