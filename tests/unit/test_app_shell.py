"""The app shell (interfaces/shared/shell.py): the four driving adapters installed in any
order make the same app, and the shell answers for what they share (docs/reference/index.md,
"One app, four adapters")."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from bootstrap import bind
from bootstrap.driving import driving_adapters
from infrastructure.settings import Settings
from interfaces.shared.shell import Install, Installed, ShellConfig, create_app
from tests.support.api import register
from tests.support.app import fake_adapters
from tests.support.settings import make_settings

pytestmark = pytest.mark.unit

APP_ORIGIN = "https://app.example.com"
SPA_ORIGIN = "https://spa.example.net"


def shell_app(settings: Settings, order: Callable[[list[Install]], Sequence[Install]]) -> Flask:
    installs = driving_adapters(settings)
    assert len(installs) == 4  # the API, the pages, SCIM and the provider
    config = ShellConfig(
        project=settings.service.google_cloud_project,
        max_body_bytes=settings.service.max_json_bytes,
        trusted_proxy_hops=settings.service.trusted_proxy_hops,
        production=False,
        rate_limits=settings.service.rate_limit_enabled,
    )
    services = bind(settings, fake_adapters(settings))
    return create_app(services, config, order(installs))


def url_map(app: Flask) -> list[tuple[str, tuple[str, ...], str]]:
    return sorted(
        (rule.rule, tuple(sorted(rule.methods or ())), rule.endpoint)
        for rule in app.url_map.iter_rules()
    )


def answer(response: TestResponse) -> tuple[int, list[tuple[str, str]], bytes]:
    """What a client sees, but for what differs on every request (an id, a CSRF token) or
    with the clock (the seconds left in a limit's window: ``t=`` of RateLimit, Retry-After;
    a busy machine may answer the two apps' requests in different seconds)."""
    headers = sorted((name, _steady(name, value)) for name, value in response.headers.items())
    body = response.get_data() if response.mimetype != "text/html" else b"(a page)"
    return response.status_code, headers, body


def _steady(name: str, value: str) -> str:
    if name in ("X-Request-ID", "Set-Cookie", "Retry-After"):
        return "…"
    if name == "RateLimit":
        return re.sub(r";t=\d+", ";t=…", value)
    return value


def answers(app: Flask) -> list[tuple[int, list[tuple[str, str]], bytes]]:
    client = app.test_client()
    api_origin = {"Origin": APP_ORIGIN}
    preflight = {
        "Origin": SPA_ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Content-Type",
    }
    register(client, "alice")
    login = {"username": "alice", "password": "wrong password, surely"}
    return [
        answer(client.get("/.well-known/jwks.json", headers={"Origin": SPA_ORIGIN})),
        answer(client.get("/.well-known/jwks.json", headers=api_origin)),
        answer(client.get("/.well-known/openid-configuration", headers=api_origin)),
        answer(client.options("/oauth/token", headers=preflight)),
        answer(client.options("/login", headers={**preflight, "Origin": APP_ORIGIN})),
        answer(client.post("/oauth/token", data={}, headers={"Origin": SPA_ORIGIN})),
        answer(client.get("/oauth/authorize", headers=api_origin)),
        answer(client.put("/oauth/authorize", headers={"Accept": "text/html"})),
        answer(client.get("/sign-in", headers=api_origin)),
        answer(client.get("/docs/", headers=api_origin)),
        answer(client.get("/no-such-route", headers=api_origin)),
        answer(client.get("/scim/v2/ServiceProviderConfig", headers=api_origin)),
        *(answer(client.post("/login", json=login, headers=api_origin)) for _ in range(3)),
    ]


def test_the_adapters_installed_in_any_order_make_the_same_app() -> None:
    settings = make_settings(
        cors_origins=[APP_ORIGIN], rate_limit_login="2/minute", rate_limit_oauth_token="5/minute"
    )
    forward = shell_app(settings, lambda installs: installs)
    backward = shell_app(settings, lambda installs: installs[::-1])
    assert url_map(forward) == url_map(backward)
    first, second = answers(forward), answers(backward)
    assert first == second
    jwks_to_spa, jwks_to_app = first[0], first[1]
    assert ("Access-Control-Allow-Origin", "*") in jwks_to_spa[1]  # the provider's CORS
    assert ("Access-Control-Allow-Origin", "*") in jwks_to_app[1]
    assert ("Access-Control-Allow-Origin", APP_ORIGIN) in first[4][1]  # the API's, on /login
    authorize = dict(first[6][1])
    assert "Access-Control-Allow-Origin" not in authorize  # /oauth/ is the provider's alone
    assert authorize["Cross-Origin-Opener-Policy"] == "unsafe-none"  # a page of the popup path
    assert first[7][0] == 405 and ("Content-Type", "text/html; charset=utf-8") in first[7][1]
    assert first[-1][0] == 429  # the third wrong password: the API's limit


def test_two_adapters_of_one_name_are_refused() -> None:
    """The shell reads the adapters' parts in the order of their names: two of one name would
    be read in the order they were installed in."""

    def another_api(app: Flask) -> Installed:
        return Installed(name="api")

    with pytest.raises(ValueError, match="installed twice"):
        shell_app(make_settings(), lambda installs: [*installs, another_api])
