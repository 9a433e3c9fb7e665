"""PATCH /user is the accounts' route; a field that changes by a unit's own flow
(``phone_number``, the phone unit's texted code) goes alone, and answers 404 as the flow's
switch does where the unit is not run
(docs/decisions/0756-what-the-phone-unit-adds-to-the-cores-pages-and-routes.md). The same
answers with the phone unit in the tree but turned off are the phone unit's test
(tests/unit/phone/test_patch_user_without_the_phone_unit.py)."""

from __future__ import annotations

import pytest

from tests.support.api import assert_problem, bearer, login, register
from tests.support.app import World

pytestmark = pytest.mark.unit


def test_the_profile_changes_and_the_number_goes_alone() -> None:
    world = World()
    register(world.client, "ann")
    ann = bearer(login(world.client, "ann"))
    named = world.client.patch("/user", json={"name": "Ann"}, headers=ann)
    assert named.status_code == 200 and named.get_json()["name"] == "Ann"
    both = {"phone_number": "+33612345678", "name": "Ann"}
    assert_problem(world.client.patch("/user", json=both, headers=ann), 422, "phone_number_alone")
    alone = world.client.patch("/user", json={"phone_number": "+33612345678"}, headers=ann)
    assert_problem(alone, 404, "phone_disabled")  # PHONE_SIGN_IN is off (or the unit is out)
    token = world.client.patch("/user", json={"challenge_token": "t"}, headers=ann)
    assert_problem(token, 422, "unknown_field")
