"""SCIM past its limits on the fakes: out-of-range positions, oversized users and groups are
SCIM 400s that write nothing (docs/reference/scim.md, "Limits"; the same on the emulator in
tests/e2e/test_scim_limits_emulator.py)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.support.scim_limits import limits_hold

pytestmark = pytest.mark.unit


def test_positions_and_resources_past_the_limits_are_scim_400s(client: FlaskClient) -> None:
    limits_hold(client)
