"""DPoP (RFC 9449) end to end: gunicorn on the emulators, and clients nobody here wrote,
requests-oauth2client (PyPI) and panva's oauth4webapi (npm, tests/e2e/dpop_client.mjs); the
replay of one proof by thirty parallel token requests; each refusal a client meets
(docs/reference/oauth.md, "DPoP")."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jwt
import pytest
import requests
from requests_oauth2client import (
    BearerToken,
    DPoPKey,
    DPoPToken,
    InvalidGrant,
    OAuth2Client,
)

from domain.provider.dpop import thumbprint
from tests.support.dpop import DpopKey
from tests.support.served_oauth import (
    REDIRECT,
    account,
    code_by_forms,
    code_exchange,
    new_client,
    served_provider,
    signed_in_session,
)

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def provider(emulators: Any) -> Iterator[str]:
    """firegate with PUBLIC_URL its own address (the issuer, which every htu names)."""
    with served_provider("gunicorn-dpop.log") as found:
        yield found


def claims_of(access_token: str) -> dict[str, Any]:
    found: dict[str, Any] = jwt.decode(access_token, options={"verify_signature": False})
    return found


def fresh_code(provider: str, client_id: str) -> tuple[str, str]:
    return code_by_forms(provider, signed_in_session(provider, account(provider)), client_id)


def test_requests_oauth2client_signs_in_refreshes_and_reads_userinfo_with_dpop(
    provider: str,
) -> None:
    app = new_client()  # public: its refresh tokens are bound
    client = OAuth2Client.from_discovery_endpoint(
        issuer=provider, client_id=app["client_id"], testing=True
    )
    code, verifier = fresh_code(provider, app["client_id"])
    key = DPoPKey.generate()
    token = client.authorization_code(
        code, validate=False, redirect_uri=REDIRECT, code_verifier=verifier, dpop_key=key
    )
    assert isinstance(token, DPoPToken)
    jkt = claims_of(str(token.access_token))["cnf"]["jkt"]
    assert jkt == thumbprint(key.private_key.public_jwk())
    assert client.userinfo(token)["sub"]
    refreshed = client.refresh_token(token)  # the same key proves the refresh
    assert isinstance(refreshed, DPoPToken)
    assert claims_of(str(refreshed.access_token))["cnf"]["jkt"] == jkt
    assert client.userinfo(refreshed)["sub"]

    # the bound refresh token without its proof; the bound access token as a bearer token
    with pytest.raises(InvalidGrant):
        client.refresh_token(BearerToken("x", refresh_token=refreshed.refresh_token))
    answer = requests.get(
        f"{provider}/oauth/userinfo",
        headers={"Authorization": f"Bearer {refreshed.access_token}"},
        timeout=10,
    )
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith('DPoP error="invalid_token"')


def test_requests_oauth2client_meets_a_client_that_requires_dpop(provider: str) -> None:
    service = new_client("--confidential", "--dpop-required", "--scope", "roles")
    client = OAuth2Client.from_discovery_endpoint(
        issuer=provider,
        client_id=service["client_id"],
        client_secret=service["client_secret"],
        testing=True,
    )
    token = client.client_credentials(scope="roles", dpop=True)  # nonce asked, then sent
    assert isinstance(token, DPoPToken) and str(token.token_type).lower() == "dpop"
    answer = requests.post(
        f"{provider}/oauth/token",
        data={"grant_type": "client_credentials", **_credentials(service)},
        timeout=10,
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_dpop_proof"


def _credentials(client: dict[str, Any]) -> dict[str, str]:
    return {"client_id": client["client_id"], "client_secret": client["client_secret"]}


def test_oauth4webapi_signs_in_refreshes_and_reads_userinfo_with_dpop(provider: str) -> None:
    app = new_client("--dpop-required")  # so every proof needs the server's nonce too
    code, verifier = fresh_code(provider, app["client_id"])
    callback = f"{REDIRECT}?code={quote(code)}&iss={quote(provider, safe='')}"
    node = subprocess.run(
        ["node", str(ROOT / "tests/e2e/dpop_client.mjs"), provider, app["client_id"], REDIRECT,
         callback, verifier],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert node.returncode == 0, node.stdout + node.stderr
    found = json.loads(node.stdout.strip().splitlines()[-1])
    assert found["token_type"].lower() == found["refreshed_token_type"].lower() == "dpop"
    assert found["sub"] == found["id_token_sub"]
    assert found["nonce_retries"] >= 1  # use_dpop_nonce, then the retry the library makes
    jkt = thumbprint(found["jwk"])
    assert claims_of(found["access_token"])["cnf"] == {"jkt": jkt}
    # the node process's key is gone: its refresh token is of no use to another key
    answer = requests.post(
        f"{provider}/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": found["refresh_token"],
            "client_id": app["client_id"],
        },
        headers={"DPoP": DpopKey().proof(f"{provider}/oauth/token")},
        timeout=10,
    )
    assert answer.status_code == 400
    assert answer.json()["error"] in ("invalid_grant", "use_dpop_nonce")


def test_thirty_parallel_token_requests_with_one_proof_give_at_most_one_token(
    provider: str,
) -> None:
    service = new_client("--confidential", "--scope", "roles")
    proof = DpopKey().proof(f"{provider}/oauth/token")

    def ask(_: int) -> requests.Response:
        return requests.post(
            f"{provider}/oauth/token",
            data={"grant_type": "client_credentials", **_credentials(service)},
            headers={"DPoP": proof},
            timeout=30,
        )

    with ThreadPoolExecutor(max_workers=30) as pool:
        answers = list(pool.map(ask, range(30)))
    statuses = [answer.status_code for answer in answers]
    assert statuses.count(200) == 1, statuses
    refused = [answer.json()["error"] for answer in answers if answer.status_code != 200]
    assert set(refused) == {"invalid_dpop_proof"} and set(statuses) == {200, 400}


def test_refusals_a_client_meets(provider: str) -> None:
    app = new_client()
    key = DpopKey()
    token_url = f"{provider}/oauth/token"
    form = code_exchange(provider, app["client_id"])
    for proof in (
        key.proof(f"{provider}/oauth/revoke"),  # for another URL
        key.proof(token_url, "PUT"),  # for another method
        key.proof(token_url, iat=1_700_000_000),  # made long ago
    ):
        answer = requests.post(token_url, data=form, headers={"DPoP": proof}, timeout=10)
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_dpop_proof"
    proof = key.proof(token_url)
    tokens = requests.post(token_url, data=form, headers={"DPoP": proof}, timeout=10).json()
    assert tokens["token_type"] == "DPoP", tokens
    replayed = requests.post(
        token_url,
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
              "client_id": app["client_id"]},
        headers={"DPoP": proof},
        timeout=10,
    )  # fmt: skip
    assert replayed.status_code == 400 and replayed.json()["error"] == "invalid_dpop_proof"
    userinfo = f"{provider}/oauth/userinfo"
    access = tokens["access_token"]
    for headers in (
        {"Authorization": f"DPoP {access}"},  # without its proof
        {"Authorization": f"DPoP {access}",  # with another key's proof
         "DPoP": DpopKey().proof(userinfo, "GET", access_token=access)},
    ):  # fmt: skip
        answer = requests.get(userinfo, headers=headers, timeout=10)
        assert answer.status_code == 401
        challenge = answer.headers["WWW-Authenticate"]
        assert challenge.startswith('DPoP error="invalid_token"') and "algs=" in challenge
    proof = key.proof(userinfo, "GET", access_token=access)
    headers = {"Authorization": f"DPoP {access}", "DPoP": proof}
    assert requests.get(userinfo, headers=headers, timeout=10).status_code == 200
    again = requests.get(userinfo, headers=headers, timeout=10)
    assert again.status_code == 401
    assert again.headers["WWW-Authenticate"].startswith('DPoP error="invalid_dpop_proof"')


def test_thirty_parallel_userinfo_requests_with_one_proof_give_one_answer(provider: str) -> None:
    app = new_client()
    key = DpopKey()
    form = code_exchange(provider, app["client_id"])
    token_url, userinfo = f"{provider}/oauth/token", f"{provider}/oauth/userinfo"
    headers = {"DPoP": key.proof(token_url)}
    access = requests.post(token_url, data=form, headers=headers, timeout=10).json()["access_token"]
    headers = {
        "Authorization": f"DPoP {access}",
        "DPoP": key.proof(userinfo, "GET", access_token=access),
    }
    with ThreadPoolExecutor(max_workers=30) as pool:
        statuses = list(
            pool.map(
                lambda _: requests.get(userinfo, headers=headers, timeout=30).status_code, range(30)
            )
        )
    assert statuses.count(200) == 1 and set(statuses) == {200, 401}, statuses
