"""Per-address request limits (memory storage) and the failed-login throttle
over HTTP, with the client address taken only from the trusted proxy hops."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from flask import Flask, Response
from flask.testing import FlaskClient
from limits.storage import MemoryStorage, RedisStorage
from pydantic import ValidationError

from application.ports import Audit
from infrastructure.settings import Settings
from interfaces.http.limits import EXTENSION, Breach, RequestLimiter
from tests.conftest import PASSWORD, make_settings, register
from tests.fakes import RecordingAuditLog

pytestmark = pytest.mark.unit
PROXY = "10.0.0.1"  # the load balancer in front of the service (TRUSTED_PROXY_HOPS=1)


def with_settings(**changes: Any) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("app_settings", [changes], indirect=True)


@pytest.fixture
def app_settings(request: pytest.FixtureRequest) -> Settings:
    return make_settings(**getattr(request, "param", {}))


def assert_429(response: Any, code: str) -> int:
    assert response.status_code == 429, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == 429 and body["code"] == code
    assert response.headers["X-Request-ID"]
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    return retry_after


def new_user(n: int) -> dict[str, str]:
    return {"username": f"user{n}", "email": f"user{n}@example.com", "password": PASSWORD}


@with_settings(rate_limit_register="2/minute")
def test_register_is_limited_per_address(client: FlaskClient) -> None:
    assert client.post("/register", json=new_user(1)).status_code == 201
    assert client.post("/register", json=new_user(2)).status_code == 201
    assert_429(client.post("/register", json=new_user(3)), "rate_limited")
    # With no trusted proxy, a forged X-Forwarded-For changes nothing...
    forged = {"X-Forwarded-For": "198.51.100.99"}
    assert_429(client.post("/register", json=new_user(3), headers=forged), "rate_limited")
    # ...while another address has its own budget.
    other = client.post("/register", json=new_user(3), environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert other.status_code == 201


@with_settings(rate_limit_login="3/minute", trusted_proxy_hops=1)
def test_limits_key_on_the_address_the_trusted_proxy_saw(client: FlaskClient) -> None:
    body = {"username": "nobody", "password": "wrong password!"}

    def post(forwarded_for: str) -> Any:
        return client.post(
            "/login",
            json=body,
            headers={"X-Forwarded-For": forwarded_for},
            environ_base={"REMOTE_ADDR": PROXY},
        )

    for _ in range(3):
        assert post("203.0.113.5").status_code == 401
    assert_429(post("203.0.113.5"), "rate_limited")
    # The client may prepend anything; only the hop the proxy appended counts.
    assert_429(post("1.2.3.4, 203.0.113.5"), "rate_limited")
    assert post("203.0.113.5, 198.51.100.7").status_code == 401


@with_settings(rate_limit_register="1/minute", rate_limit_login="2/minute")
def test_each_route_has_its_own_budget(client: FlaskClient) -> None:
    register(client, "alice")
    assert_429(client.post("/register", json=new_user(2)), "rate_limited")
    body = {"username": "alice", "password": PASSWORD}
    assert client.post("/login", json=body).status_code == 200
    assert client.get("/healthz").status_code == 200  # unlimited routes stay so


@with_settings(rate_limit_refresh="2/minute", rate_limit_firebase="2/minute")
@pytest.mark.parametrize("path", ["/auth/refresh", "/auth/firebase"])
def test_limits_apply_by_path_whoever_writes_the_route(
    fake_app: Flask, client: FlaskClient, path: str
) -> None:
    if not any(rule.rule == path for rule in fake_app.url_map.iter_rules()):
        fake_app.add_url_rule(path, f"stub{path}", lambda: Response(status=204), methods=["POST"])
    for _ in range(2):
        assert client.post(path, json={}).status_code != 429
    assert_429(client.post(path, json={}), "rate_limited")


@with_settings(rate_limit_enabled=False, rate_limit_register="1/minute")
def test_limits_can_be_switched_off(client: FlaskClient) -> None:
    for n in range(3):
        assert client.post("/register", json=new_user(n)).status_code == 201


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@with_settings(
    rate_limit_storage_uri=f"redis://127.0.0.1:{free_port()}/0", rate_limit_register="10/minute"
)
def test_redis_storage_is_used_and_falls_back_to_memory_when_down(fake_app: Flask) -> None:
    assert isinstance(fake_app.extensions[EXTENSION].storage, RedisStorage)
    client = fake_app.test_client()
    # Nothing listens on that port: each instance keeps limiting on its own meanwhile.
    for n in range(10):
        assert client.post("/register", json=new_user(n)).status_code == 201
    assert_429(client.post("/register", json=new_user(10)), "rate_limited")


# -- the failed-login throttle over HTTP ----------------------------------------------------


def test_eleventh_wrong_password_is_429_whatever_x_forwarded_for_says(client: FlaskClient) -> None:
    register(client, "alice")
    for n in range(10):
        response = client.post(
            "/login",
            json={"username": "alice", "password": "wrong password!"},
            headers={"X-Forwarded-For": f"198.51.100.{n}"},
        )
        assert response.status_code == 401
    response = client.post(
        "/login",
        json={"username": "alice", "password": PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.200"},
    )
    assert assert_429(response, "too_many_login_failures") == 60
    assert "WWW-Authenticate" not in response.headers


@with_settings(trusted_proxy_hops=1)
def test_owner_logs_in_from_elsewhere_while_the_attacker_waits(
    client: FlaskClient, audit_log: RecordingAuditLog
) -> None:
    register(client, "alice")

    def login(forwarded_for: str, password: str) -> Any:
        return client.post(
            "/login",
            data={"username": "alice", "password": password},  # the OAuth2 form counts too
            headers={"X-Forwarded-For": forwarded_for},
            environ_base={"REMOTE_ADDR": PROXY},
        )

    for _ in range(10):
        assert login("203.0.113.66", "wrong password!").status_code == 401
    assert_429(login("203.0.113.66", PASSWORD), "too_many_login_failures")
    assert_429(login("198.51.100.7, 203.0.113.66", PASSWORD), "too_many_login_failures")
    assert login("198.51.100.7", PASSWORD).status_code == 200
    logins = [e for e in audit_log.events if e.event is Audit.LOGIN]
    assert [e.ip for e in logins] == ["203.0.113.66"] * 12 + ["198.51.100.7"]
    assert [e.outcome for e in logins] == ["failure"] * 12 + ["success"]


def test_settings_refuse_malformed_limits() -> None:
    with pytest.raises(ValidationError, match="RATE_LIMIT_LOGIN must look like"):
        make_settings(rate_limit_login="lots")
    with pytest.raises(ValidationError, match="RATE_LIMIT_STORAGE_URI must be"):
        make_settings(rate_limit_storage_uri="memcached://cache:11211")
    with pytest.raises(ValidationError, match="LOGIN_BACKOFF_MAX"):
        make_settings(login_backoff=600, login_backoff_max=60)
    assert make_settings(rate_limit_refresh="").rate_limit_refresh == ""  # no limit


# -- the shared store failing and coming back ------------------------------------------------


class FlakyStore(MemoryStorage):
    """A shared store that can go down; counts the hits it served."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.served = 0

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if self.down:
            raise ConnectionError("store down")
        self.served += 1
        return super().acquire_entry(key, limit, expiry, amount)

    def check(self) -> bool:
        return not self.down


def test_a_failing_store_is_replaced_by_memory_until_it_answers_again() -> None:
    now = [1000.0]
    store = FlakyStore()
    limiter = RequestLimiter(
        {("POST", "/login"): "2/minute"}, store, fallback=True, clock=lambda: now[0]
    )

    def hit(client: str = "192.0.2.1") -> Breach | None:
        return limiter.hit("POST", "/login", client, "accounts.login")

    assert hit() is None and hit() is None
    breach = hit()
    assert breach is not None and 1 <= breach.retry_after <= 60
    assert store.served == 3

    store.down = True  # each instance limits on its own, from a fresh budget
    assert hit() is None and hit() is None
    assert hit() is not None
    store.down = False
    now[0] += 0.5  # not looked at again yet
    assert hit("192.0.2.2") is None
    assert store.served == 3
    now[0] += 1
    assert hit("192.0.2.2") is None  # the store again, where 192.0.2.1 is still over
    assert store.served == 4
    assert hit() is not None
    assert store.served == 5


def test_limits_only_the_routes_that_have_one() -> None:
    limiter = RequestLimiter(
        {("POST", "/login"): "1/minute", ("POST", "/register"): ""},
        MemoryStorage(),
        fallback=False,
    )
    assert limiter.limited("POST", "/login")
    assert not limiter.limited("GET", "/login")
    assert not limiter.limited("POST", "/register")
    assert limiter.hit("POST", "/user", "192.0.2.1", "accounts.user") is None
