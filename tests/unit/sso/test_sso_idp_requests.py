"""An org's OpenID client (Authlib's, with infrastructure/sso/idp_requests.py as its transport)
outside the local profile, on a fake pinned client that answers as the IdP would: each
request (discovery, the code's exchange, the keys, userinfo) goes only over https to a host
whose every address is public, to the very address checked, and a redirect, whatever a
discovery document says of the session, is not followed (docs/reference/sso.md, "Signing
in"). The same client against a real IdP, its deadline included, is in
tests/unit/sso/test_sso_oidc_fetches.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from application.federation.upstream import Authorization, UpstreamClaims
from bootstrap.sso import connection_client
from domain.errors import Conflict, Unavailable
from domain.federation.upstream import UpstreamProvider
from tests.fakes.events import FakePinnedClient
from tests.fakes.kernel import FakeHostResolver
from tests.support.oidc_idp import CLIENT_ID, CLIENT_SECRET, DISCOVERY, public_keys, signed_id_token

pytestmark = pytest.mark.unit

ISSUER = "https://idp.example.com"
PUBLIC = "93.184.215.14"
CALLBACK = "https://firegate.example.com/sso/c1/oidc/callback"
RESOLVED = {
    "idp.example.com": [PUBLIC],
    "keys.example.com": ["169.254.169.254"],  # a cloud's metadata service
    "inside.example.com": [PUBLIC, "10.1.2.3"],
}
PROVIDER = UpstreamProvider(
    id="sso-c1",
    name="Corp IdP",
    preset="",
    issuer=ISSUER,
    client_id=CLIENT_ID,
    sealed_secret="sealed",
    scope="openid email profile",
    created_at=datetime(2026, 1, 1, tzinfo=UTC),
)


def discovery(**endpoints: str) -> dict[str, Any]:
    return {
        "issuer": ISSUER,
        "authorization_endpoint": ISSUER + "/authorize",
        "token_endpoint": ISSUER + "/token",
        "jwks_uri": ISSUER + "/jwks",
        "userinfo_endpoint": ISSUER + "/userinfo",
        **endpoints,
    }


class Idp:
    """The client, and the fake pinned client answering for the IdP: discovery with
    ``endpoints`` changed, a token for the flight ``authorization()`` starts (an ID token
    without an address, so userinfo is read for it), the keys, userinfo."""

    def __init__(self, *, local: bool = False, **endpoints: Any) -> None:
        self.document = discovery(**endpoints)
        self.pinned = FakePinnedClient({("GET", ISSUER + DISCOVERY): self.document})
        self.client = connection_client(self.pinned, FakeHostResolver(RESOLVED), local=local)

    def authorization(self) -> Authorization:
        started = self.client.authorization(PROVIDER, CLIENT_SECRET, CALLBACK)
        now = int(datetime.now(UTC).timestamp())
        token = {"iss": ISSUER, "aud": CLIENT_ID, "sub": "gus", "iat": now, "exp": now + 300}
        answers = self.pinned.answers
        answers["POST", self.document["token_endpoint"]] = {
            "access_token": "at",
            "token_type": "Bearer",
            "id_token": signed_id_token({**token, "nonce": started.nonce}),
        }
        answers["GET", self.document["jwks_uri"]] = public_keys()
        answers["GET", self.document["userinfo_endpoint"]] = {"sub": "gus", "email": "gus@x.org"}
        return started

    def claims(self, started: Authorization) -> UpstreamClaims:
        answer = {"code": "c", "state": started.state}
        return self.client.claims(PROVIDER, CLIENT_SECRET, CALLBACK, answer, started)

    def urls(self) -> list[str]:
        return [asked.url for asked in self.pinned.asked]


def test_each_request_goes_to_the_address_its_host_was_checked_to_resolve_to() -> None:
    idp = Idp()
    claims = idp.claims(idp.authorization())
    assert (claims.subject, claims.email) == ("gus", "gus@x.org")
    assert idp.urls() == [
        ISSUER + DISCOVERY,
        ISSUER + "/token",
        ISSUER + "/jwks",
        ISSUER + "/userinfo",
    ]
    assert {asked.address for asked in idp.pinned.asked} == {PUBLIC}
    token = idp.pinned.asked[1]
    assert (token.method, token.headers["Authorization"][:6]) == ("POST", "Basic ")
    # The pinned client reads an answer as it comes: none is asked for compressed.
    assert not any("Accept-Encoding" in asked.headers for asked in idp.pinned.asked)


@pytest.mark.parametrize(
    ("endpoint", "url"),
    [
        ("token_endpoint", "https://10.0.0.5/token"),
        ("token_endpoint", "http://idp.example.com/token"),  # not https: the secret in clear
        ("jwks_uri", "https://keys.example.com/jwks"),
        ("jwks_uri", "https://[::1]/jwks"),
        ("userinfo_endpoint", "https://inside.example.com/userinfo"),
    ],
)
def test_an_address_that_is_not_public_is_never_called(endpoint: str, url: str) -> None:
    endpoints: dict[str, Any] = {endpoint: url}
    idp = Idp(**endpoints)
    started = idp.authorization()
    with pytest.raises(Conflict) as refused:
        idp.claims(started)
    assert refused.value.code == "idp_address_refused"
    assert url not in idp.urls()


def test_the_local_profile_calls_this_machine_at_its_own_address() -> None:
    idp = Idp(local=True, token_endpoint="http://127.0.0.1:9000/token")
    idp.claims(idp.authorization())
    assert "http://127.0.0.1:9000/token" in idp.urls()
    assert {asked.address for asked in idp.pinned.asked} == {None}  # resolved by the socket


@pytest.mark.parametrize("local", [False, True])
def test_a_redirect_is_not_followed_whatever_the_discovery_document_says(local: bool) -> None:
    # Authlib hands a discovery document's keys to its session as settings.
    idp = Idp(local=local, max_redirects=30, verify=False, proxies={"https": "http://10.0.0.9"})
    started = idp.authorization()
    idp.pinned.answers["POST", ISSUER + "/token"] = 307
    with pytest.raises(Conflict) as refused:
        idp.claims(started)
    assert refused.value.code == "idp_address_refused"
    assert idp.urls() == [ISSUER + DISCOVERY, ISSUER + "/token"]  # not elsewhere.example


def test_an_idp_without_an_answer_or_an_address_cannot_be_reached() -> None:
    idp = Idp()
    started = idp.authorization()
    del idp.pinned.answers["POST", ISSUER + "/token"]
    with pytest.raises(Unavailable):  # 503, Retry-After
        idp.claims(started)
    nowhere = Idp(token_endpoint="https://nowhere.example.com/token")
    with pytest.raises(Unavailable):
        nowhere.claims(nowhere.authorization())
    assert "https://nowhere.example.com/token" not in nowhere.urls()
