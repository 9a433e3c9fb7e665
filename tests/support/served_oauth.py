"""The OpenID provider of the served service, driven over HTTP as a browser and a client
would."""

from __future__ import annotations

import html
import json
import re
import secrets
import subprocess
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc.jwk import KeySet

from tests.support.api import PASSWORD
from tests.support.servers import cli, free_port, serving
from tests.support.settings import TEST_OIDC_KEY

E2E = Path(__file__).resolve().parents[1] / "e2e"
CALLBACK_PORT = 9  # nothing listens there: the browser's visit is caught (page.route)
REDIRECT = f"http://127.0.0.1:{CALLBACK_PORT}/callback"


def account(base: str) -> str:
    name = "u" + uuid.uuid4().hex[:10]
    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    assert requests.post(f"{base}/register", json=body, timeout=10).status_code == 201
    return name


def new_client(*options: str) -> dict[str, Any]:
    out = cli(["clients", "create", "--name", "Demo App", "--redirect-uri", REDIRECT, *options])
    found: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return found


def signed_in_session(base: str, username: str) -> requests.Session:
    """A browser's part without a browser: the sign-in page's form, with its CSRF token."""
    session = requests.Session()
    html = session.get(f"{base}/sign-in", timeout=10).text
    csrf = html.split('name="csrf_token" value="')[1].split('"')[0]
    form = {"username": username, "password": PASSWORD, "csrf_token": csrf}
    answer = session.post(f"{base}/sign-in", data=form, allow_redirects=False, timeout=10)
    assert answer.status_code == 303
    return session


def code_by_forms(
    base: str, browser: requests.Session, client_id: str, **extra: str
) -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid offline_access",
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
        **extra,
    }
    page = browser.get(f"{base}/oauth/authorize", params=params, allow_redirects=False, timeout=10)
    if page.status_code == 200:
        page = allow(browser, page)
    assert page.status_code == 302, page.text
    location = page.headers["Location"]
    code = dict(p.split("=", 1) for p in urlsplit(location).query.split("&"))["code"]
    return code, verifier


def allow(browser: requests.Session, page: requests.Response, **form: str) -> requests.Response:
    """ "Allow" on the consent page: its form's answer, posted where the form posts
    (``/oauth/authorize/consent``) with its CSRF token."""
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert action is not None, page.text
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    target = urljoin(page.url, html.unescape(action.group(1)))
    data = {"decision": "allow", "csrf_token": csrf, **form}
    return browser.post(target, data=data, allow_redirects=False, timeout=10)


def code_exchange(base: str, client_id: str, **extra: str) -> dict[str, str]:
    """The token request's form for a code a new account's browser got for ``client_id``
    (with ``extra`` authorization parameters, which the token request names again)."""
    browser = signed_in_session(base, account(base))
    code, verifier = code_by_forms(base, browser, client_id, **extra)
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": client_id,
        "code_verifier": verifier,
        **extra,
    }


def authlib_sign_in(
    base: str,
    app: dict[str, Any],
    scope: str,
    browser: requests.Session,
    consent: Callable[[str], requests.Response],
) -> tuple[OAuth2Session, dict[str, Any], KeySet]:
    """A confidential ``app``'s sign-in with Authlib, through ``browser`` (signed in already),
    ``consent`` answering the authorization URL: the app's session (its token fetched), the
    provider's metadata and its keys."""
    meta: dict[str, Any] = requests.get(
        f"{base}/.well-known/openid-configuration", timeout=10
    ).json()
    session = OAuth2Session(
        app["client_id"],
        app["client_secret"],
        scope=scope,
        redirect_uri=REDIRECT,
        code_challenge_method="S256",
    )
    verifier = secrets.token_urlsafe(48)
    url, _ = session.create_authorization_url(
        meta["authorization_endpoint"], code_verifier=verifier, nonce="n0nce"
    )
    answer = consent(url)
    assert answer.status_code == 302, answer.text
    session.fetch_token(
        meta["token_endpoint"],
        authorization_response=answer.headers["Location"],
        code_verifier=verifier,
    )
    keys = KeySet.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())
    return session, meta, keys


@contextmanager
def served_provider(log_name: str) -> Iterator[str]:
    """firegate under gunicorn with PUBLIC_URL its own address (the issuer)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with serving(log_name, PORT=str(port), PUBLIC_URL=url, OIDC_PRIVATE_KEY=TEST_OIDC_KEY) as found:
        yield found


def node_client(script: str, args: Sequence[str], browse: Callable[[str], str]) -> dict[str, Any]:
    """What a Node client of tests/e2e (``script``) found: it prints its authorization URL
    (``{"authorization_url"}``), ``browse`` follows it as the person's browser and answers
    where it was sent back, and its last line is what it found, as JSON."""
    command = ["node", str(E2E / script), *args]
    with subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as node:
        assert node.stdout is not None
        first = node.stdout.readline()
        if not first:
            node.kill()
            raise AssertionError(f"{script} made no authorization URL: " + node.communicate()[1])
        callback = browse(json.loads(first)["authorization_url"])
        out, err = node.communicate(callback + "\n", timeout=60)
    assert node.returncode == 0, out + err
    found: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return found
