"""pytest plugin: the local emulators for integration and end-to-end tests.

Load it from ``tests/conftest.py`` with ``pytest_plugins = ["tests.emulator_fixtures"]``
(or ``["emulator_fixtures"]`` with ``tests/`` on ``sys.path``). Fixtures:

``emulators`` (session)
    Starts Firestore, Firebase Auth, Pub/Sub, Storage and maildev (the mail server: SMTP on
    the port of ``SMTP_URL``, web UI and REST API on ``MAILDEV_WEB_PORT``) in parallel -- or
    reuses those already answering, e.g. from ``python scripts/emulators.py start`` in
    another terminal, which makes repeated test runs start instantly -- puts their variables
    (``FIRESTORE_EMULATOR_HOST`` & co., ``SMTP_URL``, ``GOOGLE_CLOUD_PROJECT``) into
    ``os.environ`` for the session, and stops what it started at the end. Ports and project
    follow the same variables when they are already set. Yields the ``EmulatorSet``; its
    ``storage_bucket`` (``STORAGE_BUCKET`` or ``<project>.appspot.com``) exists in the
    storage emulator.

``clean_emulators`` (function)
    Depends on ``emulators``; wipes Firestore documents, Auth accounts, Storage (then
    re-creates ``storage_bucket``) and maildev's messages before the test. Pub/Sub is left
    alone: use unique topic names per test.

Only tests that request these fixtures pay for the emulators (a cold start of all five is
about 11-15 s, most of it firebase-tools). ``EMULATORS_START_TIMEOUT`` (seconds, default
120) bounds the wait. A failed start fails every test that needs the emulators with the
reason and the tail of ``.local/emulators/<service>.log``.

Under pytest-xdist each worker has emulators of its own, so one worker's wipe never empties
another's data: worker ``gw<i>`` moves every port ``i * 10`` above the configured one
(``worker_sets`` in scripts/emulators.py, which refuses ports of two workers that coincide),
logs to ``.local/emulators/gw<i>/``, and starts them right after collection, before any
test runs. Worker ``gw0`` keeps the configured ports, so it
reuses emulators started beforehand on them (docs/testing.md#parallel-workers).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.support.emulators import emptied, load_emulators_module
from tests.support.workers import worker

if TYPE_CHECKING:
    from scripts.emulators import EmulatorSet


def _started_emulators() -> EmulatorSet | str:
    """This process's emulators, started (or reused); a failure's message instead."""
    module = load_emulators_module()
    project = os.environ.get("GOOGLE_CLOUD_PROJECT") or "demo-firegate"
    bucket = os.environ.get("STORAGE_BUCKET") or f"{project}.appspot.com"
    try:
        emulator_set: EmulatorSet = module.EmulatorSet.from_env(
            storage_bucket=bucket, java_options=module.QUICK_JIT
        )
        found = worker()
        if found is not None:
            index, count = found
            emulator_set = module.worker_sets(emulator_set, count)[index]
        emulator_set.start(timeout=float(os.environ.get("EMULATORS_START_TIMEOUT") or 120))
    except module.EmulatorError as exc:
        return f"the emulators did not start: {exc}"
    return emulator_set


_EARLY = pytest.StashKey["EmulatorSet | str"]()


def pytest_collection_finish(session: pytest.Session) -> None:
    """A parallel worker starts its emulators as soon as it has collected tests that need
    them, before any test runs: a port above 32767 may otherwise be held, when its turn
    comes, by one of the many client connections the other workers' tests have closed (in
    TIME_WAIT, which the Firestore emulator's bind does not pass).

    A unit test needs nothing (docs/testing.md, "Layout and markers"): one that asks for the
    emulators, or for a fixture of its own named so, stops the run here, before a unit
    phase's workers start emulators nobody uses."""
    needing = [i for i in session.items if "emulators" in getattr(i, "fixturenames", ())]
    units = [i.nodeid for i in needing if i.get_closest_marker("unit") is not None]
    if units:
        raise pytest.UsageError(
            "unit tests need no emulators (move them to tests/integration or tests/e2e, or"
            f" name a stand-in fixture otherwise): {', '.join(units[:5])}"
        )
    if worker() is not None and needing:
        session.config.stash[_EARLY] = _started_emulators()


def pytest_sessionfinish(session: pytest.Session) -> None:
    early = session.config.stash.get(_EARLY, None)
    if early is not None and not isinstance(early, str):
        early.stop()  # a worker that ran none of the tests that need them


@pytest.fixture(scope="session")
def emulators(request: pytest.FixtureRequest) -> Iterator[EmulatorSet]:
    emulator_set = request.config.stash.get(_EARLY, None) or _started_emulators()
    if isinstance(emulator_set, str):
        pytest.fail(emulator_set, pytrace=False)
    variables = emulator_set.env()
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield emulator_set
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        emulator_set.stop()


@pytest.fixture
def clean_emulators(emulators: EmulatorSet) -> EmulatorSet:
    """The session's emulators, with Firestore, Auth, Storage and the mail emptied first."""
    emptied(emulators)
    return emulators


@pytest.fixture(scope="module")
def emptied_after(emulators: EmulatorSet) -> Iterator[EmulatorSet]:
    """The session's emulators, emptied once the module is done: for a module that leaves
    state other modules of its worker must not meet (an org's active single sign-on turns
    every sign-in page into the address-first one: docs/reference/sso.md)."""
    yield emulators
    emulators.wipe()
