from __future__ import annotations

import gc
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings as hypothesis_settings
from werkzeug.test import Cookie, TestResponse

from bootstrap import Adapters, build_adapters
from infrastructure.settings import Settings
from interfaces.web.browser import EXTENSION as PAGES
from tests.fakes.events import RecordingAuditLog
from tests.fakes.federation import FakeIdentityVerifier
from tests.fakes.kernel import FakeClock, FakeJobQueue, InMemoryStore
from tests.support.app import TEST_CLOCK, app_on, fake_adapters, free_shared_apps, swap
from tests.support.catalogues import compile_catalogues
from tests.support.settings import make_settings
from tests.support.workers import long_files_first, worker

pytest_plugins = ["tests.emulator_fixtures", "tests.redis_fixture"]

# The suite reads no developer's .env (the file the docs recommend for moved ports): the
# scripts it runs or imports (run_local.py, emulators.py) read none with DOTENV_FILE=off, set
# here for this process and every one it starts (docs/testing.md, "The checkout's .env").
os.environ["DOTENV_FILE"] = "off"

# No test asserts a wall-clock time: hypothesis's per-example deadline would, and it fails
# examples that a loaded machine (CI, a benchmark next door) merely ran slowly.
hypothesis_settings.register_profile("firegate", deadline=None)
hypothesis_settings.load_profile("firegate")


class AnswerSentClient(FlaskClient):
    """Reads each answer whole and closes it, as a server does once it has sent it: what a
    route hands on after its answer (interfaces/shared/after_response.py) then runs, as in
    production. ``buffered=False`` keeps an answer open, for a test to look before.

    A request to a path is sent to the app's PUBLIC_URL host (``Host``), as a browser in
    front of the service sends it, not Werkzeug's "localhost": an app that answered only its
    own host would still answer the tests (docs/decisions/0855-request-gates-come-first.md).
    Its cookies are that host's too. A full URL, a ``base_url`` or an environ keeps its own."""

    def open(self, *args: Any, buffered: bool = True, **kwargs: Any) -> TestResponse:
        host = self._public_host()
        path = args[0] if args else kwargs.get("path", "/")
        if (
            host is not None
            and isinstance(path, str)
            and not urlsplit(path).netloc
            and not {"base_url", "subdomain", "url_scheme"} & kwargs.keys()
        ):
            kwargs["base_url"] = f"http://{host}/"
        return super().open(*args, buffered=buffered, **kwargs)

    def _public_host(self) -> str | None:
        """The ``host[:port]`` of the app's PUBLIC_URL; None for an app without the pages."""
        pages = self.application.extensions.get(PAGES)
        return urlsplit(pages.public_url).netloc if pages is not None else None

    def _cookie_domain(self, domain: str | None) -> str:
        """``domain``, else the PUBLIC_URL's host name the requests go to (else Werkzeug's)."""
        if domain is not None:
            return domain
        host = self._public_host()
        return (urlsplit(f"//{host}").hostname if host else None) or "localhost"

    def set_cookie(self, key: str, value: str = "", *args: Any, **kwargs: Any) -> None:
        kwargs["domain"] = self._cookie_domain(kwargs.get("domain"))
        super().set_cookie(key, value, *args, **kwargs)

    def get_cookie(self, key: str, domain: str | None = None, path: str = "/") -> Cookie | None:
        return super().get_cookie(key, self._cookie_domain(domain), path)

    def delete_cookie(self, key: str, *args: Any, **kwargs: Any) -> None:
        kwargs["domain"] = self._cookie_domain(kwargs.get("domain"))
        super().delete_cookie(key, *args, **kwargs)


Flask.test_client_class = AnswerSentClient


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def identity_verifier() -> FakeIdentityVerifier:
    return FakeIdentityVerifier()


@pytest.fixture
def audit_log() -> RecordingAuditLog:
    return RecordingAuditLog()


@pytest.fixture
def job_queue() -> FakeJobQueue:
    """The jobs ``fake_app`` queued; tests run them (tests/unit/dogs/test_dogs_http.py)."""
    return FakeJobQueue()


@pytest.fixture
def app_settings() -> Settings:
    """The settings of ``fake_app``; a test module overrides this fixture to change them."""
    return make_settings()


@pytest.fixture
def adapters(
    store: InMemoryStore,
    identity_verifier: FakeIdentityVerifier,
    audit_log: RecordingAuditLog,
    app_settings: Settings,
    *,
    job_queue: FakeJobQueue,
) -> Adapters:
    """The in-memory fakes behind ``fake_app`` (a fake clock, a fast hasher)."""
    return swap(
        fake_adapters(app_settings, store),
        identity_verifier=identity_verifier,
        audit=audit_log,
        job_queue=job_queue.attach,
    )


@pytest.fixture
def fake_app(adapters: Adapters, app_settings: Settings) -> Flask:
    """The whole HTTP app on in-memory fakes (with the default settings, the process's one;
    with others a module may share, the module's: ``app_on`` in tests/support/app.py)."""
    app = app_on(app_settings, adapters)
    app.extensions[TEST_CLOCK] = adapters.platform.clock
    return app


@pytest.fixture
def client(fake_app: Flask) -> FlaskClient:
    return fake_app.test_client()


@pytest.fixture(scope="session")
def firestore_client(emulators: Any) -> Any:
    from infrastructure.firestore.client import make_client

    return make_client("demo-firegate")


@pytest.fixture
def firestore(firestore_client: Any, clean_emulators: Any) -> Any:
    """A Firestore client on a freshly wiped emulator."""
    return firestore_client


@pytest.fixture
def real_app(firestore: Any) -> Flask:
    """The HTTP app on the Firestore emulator with the real argon2 hasher."""
    settings = make_settings()
    return app_on(settings, build_adapters(settings, firestore=firestore))


@pytest.fixture
def real_client(real_app: Flask) -> FlaskClient:
    return real_app.test_client()


def pytest_configure(config: pytest.Config) -> None:
    compile_catalogues()  # as `make translations` does before the service runs


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In a parallel worker, the long files first (``long_files_first``): every worker
    collects the same order, and xdist hands the files out in it when told not to reorder
    them (``--no-loadscope-reorder``, as `make test` says)."""
    if worker() is None:
        return
    files: dict[Path, list[pytest.Item]] = {}
    for item in items:
        files.setdefault(item.path, []).append(item)
    items[:] = long_files_first(list(files.items()))


def pytest_collection_finish(session: pytest.Session) -> None:
    """What the process holds once it has collected (the modules, the libraries) lives as
    long as it does: frozen, the garbage collector no longer walks it again and again while
    it frees each test's apps. In the tests of the pages and the provider it took a third of
    the CPU, half that once frozen (docs/testing.md, "Where the time goes")."""
    gc.collect()
    gc.freeze()


def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """The next test may have the shared apps; the next module's tests, not this module's
    (``app_on`` in tests/support/app.py)."""
    free_shared_apps(next_module=nextitem is None or nextitem.path != item.path)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The process's Chromium, if a browser test launched one, closes with the session
    (tests/support/browser.py; docs/testing.md, "The browser tests")."""
    browser = sys.modules.get("tests.support.browser")  # not imported: nothing to close
    if browser is not None:
        browser.close_browser()
