"""The order the parallel workers are handed the test files in (tests/support/workers.py,
docs/testing.md#parallel-workers): the long ones first, each file's tests together and in
their order."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.workers import long_files_first, takes_long

pytestmark = pytest.mark.unit
E2E = Path("tests/e2e")


def test_the_long_files_come_first_then_the_others_by_their_number_of_tests() -> None:
    files = [
        (Path("tests/contract/test_users.py"), ["u1", "u2", "u3"]),
        (E2E / "test_tasks_emulator.py", ["t1"]),
        (E2E / "test_docs_browser.py", ["d1"]),
        (Path("tests/integration/test_storage.py"), ["s1", "s2"]),
        (E2E / "test_faults.py", ["f1", "f2"]),
        (E2E / "test_scim_gunicorn.py", ["g1"]),
    ]
    assert long_files_first(files) == ["f1", "f2", "d1", "g1", "u1", "u2", "u3", "s1", "s2", "t1"]


def test_which_files_are_long() -> None:
    assert takes_long(E2E / "test_pages_phone_browser.py")
    assert takes_long(E2E / "test_webhooks_stall_gunicorn.py")
    assert takes_long(E2E / "test_run_local.py")
    assert takes_long(E2E / "test_access_equivalence.py")
    assert takes_long(Path("tests/conformance/test_oidcc_basic.py"))
    assert not takes_long(E2E / "test_accounts_emulator.py")
    assert not takes_long(Path("tests/contract/test_users.py"))
