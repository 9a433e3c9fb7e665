"""WebAuthn's Signal API (docs/reference/passkeys.md, "Signals"), on the fakes: what
GET /auth/passkeys/accepted answers an app, the unknown passkey a sign-in tells apart, and the
data the account pages hand their script (static/passkey-signals.js). The browser's side is
tests/e2e/test_passkey_signals_browser.py."""

from __future__ import annotations

import html as markup
import re

import pytest
from flask.testing import FlaskClient

from tests.support.api import assert_problem, bearer, login, register
from tests.support.pages import csrf
from tests.support.passkey_authenticator import Passkey as SoftPasskey
from tests.support.passkey_authenticator import b64url, enrol
from tests.support.passkey_pages import ACCOUNT, SECURITY, Pages, pages, sign_up

pytestmark = pytest.mark.unit
ACCEPTED = "/auth/passkeys/accepted"


@pytest.fixture
def world() -> Pages:
    return pages()


def user_handle(client: FlaskClient, token: str) -> str:
    """The user handle the registration options give the holder of ``token``."""
    options = client.post("/auth/passkeys/registration/options", headers=bearer(token))
    assert options.status_code == 200, options.get_json()
    handle: str = options.get_json()["user"]["id"]
    return handle


def with_passkeys(client: FlaskClient, name: str, count: int) -> tuple[str, list[SoftPasskey]]:
    register(client, name)
    token = login(client, name)
    keys = [SoftPasskey() for _ in range(count)]
    for key in keys:
        enrol(client, token, key)
    return token, keys


# -- GET /auth/passkeys/accepted


def test_the_caller_gets_its_credential_ids_for_its_own_handle(world: Pages) -> None:
    c = world.client
    token, keys = with_passkeys(c, "alice", 2)
    handle = user_handle(c, token)
    answer = c.get(ACCEPTED, query_string={"user_handle": handle}, headers=bearer(token))
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == {
        "rp_id": "localhost",
        "user_handle": handle,
        # the ids the browser's credentials have, not the passkeys' ids in the list
        "credential_ids": [b64url(key.credential_id) for key in keys],
    }
    listed = c.get("/auth/passkeys", headers=bearer(token)).get_json()["items"]
    c.delete(f"/auth/passkeys/{listed[0]['id']}", headers=bearer(token))
    after = c.get(ACCEPTED, query_string={"user_handle": handle}, headers=bearer(token))
    assert after.get_json()["credential_ids"] == [b64url(keys[1].credential_id)]


def test_an_account_without_passkeys_accepts_none(world: Pages) -> None:
    c = world.client
    register(c, "carol")
    token = login(c, "carol")
    handle = user_handle(c, token)
    answer = c.get(ACCEPTED, query_string={"user_handle": handle}, headers=bearer(token))
    assert answer.status_code == 200 and answer.get_json()["credential_ids"] == []


@pytest.mark.parametrize("whose", ["another account's", "nobody's"])
def test_a_handle_not_the_callers_is_forbidden(world: Pages, whose: str) -> None:
    c = world.client
    alice, _ = with_passkeys(c, "alice", 1)
    bob, _ = with_passkeys(c, "bob", 1)
    handle = user_handle(c, bob) if whose == "another account's" else b64url(b"nobody")
    answer = c.get(ACCEPTED, query_string={"user_handle": handle}, headers=bearer(alice))
    body = assert_problem(answer, 403, "forbidden")
    assert "credential_ids" not in body


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"user_handle": ""},
        {"user_handle": "abc+/"},  # base64, not base64url
        {"user_handle": "YWJj="},  # padded
        {"user_handle": "abcde"},  # no base64 is 4n + 1 long
        {"user_handle": "A" * 87},  # longer than 64 bytes
        {"user_handle": "YWJj", "other": "x"},
    ],
    ids=["missing", "empty", "base64", "padded", "impossible-length", "too-long", "unknown-field"],
)
def test_a_malformed_or_missing_handle_is_a_field_error(
    world: Pages, query: dict[str, str]
) -> None:
    c = world.client
    token, _ = with_passkeys(c, "alice", 1)
    answer = c.get(ACCEPTED, query_string=query, headers=bearer(token))
    body = assert_problem(answer, 422, "validation_failed")
    fields = {error["field"] for error in body["errors"]}
    assert fields == ({"other"} if "other" in query else {"user_handle"})


def test_a_repeated_handle_is_refused(world: Pages) -> None:
    c = world.client
    token, _ = with_passkeys(c, "alice", 1)
    handle = user_handle(c, token)
    answer = c.get(f"{ACCEPTED}?user_handle={handle}&user_handle={handle}", headers=bearer(token))
    assert_problem(answer, 400, "repeated_field")


def test_the_accepted_list_needs_a_bearer_token(world: Pages) -> None:
    c = world.client
    token, _ = with_passkeys(c, "alice", 1)
    handle = user_handle(c, token)
    answer = c.get(ACCEPTED, query_string={"user_handle": handle})
    assert answer.status_code == 401
    assert answer.mimetype == "application/problem+json"


def test_accepted_names_no_passkey_to_delete(world: Pages) -> None:
    c = world.client
    token, _ = with_passkeys(c, "alice", 1)
    assert c.delete(ACCEPTED, headers=bearer(token)).status_code == 405


# -- the unknown passkey a sign-in tells apart


def test_a_deleted_passkey_is_unknown_and_a_bad_signature_is_not(world: Pages) -> None:
    c = world.client
    token, (key,) = with_passkeys(c, "alice", 1)
    options = c.post("/auth/passkeys/authentication/options").get_json()
    forged = key.sign_in(options)
    other = SoftPasskey()
    other.cred_init("localhost", b"someone")
    forged["response"]["signature"] = other.sign_in(
        c.post("/auth/passkeys/authentication/options").get_json()
    )["response"]["signature"]
    assert_problem(c.post("/auth/passkeys/authentication", json=forged), 401, "invalid_passkey")

    listed = c.get("/auth/passkeys", headers=bearer(token)).get_json()["items"]
    assert c.delete(f"/auth/passkeys/{listed[0]['id']}", headers=bearer(token)).status_code == 204
    options = c.post("/auth/passkeys/authentication/options").get_json()
    refused = c.post("/auth/passkeys/authentication", json=key.sign_in(options))
    assert_problem(refused, 401, "unknown_passkey")


def test_a_credential_never_registered_is_unknown(world: Pages) -> None:
    c = world.client
    stranger = SoftPasskey()
    stranger.cred_init("localhost", b"stranger")
    options = c.post("/auth/passkeys/authentication/options").get_json()
    refused = c.post("/auth/passkeys/authentication", json=stranger.sign_in(options))
    assert_problem(refused, 401, "unknown_passkey")


# -- what the pages hand their script


def signals_box(page: str) -> dict[str, str] | None:
    """The data attributes of the page's #passkey-signals, None without one."""
    found = re.search(r'<div id="passkey-signals" hidden ([^>]*)></div>', page)
    if found is None:
        return None
    return {
        name: markup.unescape(value)
        for name, value in re.findall(r'data-([a-z-]+)="([^"]*)"', found.group(1))
    }


def page_with_passkeys(world: Pages, count: int) -> list[SoftPasskey]:
    """Signed up on the pages, with ``count`` passkeys added there."""
    sign_up(world.client)
    keys = []
    for _ in range(count):
        key = SoftPasskey()
        token = csrf(world.client, ACCOUNT)
        headers = {"Accept": "application/json", "X-CSRF-Token": token}
        options = world.client.post("/account/passkeys/options", json={}, headers=headers)
        made = world.client.post(
            "/account/passkeys", json=key.register(options.get_json()), headers=headers
        )
        assert made.status_code == 201, made.get_json()
        keys.append(key)
    return keys


def the_handle(world: Pages) -> str:
    (user,) = world.store.users.values()
    return b64url(user.id.encode())


def test_a_deleted_passkey_leads_to_a_page_with_the_remaining_ids(world: Pages) -> None:
    c = world.client
    kept, dropped = page_with_passkeys(world, 2)
    assert signals_box(c.get(SECURITY).get_data(as_text=True)) is None  # nothing done
    gone = next(
        p for p in world.passkeys.passkeys.values() if p.credential_id == dropped.credential_id
    )
    answer = c.post(f"/account/passkeys/{gone.id}/delete", data={"csrf_token": csrf(c, ACCOUNT)})
    assert answer.headers["Location"] == SECURITY + "?done=passkey-deleted"
    page = c.get(answer.headers["Location"]).get_data(as_text=True)
    assert signals_box(page) == {
        "signal": "accepted",
        "rp-id": "localhost",
        "user-id": the_handle(world),
        "accepted": b64url(kept.credential_id),
        "name": "alice",
        "display-name": "alice",
    }
    assert '<script src="/static/pages/passkey-signals.js" defer></script>' in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)  # no inline script


def test_a_saved_profile_leads_to_a_page_with_the_accounts_names(world: Pages) -> None:
    c = world.client
    (key,) = page_with_passkeys(world, 1)
    assert signals_box(c.get(ACCOUNT).get_data(as_text=True)) is None
    form = {
        "username": "alicia",
        "email": "alice@example.com",
        "name": "Alice",
        "csrf_token": csrf(c, ACCOUNT),
    }
    answer = c.post("/account/profile", data=form)
    assert answer.headers["Location"] == ACCOUNT + "?done=profile"
    box = signals_box(c.get(answer.headers["Location"]).get_data(as_text=True))
    assert box is not None
    assert (box["signal"], box["user-id"], box["name"], box["display-name"]) == (
        "details",
        the_handle(world),
        "alicia",
        "alicia",
    )
    assert box["accepted"] == b64url(key.credential_id)


def test_a_refused_profile_signals_nothing(world: Pages) -> None:
    c = world.client
    page_with_passkeys(world, 1)
    form = {"username": "x", "email": "alice@example.com", "csrf_token": csrf(c, ACCOUNT)}
    refused = c.post("/account/profile", data=form, query_string={"done": "profile"})
    assert refused.status_code in (400, 422)
    assert signals_box(refused.get_data(as_text=True)) is None


def test_other_confirmations_and_signed_out_pages_signal_nothing(world: Pages) -> None:
    c = world.client
    page_with_passkeys(world, 1)
    assert signals_box(c.get(SECURITY + "?done=passkey-renamed").get_data(as_text=True)) is None
    assert signals_box(c.get(ACCOUNT + "?done=language").get_data(as_text=True)) is None
    stranger = world.browser()
    assert signals_box(stranger.get("/sign-in?done=profile").get_data(as_text=True)) is None


def test_the_sign_in_page_names_the_rp_id_for_the_unknown_passkey_signal(world: Pages) -> None:
    page = world.client.get("/sign-in").get_data(as_text=True)
    assert re.search(r'<div id="passkey-sign-in" hidden [^>]*data-rp-id="localhost"', page)
