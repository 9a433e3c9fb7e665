"""Sessions and roles over HTTP on the Firestore emulator: rotation, replay, logout, roles."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bootstrap import build_adapters
from tests.support.api import PASSWORD, bearer, register
from tests.support.app import app_on
from tests.support.settings import make_settings

pytestmark = pytest.mark.e2e


@pytest.fixture
def app(firestore: Any) -> Flask:
    # A 1-second grace window keeps the replay test short; production allows up to 10 s.
    settings = make_settings(refresh_grace_seconds=1)
    return app_on(settings, build_adapters(settings, firestore=firestore))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def login_pair(client: FlaskClient, username: str = "alice") -> dict[str, Any]:
    response = client.post("/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200
    pair: dict[str, Any] = response.get_json()
    return pair


def refresh(client: FlaskClient, token: str) -> Any:
    return client.post("/auth/refresh", json={"refresh_token": token})


def test_rotation_gives_new_pair_and_spends_old(client: FlaskClient) -> None:
    register(client)
    first = login_pair(client)
    second = refresh(client, first["refresh_token"])
    assert second.status_code == 200
    body = second.get_json()
    assert body["refresh_token"] != first["refresh_token"]
    assert body["access_token"] != first["access_token"]
    assert client.get("/user", headers=bearer(body["access_token"])).status_code == 200


def test_replay_after_grace_kills_the_newest_tokens(client: FlaskClient) -> None:
    register(client)
    first = login_pair(client)
    newest = refresh(client, first["refresh_token"]).get_json()
    time.sleep(2.2)  # times are whole seconds: > 1 s past the spend, whatever the rounding
    replay = refresh(client, first["refresh_token"])
    assert replay.status_code == 401
    assert replay.get_json()["code"] == "refresh_token_reused"
    assert client.get("/user", headers=bearer(newest["access_token"])).status_code == 401
    assert refresh(client, newest["refresh_token"]).status_code == 401


def test_thirty_parallel_refreshes_share_one_successor_and_one_chain(app: Flask) -> None:
    client = app.test_client()
    register(client)
    first = login_pair(client)
    start = threading.Barrier(30)

    def one(_: int) -> Any:
        own = app.test_client()
        start.wait()
        return refresh(own, first["refresh_token"])

    with ThreadPoolExecutor(max_workers=30) as pool:
        results = list(pool.map(one, range(30)))
    statuses = [response.status_code for response in results]
    assert statuses == [200] * 30, statuses  # definite answers: none waited out a lock
    successors = {response.get_json()["refresh_token"] for response in results}
    assert len(successors) == 1  # every caller got the same successor: no fork
    for response in results:  # whichever answer the client keeps, it goes on working
        pair = response.get_json()
        assert client.get("/user", headers=bearer(pair["access_token"])).status_code == 200
    # Exactly one live chain: the successor rotates on, and the spent token, presented
    # again once the chain has moved, is a replay that ends the session.
    (successor,) = successors
    after = refresh(client, successor)
    assert after.status_code == 200
    assert refresh(client, first["refresh_token"]).get_json()["code"] == "refresh_token_reused"
    assert refresh(client, after.get_json()["refresh_token"]).status_code == 401


def test_a_replay_inside_the_window_gets_the_same_successor(client: FlaskClient) -> None:
    register(client)
    first = login_pair(client)
    owner = refresh(client, first["refresh_token"]).get_json()
    thief = refresh(client, first["refresh_token"]).get_json()
    assert thief["refresh_token"] == owner["refresh_token"]
    time.sleep(2.2)  # past the 1-second window: now the same token is a replay
    assert refresh(client, first["refresh_token"]).get_json()["code"] == "refresh_token_reused"
    assert refresh(client, owner["refresh_token"]).status_code == 401


def test_a_token_spent_seventy_rotations_ago_ends_the_session(client: FlaskClient) -> None:
    register(client)
    first = login_pair(client)
    pair = first
    for _ in range(70):  # more than the spent hashes a session keeps
        response = refresh(client, pair["refresh_token"])
        assert response.status_code == 200
        pair = response.get_json()
    forged = pair["refresh_token"].split(".")[0] + "." + "A" * 43
    assert refresh(client, forged).get_json()["code"] == "invalid_refresh_token"
    assert client.get("/user", headers=bearer(pair["access_token"])).status_code == 200
    assert refresh(client, first["refresh_token"]).get_json()["code"] == "refresh_token_reused"
    assert client.get("/user", headers=bearer(pair["access_token"])).status_code == 401
    assert refresh(client, pair["refresh_token"]).status_code == 401


def test_logout_and_ending_a_session_take_effect_at_once(client: FlaskClient) -> None:
    register(client)
    a, b, c = login_pair(client), login_pair(client), login_pair(client)
    assert client.post("/auth/logout", headers=bearer(a["access_token"])).status_code == 204
    assert client.get("/user", headers=bearer(a["access_token"])).status_code == 401
    assert refresh(client, a["refresh_token"]).status_code == 401

    sessions = client.get("/auth/sessions", headers=bearer(b["access_token"])).get_json()
    assert len(sessions["items"]) == 2 and sessions["next_cursor"] is None
    other = next(s for s in sessions["items"] if not s["current"])
    ended = client.delete(f"/auth/sessions/{other['id']}", headers=bearer(b["access_token"]))
    assert ended.status_code == 204
    assert client.get("/user", headers=bearer(c["access_token"])).status_code == 401
    assert refresh(client, c["refresh_token"]).status_code == 401

    d = login_pair(client)
    everywhere = client.post("/auth/logout?all=true", headers=bearer(d["access_token"]))
    assert everywhere.status_code == 204
    for pair in (b, d):
        assert client.get("/user", headers=bearer(pair["access_token"])).status_code == 401
        assert refresh(client, pair["refresh_token"]).status_code == 401


def test_other_users_session_is_404(client: FlaskClient) -> None:
    register(client, "alice")
    register(client, "mallory")
    alice, mallory = login_pair(client, "alice"), login_pair(client, "mallory")
    sid = client.get("/auth/whoami", headers=bearer(alice["access_token"])).get_json()["session_id"]
    response = client.delete(f"/auth/sessions/{sid}", headers=bearer(mallory["access_token"]))
    assert response.status_code == 404
    assert client.get("/user", headers=bearer(alice["access_token"])).status_code == 200


def test_whoami_and_renew(client: FlaskClient) -> None:
    user = register(client)
    pair = login_pair(client)
    who = client.get("/auth/whoami", headers=bearer(pair["access_token"])).get_json()
    assert who["user_id"] == user["id"] and who["username"] == "alice"
    assert who["role"] == "user" and who["session_id"] and who["expires_at"].endswith("Z")
    assert who["amr"] == ["pwd"]  # RFC 8176, kept by the session
    renewed = client.post("/auth/renew", headers=bearer(pair["access_token"]))
    assert renewed.status_code == 200
    body = renewed.get_json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    again = client.get("/auth/whoami", headers=bearer(body["access_token"])).get_json()
    assert again["session_id"] == who["session_id"]


def make_admin(app: Flask, username: str) -> None:
    result = app.test_cli_runner().invoke(args=["users", "set-role", username, "admin"])
    assert result.exit_code == 0, result.output
    assert "is now admin" in result.output


def test_roles_and_administration(app: Flask, client: FlaskClient) -> None:
    alice = register(client, "alice")
    bob = register(client, "bob")
    make_admin(app, "alice")
    admin = bearer(login_pair(client, "alice")["access_token"])
    user = bearer(login_pair(client, "bob")["access_token"])

    listed = client.get("/users", headers=user).get_json()
    assert {tuple(sorted(i)) for i in listed["items"]} >= {("id", "username")}
    assert any(set(i) > {"id", "username"} for i in listed["items"])  # bob sees himself fully
    full = client.get("/users", headers=admin).get_json()["items"]
    assert all("email" in i and "disabled" in i for i in full)
    assert client.get(f"/users/{alice['id']}", headers=user).get_json() == {
        "id": alice["id"],
        "username": "alice",
    }
    assert client.get("/users/nope", headers=user).status_code == 404

    assert (
        client.patch(f"/users/{alice['id']}", json={"role": "user"}, headers=user).status_code
        == 403
    )
    promoted = client.patch(f"/users/{bob['id']}", json={"role": "uploader"}, headers=admin)
    assert promoted.status_code == 200 and promoted.get_json()["role"] == "uploader"
    assert client.get("/auth/whoami", headers=user).get_json()["role"] == "uploader"
    assert (
        client.patch(f"/users/{bob['id']}", json={"role": "root"}, headers=admin).status_code == 422
    )

    # A demoted admin is refused on the very next request.
    assert (
        client.patch(f"/users/{alice['id']}", json={"role": "user"}, headers=admin).status_code
        == 200
    )
    assert (
        client.patch(f"/users/{bob['id']}", json={"disabled": True}, headers=admin).status_code
        == 403
    )

    make_admin(app, "alice")
    disabled = client.patch(f"/users/{bob['id']}", json={"disabled": True}, headers=admin)
    assert disabled.status_code == 200 and disabled.get_json()["disabled"] is True
    assert client.get("/user", headers=user).status_code == 401  # its sessions have ended
    assert client.delete(f"/users/{bob['id']}", headers=admin).status_code == 204
    assert client.get(f"/users/{bob['id']}", headers=admin).status_code == 404
    register(client, "bob")  # the name is free again


def test_user_pagination_visits_everyone_once(client: FlaskClient) -> None:
    for i in range(7):
        register(client, f"user{i}")
    token = bearer(login_pair(client, "user0")["access_token"])
    seen: list[str] = []
    cursor = None
    while True:
        url = "/users?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=token).get_json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 7
    bad = client.get("/users?cursor=garbage", headers=token)
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["code"] == "invalid_cursor"
    assert client.get("/users?limit=101", headers=token).status_code == 422


def test_cli_list_and_disable(app: Flask, client: FlaskClient) -> None:
    register(client, "alice")
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["users", "list"])
    assert listed.exit_code == 0 and "alice" in listed.output
    assert runner.invoke(args=["users", "disable", "alice"]).exit_code == 0
    assert (
        client.post("/login", json={"username": "alice", "password": PASSWORD}).status_code == 403
    )
    assert runner.invoke(args=["users", "disable", "alice", "--enable"]).exit_code == 0
    login_pair(client)
    missing = runner.invoke(args=["users", "set-role", "ghost", "admin"])
    assert missing.exit_code != 0 and "No such user" in missing.output


def test_jwks_with_hs256_holds_only_the_providers_public_keys(client: FlaskClient) -> None:
    """HS256 access tokens publish nothing (their secret is symmetric); the JWKS holds the
    OpenID Connect provider's public keys alone: its access tokens' EC key and its ID
    tokens' RSA key (docs/reference/oauth.md)."""
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    keys = response.get_json()["keys"]
    assert [(k["kty"], k["alg"], k["use"]) for k in keys] == [
        ("EC", "ES256", "sig"),
        ("RSA", "RS256", "sig"),
    ]
    assert all("d" not in k and "k" not in k for k in keys)  # nothing private, no secret


def test_disabling_ends_every_session_for_good(app: Flask, client: FlaskClient) -> None:
    """Enabling an account again brings back none of its old tokens (a thief's included)."""
    register(client, "admin")
    make_admin(app, "admin")
    admin = bearer(login_pair(client, "admin")["access_token"])
    bob = register(client, "bob")
    pair = login_pair(client, "bob")
    old = bearer(pair["access_token"])
    for disabled in (True, False):
        answer = client.patch(f"/users/{bob['id']}", json={"disabled": disabled}, headers=admin)
        assert answer.status_code == 200 and answer.get_json()["disabled"] is disabled
    assert client.get("/user", headers=old).status_code == 401
    refreshed = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refreshed.status_code == 401
    fresh = bearer(login_pair(client, "bob")["access_token"])
    assert client.get("/user", headers=fresh).status_code == 200
    # The command line ends them too, and says so.
    pair = login_pair(client, "bob")
    runner = app.test_cli_runner()
    ended = runner.invoke(args=["users", "disable", "bob"])
    assert ended.exit_code == 0 and "every session" in ended.output
    assert runner.invoke(args=["users", "disable", "bob", "--enable"]).exit_code == 0
    assert client.get("/user", headers=bearer(pair["access_token"])).status_code == 401
    refreshed = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refreshed.status_code == 401
