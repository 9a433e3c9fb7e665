"""The apps the tests share (``app_on``, tests/support/app.py): the process's with the default
settings, a module's with other settings. Each of their parts is bound again for each test or
made from the settings alone, and a test finds its own fakes behind one, never the last
test's; settings whose app holds state of its own (tighter limits, metrics, traces) are never
shared."""

from __future__ import annotations

from typing import Any

import pytest

from infrastructure.settings import Settings
from interfaces.provider import routes as provider_routes
from interfaces.scim import routes as scim_routes
from interfaces.shared import acting, problems
from interfaces.shared.shell import PUBLIC_KEYS
from interfaces.web import browser, messages, translated
from interfaces.web.rendering import KEPT_PAGES, STYLED
from tests.fakes.kernel import CountingRequestCounter
from tests.support.api import register
from tests.support.app import (
    DEFAULT_SETTINGS,
    SERVICES,
    TEST_CLOCK,
    SharedApp,
    app_on,
    fake_adapters,
    free_shared_apps,
    shareable,
    swap,
)
from tests.support.settings import PRODUCTION_SETTINGS, make_settings

pytestmark = pytest.mark.unit

# What SharedApp.on binds to each test's fakes.
BOUND_AGAIN = {SERVICES, KEPT_PAGES, TEST_CLOCK}
# What the settings alone make: the same for every test.
FROM_SETTINGS = {
    "babel",  # Flask-Babel: the catalogues' folder and the selectors
    browser.EXTENSION,  # the pages' configuration
    STYLED,  # the pages' stylesheet and its CSP
    translated.EXTENSION,  # the templates compiled for each language
    PUBLIC_KEYS,  # each adapter's key source, which reads services() on each request
    provider_routes.EXTENSION,  # Authlib's server, made from the settings; it reads services()
    scim_routes.EXTENSION,  # the SCIM service and its base URL; it reads services()
    problems.PARTS,  # what the units' errors add to their problems; they read services()
    acting.FILLS,  # the units' fillings, which the settings pick; they read services()
    messages.UNIT_MESSAGES,  # the units' messages of their own codes on the pages
}


# Settings a module shares an app with: features on, the production profile.
FEATURES = {
    "guest_accounts": True,
    "phone_sign_in": True,
    "oauth_dynamic_registration": True,
    "compat_routes": True,
}


@pytest.mark.parametrize(
    "settings",
    [
        DEFAULT_SETTINGS,
        make_settings(**FEATURES),
        make_settings(**PRODUCTION_SETTINGS),
        make_settings(rate_limit_enabled=False),  # no limiter at all
    ],
    ids=["default", "features", "production", "no-limits"],
)
def test_each_part_of_the_shared_app_is_bound_again_or_made_from_the_settings(
    settings: Settings,
) -> None:
    """A part of the app that holds a test's state and is not bound again would carry it
    into the next test: one added to the app fails here until it is in one of the two."""
    assert shareable(settings)
    app = SharedApp(settings).on(fake_adapters(settings))
    client = app.test_client()
    assert client.get("/sign-in", headers={"Accept-Language": "es"}).status_code == 200
    assert client.get("/.well-known/openid-configuration").status_code == 200
    assert set(app.extensions) <= BOUND_AGAIN | FROM_SETTINGS


def test_the_next_test_finds_its_own_fakes_behind_the_app() -> None:
    shared = SharedApp()
    first_counter, next_counter = CountingRequestCounter(), CountingRequestCounter()
    first = shared.on(swap(fake_adapters(DEFAULT_SETTINGS), request_counter=first_counter))
    register(first.test_client(), "alice")
    shared.free()

    next_adapters = swap(fake_adapters(DEFAULT_SETTINGS), request_counter=next_counter)
    again = shared.on(next_adapters)
    assert again is first  # not built again
    register(again.test_client(), "alice")  # a name the last test's fakes hold: free here
    assert sum(first_counter.writes.values()) == 1  # each test's requests counted apart
    assert sum(next_counter.writes.values()) == 1


def test_each_test_with_the_default_settings_finds_the_processs_app() -> None:
    """Each test makes its own settings (``World()``): equal to the defaults whatever groups
    an app has read of either (the app reads the units' groups as it is built)."""
    first = app_on(make_settings(), fake_adapters(make_settings()))
    free_shared_apps(next_module=False)
    assert app_on(make_settings(), fake_adapters(make_settings())) is first
    free_shared_apps(next_module=False)


def test_a_second_app_within_one_test_is_an_app_of_its_own() -> None:
    shared = SharedApp()
    one = shared.on(fake_adapters(DEFAULT_SETTINGS))
    other = shared.on(fake_adapters(DEFAULT_SETTINGS))
    assert other is not one
    register(one.test_client(), "alice")
    register(other.test_client(), "alice")  # the other instance's own fakes


def test_the_tests_of_a_module_share_an_app_with_their_settings() -> None:
    settings = make_settings(**FEATURES)
    first_counter, next_counter = CountingRequestCounter(), CountingRequestCounter()
    first = app_on(settings, swap(fake_adapters(settings), request_counter=first_counter))
    register(first.test_client(), "alice")
    free_shared_apps(next_module=False)  # as after a test of the same module

    again = app_on(settings, swap(fake_adapters(settings), request_counter=next_counter))
    assert again is first
    register(again.test_client(), "alice")  # the last test's fakes are not behind it
    assert sum(first_counter.writes.values()) == sum(next_counter.writes.values()) == 1
    assert app_on(settings, fake_adapters(settings)) is not first  # a second one in a test
    free_shared_apps(next_module=True)  # as after the module's last test

    assert app_on(settings, fake_adapters(settings)) is not first  # the next module's own


@pytest.mark.parametrize(
    "changes",
    [
        {"rate_limit_login": "2/minute"},  # the limiter remembers whom it refused
        {"rate_limit_login": "2/minute", "rate_limit_enabled": True},
        {"metrics_token": "m" * 40},  # the app's own counts
        {"traces_exporter": "otlp", "otel_exporter_otlp_endpoint": "http://127.0.0.1:4318"},
    ],
)
def test_an_app_that_may_hold_state_of_its_own_is_not_shared(changes: dict[str, Any]) -> None:
    assert not shareable(make_settings(**changes))


def test_an_app_not_shared_is_built_for_each_test() -> None:
    settings = make_settings(rate_limit_login="2/minute")
    one = app_on(settings, fake_adapters(settings))
    free_shared_apps(next_module=False)
    assert app_on(settings, fake_adapters(settings)) is not one
