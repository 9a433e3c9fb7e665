"""The guide's ID-JAG in plain HTTP (docs/agents-and-clis.md, "An agent's ID-JAG, in plain
HTTP") works against firegate under gunicorn on the emulators, over http as locally: its
Python, run as written with the agent's credentials put in, mints an ID-JAG from a person's
ID token and redeems it at firegate for an access token for that person and resource. A
token library that reads the answer as an access token cannot: its ``token_type`` is
``N_A``."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import KeySet
from requests_oauth2client import OAuth2Client
from requests_oauth2client.exceptions import InvalidTokenResponse, UnsupportedTokenTypeError

from tests.support.api import PASSWORD
from tests.support.served_oauth import account, allow, served_provider, signed_in_session
from tests.support.servers import cli

pytestmark = pytest.mark.e2e
GUIDE = Path(__file__).resolve().parents[3] / "docs" / "agents-and-clis.md"
TESTED = re.compile(
    r"<!-- run by tests/e2e/agents/test_id_jag_guide_gunicorn\.py -->\n```python\n(.*?)\n```", re.S
)
CHAT = "https://chat.example.com/api"  # firegate is its authorization server
AGENT_REDIRECT = "https://agent.example.com/callback"  # the host the org's policy names


@pytest.fixture(scope="module")
def provider(emulators: Any) -> Iterator[str]:
    with served_provider("gunicorn-id-jag-guide.log") as found:
        yield found


def org_naming_the_agent(provider: str, username: str) -> str:
    """An org of ``username``'s whose policy names the agent's host, in which their roles
    carry the resource's scope: its slug."""
    token = requests.post(
        f"{provider}/login", json={"username": username, "password": PASSWORD}, timeout=10
    ).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    user_id = requests.get(f"{provider}/user", headers=auth, timeout=10).json()["id"]
    slug = f"o{username[1:]}"
    calls = [
        ("POST", "/orgs", {"slug": slug, "name": "Acme"}),
        (
            "PUT",
            f"/orgs/{slug}/agent-policy",
            {"mode": "allow_list", "hosts": ["agent.example.com"]},
        ),
        ("PUT", f"/orgs/{slug}/roles/chat", {"description": "Chat", "permissions": ["chat.read"]}),
        ("PATCH", f"/orgs/{slug}/members/{user_id}", {"roles": ["owner", "chat"]}),
    ]
    for method, path, body in calls:
        done = requests.request(method, provider + path, json=body, headers=auth, timeout=10)
        assert done.status_code in (200, 201), (path, done.text)
    return slug


def id_token_of(provider: str, agent: dict[str, Any], username: str, org: str) -> str:
    """The person's ID token for the agent, signed in with ``openid organization`` in
    ``org``, by the pages' forms."""
    browser = signed_in_session(provider, username)
    verifier = secrets.token_urlsafe(48)
    params = {
        "response_type": "code",
        "client_id": agent["client_id"],
        "redirect_uri": AGENT_REDIRECT,
        "scope": "openid organization",
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    page = browser.get(f"{provider}/oauth/authorize", params=params, timeout=10)
    assert page.status_code == 200, page.text
    back = allow(browser, page, organization=org)
    assert back.status_code == 302, back.text
    code = parse_qs(urlsplit(back.headers["Location"]).query)["code"][0]
    tokens = requests.post(
        f"{provider}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": AGENT_REDIRECT,
            "code_verifier": verifier,
        },
        auth=(agent["client_id"], agent["client_secret"]),
        timeout=10,
    )
    assert tokens.status_code == 200, tokens.text
    found: str = tokens.json()["id_token"]
    return found


def test_the_guides_plain_http_mints_and_redeems_an_id_jag(provider: str) -> None:
    cli(["resources", "add", CHAT, "--scope", "chat.read", "--description", "chat.read", "Read"])
    agent = json_line(
        cli(
            [
                *("clients", "create", "--name", "Chat agent", "--confidential"),
                *("--redirect-uri", AGENT_REDIRECT, "--grant", "token_exchange"),
                *("--grant", "jwt_bearer", "--resource", CHAT, "--resource-scope", "chat.read"),
            ]
        )
    )
    username = account(provider)
    id_token = id_token_of(provider, agent, username, org_naming_the_agent(provider, username))

    (code,) = TESTED.findall(GUIDE.read_text(encoding="utf-8"))
    guide: dict[str, Any] = {}
    exec(compile(code, str(GUIDE), "exec"), guide)  # noqa: S102 - the guide's own code
    guide["ISSUER"], guide["AGENT"] = provider, (agent["client_id"], agent["client_secret"])
    id_jag = guide["id_jag_for"](id_token, CHAT, provider, "chat.read")
    access_token = guide["access_token_for"](id_jag, provider)

    keys = KeySet.import_key_set(
        requests.get(f"{provider}/.well-known/jwks.json", timeout=10).json()
    )
    grant = jwt.decode(id_jag, keys)
    assert grant.header["typ"] == "oauth-id-jag+jwt"
    claims = jwt.decode(access_token, keys).claims
    assert claims["sub"] == grant.claims["sub"] and claims["aud"] == CHAT
    assert claims["scope"] == "chat.read" and claims["client_id"] == agent["client_id"]
    with pytest.raises(requests.HTTPError):  # each ID-JAG is redeemed once
        guide["access_token_for"](id_jag, provider)

    # What the guide says of a token library, locally: http only with testing=True, and
    # then the answer is not an access token it can read.
    library = OAuth2Client(
        token_endpoint=f"{provider}/oauth/token",
        auth=(agent["client_id"], agent["client_secret"]),
        testing=True,
    )
    with pytest.raises(InvalidTokenResponse) as unread:
        library.token_exchange(
            subject_token=id_token,
            subject_token_type="urn:ietf:params:oauth:token-type:id_token",
            requested_token_type="urn:ietf:params:oauth:token-type:id-jag",
            audience=provider,
            resource=CHAT,
            scope="chat.read",
        )
    causes: list[BaseException] = []
    cause: BaseException | None = unread.value
    while cause is not None and len(causes) < 10:
        causes.append(cause)
        cause = cause.__cause__ or cause.__context__
    assert any(isinstance(found, UnsupportedTokenTypeError) for found in causes), causes


def json_line(output: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return found
