"""The app the tests with the default settings share in a process (``app_on``,
tests/support/app.py): each of its parts is bound again for each test or made from the
settings alone, and a test finds its own fakes behind it, never the last test's."""

from __future__ import annotations

import pytest

from interfaces.provider import routes as provider_routes
from interfaces.scim import routes as scim_routes
from interfaces.shared.shell import PUBLIC_KEYS
from interfaces.web import browser, translated
from interfaces.web.rendering import KEPT_PAGES, STYLED
from tests.fakes.kernel import CountingRequestCounter
from tests.support.api import register
from tests.support.app import (
    DEFAULT_SETTINGS,
    SERVICES,
    TEST_CLOCK,
    SharedApp,
    fake_adapters,
    swap,
)

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
}


def test_each_part_of_the_shared_app_is_bound_again_or_made_from_the_settings() -> None:
    """A part of the app that holds a test's state and is not bound again would carry it
    into the next test: one added to the app fails here until it is in one of the two."""
    app = SharedApp().on(fake_adapters(DEFAULT_SETTINGS))
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


def test_a_second_app_within_one_test_is_an_app_of_its_own() -> None:
    shared = SharedApp()
    one = shared.on(fake_adapters(DEFAULT_SETTINGS))
    other = shared.on(fake_adapters(DEFAULT_SETTINGS))
    assert other is not one
    register(one.test_client(), "alice")
    register(other.test_client(), "alice")  # the other instance's own fakes
