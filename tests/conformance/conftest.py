"""The conformance replay's fixtures: firegate on the Firestore emulator, as deployed (the
real adapters and argon2), at an https ``PUBLIC_URL``; the suite's side (tests/conformance/
suite.py)."""

from __future__ import annotations

from typing import Any

import pytest

from bootstrap import build_adapters, build_app
from tests.support.conformance import ISSUER, Suite
from tests.support.settings import make_settings


@pytest.fixture
def suite(firestore: Any) -> Suite:
    settings = make_settings(public_url=ISSUER)
    return Suite(build_app(settings, build_adapters(settings, firestore=firestore)))
