"""Whom the request limits count against, and over how many counters
(docs/decisions/0358-request-limits-by-client-over-spread-counters.md): a request that
authenticates a client (an OAuth client's secret, a refresh token's tag, an access token's
signature) counts against that client, not against everyone behind its address; and a key
whose limit lets it make more than about a request a second is spread over counters
(documents, in Firestore) that each take no more than about a write a second."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from bootstrap import build_app
from domain.request_limits import Limit, WindowCounts, counters_for, parse_limits
from interfaces.shared.limits import RequestLimiter
from tests.fakes.kernel import CountingRequestCounter
from tests.support.api import PASSWORD, bearer, register
from tests.support.app import fake_adapters, swap
from tests.support.oauth import OAuthWorld
from tests.support.settings import make_settings

pytestmark = pytest.mark.unit
NAT = {"REMOTE_ADDR": "198.51.100.7"}  # one address many people share: an office, a NAT


def test_a_key_is_spread_over_a_counter_for_each_request_a_second_its_limits_allow() -> None:
    assert counters_for(parse_limits("10/minute,100/hour")) == 1
    assert counters_for(parse_limits("60/minute,600/hour")) == 1
    assert counters_for(parse_limits("120/minute,1200/hour")) == 2
    assert counters_for(parse_limits("600/minute,6000/hour")) == 10
    assert counters_for(parse_limits("5/second")) == 5
    assert counters_for([]) == 1
    assert WindowCounts(2, 3).spread(10) == WindowCounts(20, 30)


def test_no_counter_of_a_busy_client_takes_more_than_a_write_a_second() -> None:
    counter = CountingRequestCounter()
    limiter = RequestLimiter({("POST", "/oauth/token"): "600/minute"}, counter, clock=lambda: 1e9)
    allowed = [
        standing.allowed
        for _ in range(1000)
        if (standing := limiter.hit("POST", "/oauth/token", "client:bff", "token")) is not None
    ]
    assert allowed == [True] * 600 + [False] * 400  # the limit, exactly, in one process
    assert len(counter.writes) == 10
    # A write a second of the minute, and the refused request's, at most.
    assert max(counter.writes.values()) <= 60 + 1
    assert sum(counter.writes.values()) == 601  # then refused without asking the store


def test_a_spread_key_is_never_laxer_than_its_limit() -> None:
    counter = CountingRequestCounter()
    limiter = RequestLimiter({("POST", "/oauth/token"): "125/minute"}, counter, clock=lambda: 1e9)
    standings = [limiter.hit("POST", "/oauth/token", "client:bff", "token") for _ in range(200)]
    allowed = sum(1 for s in standings if s is not None and s.allowed)
    assert 125 - counters_for([Limit(125, 60)]) < allowed <= 125


def fake_app_client(counter: CountingRequestCounter, **settings: Any) -> FlaskClient:
    app_settings = make_settings(**settings)
    adapters = swap(fake_adapters(app_settings), request_counter=counter)
    client: FlaskClient = build_app(app_settings, adapters).test_client()
    client.environ_base.update(NAT)
    return client


def test_many_people_refreshing_behind_one_address_each_count_apart() -> None:
    """1,000 refreshes of 50 people behind one address: none refused, and no counter took
    more than a write a second of the refresh limit's minute."""
    counter = CountingRequestCounter()
    client = fake_app_client(counter, rate_limit_refresh="60/minute,600/hour")
    tokens = []
    for n in range(50):
        register(client, f"user{n}")
        login = client.post("/login", json={"username": f"user{n}", "password": PASSWORD})
        tokens.append(login.get_json()["refresh_token"])
    counter.writes.clear()
    for _ in range(20):
        for n, token in enumerate(tokens):
            answer = client.post("/auth/refresh", json={"refresh_token": token})
            assert answer.status_code == 200, answer.get_json()
            tokens[n] = answer.get_json()["refresh_token"]
    assert sum(counter.writes.values()) == 1000
    assert max(counter.writes.values()) <= 60


def test_a_refresh_token_that_proves_no_session_counts_against_its_address() -> None:
    counter = CountingRequestCounter()
    client = fake_app_client(counter, rate_limit_refresh="3/minute")
    register(client, "alice")
    pair = client.post("/login", json={"username": "alice", "password": PASSWORD}).get_json()
    session, secret, generation, _tag, _account = pair["refresh_token"].split(".")
    forged = f"{session}.{secret}.{generation}.{'A' * 22}"  # a tag nobody issued
    for _ in range(3):
        assert client.post("/auth/refresh", json={"refresh_token": forged}).status_code == 401
    assert client.post("/auth/refresh", json={"refresh_token": forged}).status_code == 429
    # The address is spent; the session's own budget is not.
    fresh = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert fresh.status_code == 200


def test_a_signed_in_request_counts_against_its_account() -> None:
    counter = CountingRequestCounter()
    client = fake_app_client(counter, rate_limit_firebase="1/minute")
    headers = {}
    for name in ("alice", "bob"):
        register(client, name)
        headers[name] = bearer(
            client.post("/login", json={"username": name, "password": PASSWORD}).get_json()[
                "access_token"
            ]
        )
    path = "/auth/firebase/custom-token"
    assert client.post(path, headers=headers["alice"]).status_code == 200
    assert client.post(path, headers=headers["alice"]).status_code == 429
    assert client.post(path, headers=headers["bob"]).status_code == 200  # the same address
    anonymous = [client.post(path).status_code for _ in range(2)]
    assert anonymous == [401, 429]  # no account: the address's budget


def test_each_oauth_client_behind_one_address_has_its_own_budget() -> None:
    world = OAuthWorld(rate_limit_oauth_token="2/minute")
    world.client.environ_base.update(NAT)
    first = world.register("--confidential", name="A BFF")
    second = world.register("--confidential", name="Another BFF")
    grant = {"grant_type": "client_credentials"}
    assert [world.post_token(first, **grant).status_code for _ in range(3)] == [200, 200, 429]
    assert world.post_token(second, **grant).status_code == 200
    # A secret that does not check out proves no client: the address's budget.
    wrong = {**second, "client_secret": "not its secret"}
    assert [world.post_token(wrong, **grant).status_code for _ in range(3)] == [401, 401, 429]
    assert world.post_token(second, **grant).status_code == 200


def test_a_public_client_counts_apart_at_each_address() -> None:
    """Anyone may name a public client: its budget is its own at each address, so naming
    it elsewhere spends nothing of it here."""
    world = OAuthWorld(rate_limit_oauth_token="1/minute")
    app = world.register()  # public
    form = {"grant_type": "refresh_token", "refresh_token": "nothing"}
    elsewhere = {"REMOTE_ADDR": "203.0.113.9"}
    assert world.post_token(app, **form).status_code == 400
    assert world.post_token(app, **form).status_code == 429
    asked = world.client.post(
        "/oauth/token", data={"client_id": app["client_id"], **form}, environ_base=elsewhere
    )
    assert asked.status_code == 400
    other = world.register(name="Another app")
    assert world.post_token(other, **form).status_code == 400  # the same address
