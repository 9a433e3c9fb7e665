"""A relying party nobody here wrote, panva's ``openid-client`` (npm; tests/e2e/
openid_client_logout.mjs), signs a person in to firegate under gunicorn on the emulators, then
signs them out with RP-initiated logout; its back-channel endpoint gets firegate's logout
token and verifies it with ``jose`` against firegate's JWKS and issuer
(docs/reference/oauth.md, "Back-channel logout")."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.served_oauth import REDIRECT, account, allow, new_client, signed_in_session
from tests.support.servers import free_port, serving
from tests.support.settings import TEST_OIDC_KEY

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]
ROOT = Path(__file__).resolve().parents[2]
LOGOUT_REDIRECT = REDIRECT.replace("/callback", "/signed-out")


@pytest.fixture(scope="module")
def provider(emulators: Any) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with serving(
        "gunicorn-openid-client-logout.log",
        PORT=str(port),
        PUBLIC_URL=url,
        OIDC_PRIVATE_KEY=TEST_OIDC_KEY,
    ) as found:
        yield found


def test_openid_client_signs_in_out_and_verifies_the_logout_token(provider: str) -> None:
    port = free_port()
    app = new_client(
        "--confidential",
        "--post-logout-redirect-uri",
        LOGOUT_REDIRECT,
        "--backchannel-logout-uri",
        f"http://127.0.0.1:{port}/backchannel",
        "--backchannel-logout-session-required",
    )
    browser = signed_in_session(provider, account(provider))
    script = str(ROOT / "tests/e2e/openid_client_logout.mjs")
    command = ["node", script, provider, app["client_id"], app["client_secret"]]
    command += [REDIRECT, LOGOUT_REDIRECT, str(port)]
    with subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as node:
        assert node.stdin is not None and node.stdout is not None

        def step(answer: str) -> None:
            assert node.stdin is not None
            node.stdin.write(answer + "\n")
            node.stdin.flush()

        def said(key: str) -> str:
            assert node.stdout is not None
            line = node.stdout.readline()
            if not line:
                node.kill()
                raise AssertionError("openid-client stopped: " + node.communicate()[1])
            found: str = json.loads(line)[key]
            return found

        page = browser.get(said("authorization_url"), allow_redirects=False, timeout=10)
        if page.status_code == 200:
            page = allow(browser, page)
        assert page.status_code == 302, page.text
        step(page.headers["Location"])
        ended = browser.get(said("end_session_url"), allow_redirects=False, timeout=10)
        assert ended.status_code == 302, ended.text
        step(ended.headers["Location"])
        out, err = node.communicate(timeout=60)
    assert node.returncode == 0, out + err
    found: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    assert found["post_logout_redirect"] == LOGOUT_REDIRECT and found["state_kept"]
    assert found["content_type"] == "application/x-www-form-urlencoded"
    assert found["params"] == ["logout_token"]
    assert found["logout_header"]["typ"] == "logout+jwt"
    claims, id_token = found["logout_claims"], found["id_token_claims"]
    assert claims["aud"] == app["client_id"] and claims["iss"] == provider
    assert claims["sub"] == id_token["sub"] and claims["sid"] == id_token["sid"]
    # signed out: the account page sends the browser to sign in
    assert browser.get(f"{provider}/account", allow_redirects=False, timeout=10).status_code == 303
