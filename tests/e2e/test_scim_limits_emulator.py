"""SCIM past its limits on the Firestore emulator: a startIndex past a 32-bit integer, a user of
20,000 addresses, a string past what Firestore queries or keeps, each a SCIM 400 that writes
nothing, never Firestore's refusal as a 500 (docs/reference/scim.md, "Limits")."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.support.scim_limits import limits_hold

pytestmark = pytest.mark.e2e


def test_positions_and_resources_past_the_limits_are_scim_400s(real_client: FlaskClient) -> None:
    limits_hold(real_client)
