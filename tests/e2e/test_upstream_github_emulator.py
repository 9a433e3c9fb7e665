"""Continue with GitHub through a local stand-in of GitHub's OAuth and e-mails API (GitHub
cannot run here): gunicorn on the emulators, the ``github`` preset pointed at the stand-in by
its own ``--issuer`` (the GitHub Enterprise Server form: the API under ``/api/v3``), no
test-only seam. The stand-in speaks the shapes firegate reads (docs/reference/providers.md):
``/login/oauth/authorize`` sends the browser back with a code, ``/login/oauth/access_token``
exchanges it (client secret and PKCE verifier checked, once), ``GET /api/v3/user`` and
``GET /api/v3/user/emails`` answer for the bearer of the token.

GitHub gives no ID token: the account is ``/user``'s numeric id, the address the primary one
of ``/user/emails``, verified as it says; an unverified primary links nothing (rule 5 of
docs/reference/identities.md)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from tests.support import mailbox
from tests.support.api import PASSWORD, bearer
from tests.support.local_servers import in_thread, send_json
from tests.support.servers import free_port, serving

pytestmark = pytest.mark.e2e
CLIENT_ID, CLIENT_SECRET = "Ov23liStandIn", "github-stand-in-secret"


class GitHubStandIn(BaseHTTPRequestHandler):
    """A local stand-in of GitHub's OAuth endpoints and user APIs, for one person at a time
    (``person`` and ``emails``, set by the test)."""

    person: ClassVar[dict[str, Any]] = {}
    emails: ClassVar[list[dict[str, Any]]] = []
    codes: ClassVar[dict[str, tuple[str, str, str]]] = {}  # code -> challenge, redirect, person
    tokens: ClassVar[dict[str, tuple[dict[str, Any], list[dict[str, Any]]]]] = {}
    lock = threading.Lock()

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path == "/login/oauth/authorize":
            self._authorize(query)
        elif parts.path in ("/api/v3/user", "/api/v3/user/emails"):
            found = self.tokens.get(self.headers.get("Authorization", "").partition(" ")[2])
            if found is None:
                self._json(401, {"message": "Bad credentials"})
            else:
                self._json(200, found[0] if parts.path.endswith("/user") else found[1])
        else:
            self._json(404, {"message": "Not Found"})

    def _authorize(self, query: dict[str, str]) -> None:
        """The person approves at once: back to the redirect URI with a code and the state."""
        if query.get("client_id") != CLIENT_ID or query.get("code_challenge_method") != "S256":
            self._json(400, {"error": "bad authorize request", "query": query})
            return
        code = secrets.token_hex(10)
        with self.lock:
            person = json.dumps([self.person, self.emails])
            self.codes[code] = (query["code_challenge"], query["redirect_uri"], person)
        back = query["redirect_uri"] + "?" + urlencode({"code": code, "state": query["state"]})
        self.send_response(302)
        self.send_header("Location", back)
        self.end_headers()

    def do_POST(self) -> None:
        if urlsplit(self.path).path != "/login/oauth/access_token":
            self._json(404, {"message": "Not Found"})
            return
        length = int(self.headers.get("Content-Length", "0"))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        client_id, secret = form.get("client_id"), form.get("client_secret")
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        with self.lock:
            challenge, redirect, person = self.codes.pop(form.get("code", ""), ("", "", ""))
        verifier = form.get("code_verifier", "")
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if (
            (client_id, secret) != (CLIENT_ID, CLIENT_SECRET)
            or not challenge
            or digest.rstrip(b"=").decode() != challenge
            or form.get("redirect_uri") != redirect
        ):
            self._json(200, {"error": "bad_verification_code"})  # GitHub refuses with a 200
            return
        token = "gho_" + secrets.token_hex(16)
        profile, emails = json.loads(person)
        with self.lock:
            self.tokens[token] = (profile, emails)
        self._json(200, {"access_token": token, "token_type": "bearer", "scope": "user:email"})

    def _json(self, status: int, body: object) -> None:
        send_json(self, status, body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def github() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), GitHubStandIn)
    with in_thread(server):
        yield f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(scope="module")
def firegate(emulators: Any, github: str) -> Iterator[str]:
    port = free_port()
    provider = {
        "id": "github",
        "preset": "github",
        "issuer": github,  # as for GitHub Enterprise Server
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    with serving(
        "gunicorn-upstream-github.log",
        PORT=str(port),
        PUBLIC_URL=f"http://127.0.0.1:{port}",
        UPSTREAM_PROVIDERS=json.dumps([provider]),
    ) as url:
        yield url


def github_user(login: str, address: str, *, verified: bool) -> None:
    """The person at the stand-in: ``address`` their primary address, ``verified`` or not
    (a verified secondary one beside it, which firegate must not take)."""
    GitHubStandIn.person = {
        "id": int.from_bytes(secrets.token_bytes(4), "big"),
        "login": login,
        "name": f"{login.title()} Cat",
    }
    GitHubStandIn.emails = [
        {"email": f"{login}@users.example", "primary": False, "verified": True},
        {"email": address, "primary": True, "verified": verified},
    ]


def continue_with_github(
    firegate: str, browser: requests.Session | None = None
) -> requests.Response:
    """A browser's round trip (a new one unless given): firegate, the stand-in's authorize,
    back to the callback; the callback's answer (not followed)."""
    browser = browser or requests.Session()
    left = browser.get(firegate + "/sign-in/with/github", allow_redirects=False, timeout=10)
    assert left.status_code == 303, left.text
    assert "scope=read%3Auser+user%3Aemail" in left.headers["Location"]
    at_github = browser.get(left.headers["Location"], allow_redirects=False, timeout=10)
    assert at_github.status_code == 302, at_github.text
    return browser.get(at_github.headers["Location"], allow_redirects=False, timeout=30)


def access_token(answer: requests.Response) -> str:
    """The session cookie's access token (the cookie holds ``access~refresh``)."""
    session = answer.cookies.get("firegate_session")
    assert session, f"not signed in: {answer.status_code} {answer.headers}"
    return session.partition("~")[0]


def user(firegate: str, token: str) -> dict[str, Any]:
    found: dict[str, Any] = requests.get(
        firegate + "/user", headers=bearer(token), timeout=10
    ).json()
    return found


def linked(firegate: str, token: str) -> list[dict[str, Any]]:
    answer = requests.get(firegate + "/auth/identities", headers=bearer(token), timeout=10)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def test_a_verified_primary_address_makes_an_account_and_signs_in(firegate: str) -> None:
    login = "octo" + secrets.token_hex(3)
    github_user(login, f"{login}@example.com", verified=True)
    answer = continue_with_github(firegate)
    assert answer.status_code == 303 and answer.headers["Location"] == "/account"
    me = user(firegate, access_token(answer))
    # Its username GitHub's login (preferred_username), its address the primary one, verified
    # as GitHub said; GitHub's name is a whole name alone, kept whole (docs/decisions/
    # 0460-a-whole-name-alone-stays-whole.md), so no given or family name.
    assert me["username"] == login and me["name"] is None and me["last_name"] is None
    assert me["email"] == f"{login}@example.com"
    assert me["email_verified"] is True
    (link,) = linked(firegate, access_token(answer))
    assert link["provider"] == "github" and link["subject"] == str(GitHubStandIn.person["id"])
    # The same GitHub account again signs in to the same account (rule 1).
    again = continue_with_github(firegate)
    assert user(firegate, access_token(again))["id"] == me["id"]


def test_an_unverified_primary_address_links_nothing(firegate: str) -> None:
    login = "mona" + secrets.token_hex(3)
    holder = {"username": login, "email": f"{login}@example.com", "password": PASSWORD}
    assert requests.post(firegate + "/register", json=holder, timeout=30).status_code == 201
    # Somebody else's GitHub account, whose primary address is the holder's, unverified.
    github_user("squat" + secrets.token_hex(3), holder["email"], verified=False)
    answer = continue_with_github(firegate)
    assert "firegate_session" not in answer.cookies  # nobody is signed in
    assert answer.headers.get("Location") != "/account"
    signed_in = requests.post(
        firegate + "/login", json={"username": login, "password": PASSWORD}, timeout=30
    )
    assert linked(firegate, signed_in.json()["access_token"]) == []  # nothing linked to it
    # An unverified address nobody holds makes an account whose address is not proven.
    fresh = "mona" + secrets.token_hex(3)
    github_user(fresh, f"{fresh}@example.com", verified=False)
    me = user(firegate, access_token(continue_with_github(firegate)))
    assert me["email"] == f"{fresh}@example.com" and me["email_verified"] is False


def verification_mail(address: str) -> dict[str, Any]:
    (mail,) = mailbox.wait_for(address)
    return mail


def test_the_first_proof_of_the_address_takes_a_non_verifying_providers_account(
    firegate: str,
) -> None:
    """Mallory's GitHub account claims Vera's address unverified: an account is made (rule 5)
    and Vera gets its verification mail, which names GitHub. Vera opens it, signed in
    nowhere: the account is hers, and Mallory's GitHub no longer signs in to it, nor do her
    sessions work, then or after Vera's password reset."""
    vera = "vera" + secrets.token_hex(3) + "@example.com"
    github_user("mallory" + secrets.token_hex(3), vera, verified=False)
    squatting = continue_with_github(firegate)
    mallory_token = access_token(squatting)
    squatted = user(firegate, mallory_token)
    assert squatted["email"] == vera and squatted["email_verified"] is False

    mail = verification_mail(vera)
    assert "This account was made by signing in with GitHub." in " ".join(mail["text"].split())
    verified = requests.post(
        firegate + "/auth/email/verify", json={"token": mailbox.token_in(mail)}, timeout=30
    )
    assert verified.status_code == 200, verified.text
    assert verified.json()["id"] == squatted["id"] and verified.json()["email_verified"]

    # Mallory's session ended with the claim, and her GitHub account signs in no more.
    gone = requests.get(firegate + "/user", headers=bearer(mallory_token), timeout=10)
    assert gone.status_code == 401
    again = continue_with_github(firegate)
    assert "firegate_session" not in again.cookies, again.headers  # rule 3: sign in to it

    # Vera chooses a password through the reset mail: still no GitHub link on the account.
    forgot = requests.post(firegate + "/auth/password/forgot", json={"email": vera}, timeout=30)
    assert forgot.status_code == 202
    reset = mailbox.wait_for(vera, 2)[1]
    done = requests.post(
        firegate + "/auth/password/reset",
        json={"token": mailbox.token_in(reset), "new_password": PASSWORD + "!"},
        timeout=30,
    )
    assert done.status_code in (200, 204), done.text
    signed_in = requests.post(
        firegate + "/login", json={"username": vera, "password": PASSWORD + "!"}, timeout=30
    )
    assert signed_in.status_code == 200, signed_in.text
    assert linked(firegate, signed_in.json()["access_token"]) == []
    assert "firegate_session" not in continue_with_github(firegate).cookies


def test_opened_where_the_provider_signed_in_the_link_stays(firegate: str) -> None:
    """Ada's own GitHub account, whose address GitHub did not verify: she opens the
    verification link in the browser that signed in with GitHub, and keeps her GitHub
    sign-in, her session and her account."""
    login = "ada" + secrets.token_hex(3)
    ada = login + "@example.com"
    github_user(login, ada, verified=False)
    browser = requests.Session()
    token = access_token(continue_with_github(firegate, browser))
    link = mailbox.link_in(verification_mail(ada))
    form = browser.get(link, timeout=10).text
    csrf = form.split('name="csrf_token" value="')[1].split('"')[0]
    token_field = mailbox.token_in(verification_mail(ada))
    page = browser.post(
        firegate + "/verify-email", data={"token": token_field, "csrf_token": csrf}, timeout=30
    )
    assert page.status_code == 200, page.text
    assert "Go to your account" in page.text
    me = user(firegate, token)
    assert me["email"] == ada and me["email_verified"] is True
    assert [item["provider"] for item in linked(firegate, token)] == ["github"]
    again = continue_with_github(firegate)
    assert user(firegate, access_token(again))["id"] == me["id"]
