"""The report, end to end: authorization requests naming client metadata documents whose
https server drips a byte at a time, against firegate under gunicorn on the emulators
(trusting the server's CA through SSL_CERT_FILE). Each fetch is cut at its 3 s, so the
service answers everyone else meanwhile (docs/security.md, "Outbound calls"); and one
client address past RATE_LIMIT_OAUTH_CLIENT_DOCUMENTS is answered 429 at once, never a 5xx
(docs/security.md, "Client metadata documents")."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from tests.support.dripping_tls import DrippingServer, after_request, dripping_server
from tests.support.served_oauth import REDIRECT
from tests.support.servers import serving
from tests.support.settings import TEST_OIDC_KEY

pytestmark = pytest.mark.e2e

ASKED = 40  # the report's
# A generous bound on a shared machine: 40 fetches of 3 s on 16 threads take about 9 s; a
# fetch that lasts its server's whole drip (20 s) takes a minute.
ANSWERED_WITHIN = 30.0


@pytest.fixture(scope="module")
def dripping(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DrippingServer]:
    body = after_request(b"HTTP/1.1 200 OK\r\nContent-Length: 300\r\n\r\n", b"{" + b" " * 299)
    with dripping_server(tmp_path_factory.mktemp("drip"), body, host="localhost") as server:
        yield server


@pytest.fixture(scope="module")
def provider(emulators: Any, dripping: DrippingServer) -> Iterator[str]:
    """firegate trusting the dripping server's CA, with the default bound per address, and
    the address X-Forwarded-For names (one proxy hop), so that each test chooses its own."""
    with serving(
        "gunicorn-cimd-drip.log",
        OIDC_PRIVATE_KEY=TEST_OIDC_KEY,
        SSL_CERT_FILE=dripping.ca_file,
        WEB_CONCURRENCY="2",
        TRUSTED_PROXY_HOPS="1",
        RATE_LIMIT_OAUTH_CLIENT_DOCUMENTS="20/minute,200/hour",
    ) as found:
        yield found


def authorize(provider: str, client_id: str, address: str) -> requests.Response:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "code_challenge": create_s256_code_challenge("v" * 43),
        "code_challenge_method": "S256",
    }
    return requests.get(
        f"{provider}/oauth/authorize",
        params=params,
        headers={"X-Forwarded-For": address},
        allow_redirects=False,
        timeout=120,
    )


def test_documents_that_drip_do_not_stall_the_service(
    provider: str, dripping: DrippingServer
) -> None:
    with ThreadPoolExecutor(ASKED) as pool:
        began = time.monotonic()
        asked = [
            pool.submit(authorize, provider, dripping.url(f"/a/{n}.json"), f"198.51.100.{n + 1}")
            for n in range(ASKED)
        ]
        time.sleep(0.5)  # the 40 are in: each holds a thread while its fetch lasts
        page = requests.get(f"{provider}/sign-in", timeout=120)
        sign_in_took = time.monotonic() - began
        statuses = [found.result().status_code for found in asked]
        all_took = time.monotonic() - began
    assert page.status_code == 200
    assert statuses == [400] * ASKED  # each document refused: no whole answer in 3 s
    assert sign_in_took < ANSWERED_WITHIN, f"/sign-in answered after {sign_in_took:.0f} s"
    assert all_took < ANSWERED_WITHIN, f"the 40 answered after {all_took:.0f} s"


def test_one_address_past_the_bound_is_answered_429_at_once(
    provider: str, dripping: DrippingServer
) -> None:
    """Thirty requests at once from one address, each naming a new document: at most the
    bound's 20 are fetched (and refused, 400), the others 429 with Retry-After; none 5xx."""
    with ThreadPoolExecutor(30) as pool:
        answers = list(
            pool.map(
                lambda n: authorize(provider, dripping.url(f"/b/{n}.json"), "203.0.113.77"),
                range(30),
            )
        )
    statuses = sorted(found.status_code for found in answers)
    assert set(statuses) <= {400, 429}, statuses
    assert 1 <= statuses.count(400) <= 20 and statuses.count(429) >= 10, statuses
    assert all(
        int(found.headers["Retry-After"]) >= 1 for found in answers if found.status_code == 429
    )
