"""Per-address request limits (in-memory counters) and the failed-login throttle
over HTTP, with the client address taken only from the trusted proxy hops."""

from __future__ import annotations

import socket
from collections.abc import Sequence
from typing import Any

import pytest
from flask import Flask, Response
from flask.testing import FlaskClient
from pydantic import ValidationError

from application.ports import Audit
from bootstrap import build_app
from bootstrap.platform import request_counter
from domain.request_limits import Limit, Quota, WindowCounts, assess, parse_limits
from infrastructure.redis_counts import RedisRequestCounter
from infrastructure.request_counts import FallbackRequestCounter, InMemoryRequestCounter
from infrastructure.settings import Settings
from infrastructure.settings.identity.signin import SignInSettings
from interfaces.shared.limits import RequestLimiter, Standing
from tests.fakes.events import RecordingAuditLog
from tests.support.api import PASSWORD, register
from tests.support.app import fake_adapters, swap
from tests.support.settings import make_settings

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
    # The moving-window throttle waits at most its window; the request limits, at most two
    # (the previous window weighs until the current one ends).
    assert 1 <= retry_after <= 120
    if code == "rate_limited":
        assert ";r=0;" in response.headers["RateLimit"]
        assert response.headers["RateLimit-Policy"]
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
@pytest.mark.parametrize("path", ["/auth/refresh", "/auth/firebase", "/auth/firebase/custom-token"])
def test_limits_apply_by_path_whoever_writes_the_route(
    fake_app: Flask, client: FlaskClient, path: str
) -> None:
    if not any(rule.rule == path for rule in fake_app.url_map.iter_rules()):
        fake_app.add_url_rule(path, f"stub{path}", lambda: Response(status=204), methods=["POST"])
    for _ in range(2):
        assert client.post(path, json={}).status_code != 429
    assert_429(client.post(path, json={}), "rate_limited")


@with_settings(rate_limit_firebase="2/minute")
def test_the_two_firebase_routes_count_apart(client: FlaskClient) -> None:
    for _ in range(2):
        assert client.post("/auth/firebase", json={"id_token": "x"}).status_code == 401
    assert_429(client.post("/auth/firebase", json={"id_token": "x"}), "rate_limited")
    for _ in range(2):
        assert client.post("/auth/firebase/custom-token").status_code == 401
    assert_429(client.post("/auth/firebase/custom-token"), "rate_limited")


@with_settings(rate_limit_login="2/minute")
def test_home_realm_discovery_is_limited_per_address(client: FlaskClient) -> None:
    """GET /sso/discover answers which domains have single sign-on: an address asking for
    domain after domain meets the sign-in's budget, counted apart from POST /login."""
    for n in range(2):
        found = client.get(f"/sso/discover?email=a@d{n}.example.com")
        assert found.status_code == 404, found.get_data(as_text=True)
    assert_429(client.get("/sso/discover?email=a@d9.example.com"), "rate_limited")
    other = {"REMOTE_ADDR": "198.51.100.7"}
    assert client.get("/sso/discover?email=a@d9.example.com", environ_base=other).status_code == 404
    login = client.post("/login", json={"username": "nobody", "password": "x" * 12})
    assert login.status_code == 401, login.get_data(as_text=True)


@with_settings(
    rate_limit_email_verify="2/minute",
    rate_limit_password_forgot="2/minute",
    rate_limit_password_reset="2/minute",
)
@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/auth/email/verify", {"token": "unknown"}),
        ("/auth/password/forgot", {"email": "someone@example.com"}),
        ("/auth/password/reset", {"token": "unknown", "new_password": "a long passphrase 1"}),
    ],
)
def test_the_mail_routes_are_limited_per_address(
    client: FlaskClient, path: str, body: dict[str, str]
) -> None:
    for _ in range(2):
        assert client.post(path, json=body).status_code in (202, 400)
    assert_429(client.post(path, json=body), "rate_limited")
    other = {"REMOTE_ADDR": "198.51.100.7"}
    assert client.post(path, json=body, environ_base=other).status_code in (202, 400)


@with_settings(rate_limit_enabled=False, rate_limit_register="1/minute")
def test_limits_can_be_switched_off(client: FlaskClient) -> None:
    for n in range(3):
        assert client.post("/register", json=new_user(n)).status_code == 201


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_a_failing_redis_store_is_replaced_by_memory(app_settings: Settings) -> None:
    settings = make_settings(
        rate_limit_storage_uri=f"redis://127.0.0.1:{free_port()}/0", rate_limit_register="10/minute"
    )
    counter = request_counter(settings, client=None)  # type: ignore[arg-type]  # unused by Redis
    assert isinstance(counter, FallbackRequestCounter)
    assert isinstance(counter.shared, RedisRequestCounter)
    app = build_app(settings, swap(fake_adapters(settings), request_counter=counter))
    client = app.test_client()
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
    assert (
        make_settings(rate_limit_refresh="").group(SignInSettings).rate_limit_refresh == ""
    )  # no limit


# What the `limits` library (5.8.0) made of these, when it parsed them.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10/minute", [(10, 60)]),
        ("10/minute,100/hour", [(10, 60), (100, 3600)]),
        ("100 per hour", [(100, 3600)]),
        ("5/10 seconds", [(5, 10)]),
        ("30/Minute; 300/hour", [(30, 60), (300, 3600)]),
        ("1/second|2/day", [(1, 1), (2, 86400)]),
        ("3 per 2 months", [(3, 5_184_000)]),
        ("7/year", [(7, 31_104_000)]),
    ],
)
def test_limit_strings_mean_what_they_meant(text: str, expected: list[tuple[int, int]]) -> None:
    assert parse_limits(text) == [Limit(amount, seconds) for amount, seconds in expected]


@pytest.mark.parametrize(
    "text",
    ["", "lots", "10", "10/fortnight", "ten/minute", "0/minute", "10/0 minutes", "10/minute,"],
)
def test_malformed_limit_strings_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a rate limit"):
        parse_limits(text)


# -- the shared store failing and coming back ------------------------------------------------


class FlakyCounter(InMemoryRequestCounter):
    """A shared store that can go down; counts the hits it served."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.served = 0

    def hit(self, key: str, windows: Sequence[int], now: float) -> dict[int, WindowCounts]:
        if self.down:
            raise ConnectionError("store down")
        self.served += 1
        return super().hit(key, windows, now)

    def check(self) -> bool:
        return not self.down


def test_a_failing_store_is_replaced_by_memory_until_it_answers_again() -> None:
    now = [1000.0]
    store = FlakyCounter()
    counter = FallbackRequestCounter(store, InMemoryRequestCounter(), clock=lambda: now[0])
    limiter = RequestLimiter({("POST", "/login"): "2/minute"}, counter, clock=lambda: now[0])

    def hit(client: str = "192.0.2.1") -> Standing | None:
        return limiter.hit("POST", "/login", client, "login.login")

    def allowed(client: str = "192.0.2.1") -> bool:
        standing = hit(client)
        assert standing is not None
        return standing.allowed

    assert allowed() and allowed()
    assert not allowed()
    assert store.served == 3

    store.down = True  # each instance limits on its own, from a fresh budget
    assert allowed("192.0.2.3") and allowed("192.0.2.3")
    assert not allowed("192.0.2.3")
    store.down = False
    now[0] += 0.5  # not looked at again yet
    assert allowed("192.0.2.2")
    assert store.served == 3
    now[0] += 1
    assert allowed("192.0.2.2")  # the store again
    assert store.served == 4


class BrokenCounter(InMemoryRequestCounter):
    def hit(self, key: str, windows: Sequence[int], now: float) -> dict[int, WindowCounts]:
        raise TimeoutError("no answer")


def test_a_store_that_fails_lets_requests_through(caplog: pytest.LogCaptureFixture) -> None:
    limiter = RequestLimiter({("POST", "/login"): "1/minute"}, BrokenCounter())
    for _ in range(3):
        assert limiter.hit("POST", "/login", "192.0.2.1", "login.login") is None
    assert "rate limit store failed (TimeoutError): request let through" in caplog.text


def test_limits_only_the_routes_that_have_one() -> None:
    limiter = RequestLimiter(
        {("POST", "/login"): "1/minute", ("POST", "/register"): ""}, InMemoryRequestCounter()
    )
    assert limiter.limited("POST", "/login")
    assert not limiter.limited("GET", "/login")
    assert not limiter.limited("POST", "/register")
    assert limiter.hit("POST", "/user", "192.0.2.1", "accounts.user") is None


class CountingCounter(InMemoryRequestCounter):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def hit(self, key: str, windows: Sequence[int], now: float) -> dict[int, WindowCounts]:
        self.calls += 1
        return super().hit(key, windows, now)


def test_a_refused_client_is_refused_without_asking_the_store_until_retry_after() -> None:
    now = [600.0]  # the start of a minute
    counter = CountingCounter()
    limiter = RequestLimiter({("POST", "/login"): "2/minute"}, counter, clock=lambda: now[0])

    def hit() -> Standing:
        standing = limiter.hit("POST", "/login", "192.0.2.1", "login.login")
        assert standing is not None
        return standing

    assert hit().allowed and hit().allowed
    refused = hit()
    assert not refused.allowed and counter.calls == 3
    now[0] += 10
    again = hit()
    assert not again.allowed and counter.calls == 3
    assert again.retry_after == refused.retry_after - 10
    now[0] += again.retry_after
    assert hit().allowed and counter.calls == 4


# -- the sliding window over two fixed windows -------------------------------------------------

MINUTE = Limit(10, 60)


def test_a_fresh_window_counts_exactly() -> None:
    start = 60.0 * 1000
    # The 11th request must wait until the ten weigh 9 in the next window: 6 s into it.
    assert assess(MINUTE, WindowCounts(0, 10), start + 5) == Quota(MINUTE, True, 0, 61)
    assert assess(MINUTE, WindowCounts(0, 11), start + 5) == Quota(MINUTE, False, 0, 66)
    assert assess(MINUTE, WindowCounts(0, 3), start + 5) == Quota(MINUTE, True, 7, 55)


def test_the_previous_window_weighs_by_what_is_left_of_it() -> None:
    start = 60.0 * 1000
    # 15 s into the window, 3/4 of the previous one is still within the last minute.
    # 8 * 0.75 + 4 = 10: the last one; the next once 8 * (1 - f) <= 5, f = 3/8 (22.5 s).
    assert assess(MINUTE, WindowCounts(8, 4), start + 15) == Quota(MINUTE, True, 0, 8)
    # 8 * 0.75 + 5 = 11 > 10: refused; one more is allowed once 8 * (1 - f) <= 4, f = 1/2.
    assert assess(MINUTE, WindowCounts(8, 5), start + 15) == Quota(MINUTE, False, 0, 15)
    # A burst of 10 at the end of one window leaves nothing at the start of the next.
    assert not assess(MINUTE, WindowCounts(10, 1), start + 1).allowed


def test_a_client_never_gets_twice_its_budget_across_a_boundary() -> None:
    counter = InMemoryRequestCounter()
    granted = 0
    for tenth in range(59_000, 61_000):  # 20 s either side of a window boundary
        counts = counter.hit("k", [60], tenth / 10)
        granted += assess(MINUTE, counts[60], tenth / 10).allowed
    assert granted <= 2 * MINUTE.amount - 1


def test_headers_follow_the_ratelimit_draft() -> None:
    quotas = (Quota(Limit(10, 60), True, 3, 42), Quota(Limit(100, 3600), True, 93, 3000))
    assert Standing(quotas).headers() == {
        "RateLimit-Policy": '"10/60s";q=10;w=60, "100/3600s";q=100;w=3600',
        "RateLimit": '"10/60s";r=3;t=42, "100/3600s";r=93;t=3000',
    }


@with_settings(rate_limit_register="2/minute,5/hour")
def test_limited_routes_send_ratelimit_headers(client: FlaskClient) -> None:
    first = client.post("/register", json=new_user(1))
    assert first.status_code == 201
    assert first.headers["RateLimit-Policy"] == '"2/60s";q=2;w=60, "5/3600s";q=5;w=3600'
    assert first.headers["RateLimit"].startswith('"2/60s";r=1;t=')
    assert ', "5/3600s";r=4;t=' in first.headers["RateLimit"]
    assert "Retry-After" not in first.headers
    invalid = client.post("/register", json={"username": "x"})
    assert invalid.status_code == 422 and '"2/60s";r=0;' in invalid.headers["RateLimit"]
    refused = client.post("/register", json=new_user(3))
    retry_after = assert_429(refused, "rate_limited")
    assert f'"2/60s";r=0;t={retry_after}' in refused.headers["RateLimit"]
    assert "RateLimit" not in client.get("/healthz").headers


@with_settings(rate_limit_sso_acs="2/minute")
def test_the_identity_providers_answers_are_limited_per_address(client: FlaskClient) -> None:
    """Anyone may post an answer to a SAML connection's ACS, and its XML is parsed and its
    signatures checked before anything tells a forgery; an OpenID connection's callback may
    cost an exchange with the IdP. Both count per address, in one budget
    (RATE_LIMIT_SSO_ACS), and past it the page answers 429 with Retry-After."""
    acs, answer = "/sso/k3v9q2m8x1p0a7d4s6f5/saml/acs", {"SAMLResponse": "PHg+"}
    for _ in range(2):
        assert client.post(acs, data=answer).status_code == 404
    refused = client.post(acs, data=answer)
    assert refused.status_code == 429 and refused.mimetype == "text/html"
    assert 1 <= int(refused.headers["Retry-After"]) <= 120
    assert ";r=0;" in refused.headers["RateLimit"]
    callback = "/sso/k3v9q2m8x1p0a7d4s6f5/oidc/callback?code=c&state=s"
    assert client.get(callback).status_code == 429
    other = {"REMOTE_ADDR": "198.51.100.7"}
    assert client.post(acs, data=answer, environ_base=other).status_code == 404
    assert client.get(callback, environ_base=other).status_code == 404


BALANCER = "34.117.0.9"  # a global external load balancer's address


# id.example.com: the service's own host (PUBLIC_URL's), which the org hosts' gate answers
@with_settings(
    rate_limit_login="3/minute", trusted_proxy_hops=2, public_url="https://id.example.com"
)
def test_behind_the_global_load_balancer_two_hops_are_believed_and_https_stays_https(
    client: FlaskClient,
) -> None:
    """The balancer in front of Cloud Run appends ``<client>,<its own address>`` and sets
    ``X-Forwarded-Proto: https`` once (docs/operations.md, "Running in two regions"): the
    client is the second entry from the right, and the request came over https."""
    body = {"username": "nobody", "password": "wrong password!"}

    def post(forwarded_for: str) -> Any:
        return client.post(
            "/login",
            json=body,
            headers={"X-Forwarded-For": forwarded_for, "X-Forwarded-Proto": "https"},
            environ_base={"REMOTE_ADDR": "169.254.1.1"},
        )

    for _ in range(3):
        assert post(f"203.0.113.5,{BALANCER}").status_code == 401
    assert_429(post(f"203.0.113.5,{BALANCER}"), "rate_limited")
    assert_429(post(f"1.2.3.4, 203.0.113.5,{BALANCER}"), "rate_limited")  # prepended: no matter
    assert post(f"198.51.100.7,{BALANCER}").status_code == 401
    # The token endpoint refuses plain http from anywhere but loopback: the balancer's one
    # X-Forwarded-Proto says https.
    token = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": "nobody"},
        base_url="http://id.example.com",
        headers={"X-Forwarded-For": f"198.51.100.8,{BALANCER}", "X-Forwarded-Proto": "https"},
    )
    assert token.status_code in (400, 401)
    assert token.get_json()["error"] != "insecure_transport", token.get_json()
