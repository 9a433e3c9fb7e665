"""The conformance replay's fixtures: firegate on the Firestore emulator, as deployed (the
real adapters and argon2), at an https ``PUBLIC_URL``; the suite's side (tests/conformance/
suite.py)."""

from __future__ import annotations

from typing import Any

import pytest

from bootstrap import build_adapters
from tests.fakes.kernel import FakeClock
from tests.support.app import app_on, swap
from tests.support.conformance import (
    BACKCHANNEL,
    ISSUER,
    POST_LOGOUT,
    PRIVATE_KEY_JWT,
    SECRET_BASIC,
    BackchannelReceiver,
    Suite,
)
from tests.support.settings import make_settings


@pytest.fixture(params=[SECRET_BASIC, PRIVATE_KEY_JWT])
def suite(firestore: Any, request: pytest.FixtureRequest) -> Suite:
    """The Basic plan's suite, under each of its client_auth_type variants replayed."""
    settings = make_settings(public_url=ISSUER)
    app = app_on(settings, build_adapters(settings, firestore=firestore))
    return Suite(app, client_auth=request.param)


@pytest.fixture(params=[SECRET_BASIC, PRIVATE_KEY_JWT])
def clocked_suite(firestore: Any, request: pytest.FixtureRequest) -> tuple[Suite, FakeClock]:
    """The Basic plan's suite as ``suite``, with firegate reading the time from a clock the
    test moves: the one module that waits (``WaitFor30Seconds``) moves it instead of sleeping
    (docs/decisions/0690-the-conformance-wait-on-firegates-clock.md)."""
    settings = make_settings(public_url=ISSUER)
    clock = FakeClock()
    adapters = swap(build_adapters(settings, firestore=firestore), clock=clock)
    return Suite(app_on(settings, adapters), client_auth=request.param), clock


@pytest.fixture
def secret_suite(firestore: Any) -> Suite:
    """The suite with ``client_secret_basic`` only: the Config plan (no variants) and the one
    module of the Basic plan that switches to ``client_secret_post``."""
    settings = make_settings(public_url=ISSUER)
    return Suite(app_on(settings, build_adapters(settings, firestore=firestore)))


@pytest.fixture
def receiver() -> BackchannelReceiver:
    return BackchannelReceiver()


@pytest.fixture
def logout_suite(firestore: Any, receiver: BackchannelReceiver) -> Suite:
    """The logout plans' suite: its static client registers a post_logout_redirect_uri and a
    backchannel_logout_uri (sid required, as the suite's registration asks), and the service's
    webhook sender reaches the suite's ``backchannel_logout`` endpoint (``receiver``)."""
    settings = make_settings(public_url=ISSUER)
    adapters = swap(build_adapters(settings, firestore=firestore), webhook_sender=receiver)
    logout = ("--post-logout-redirect-uri", POST_LOGOUT, "--backchannel-logout-uri", BACKCHANNEL)
    return Suite(app_on(settings, adapters), *logout, "--backchannel-logout-session-required")
