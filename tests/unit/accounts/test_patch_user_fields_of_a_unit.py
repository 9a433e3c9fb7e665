"""PATCH /user is the accounts' route; a field that changes by a unit's own flow
(``phone_number``, the phone unit's texted code) goes alone, and answers 404 as the flow's
switch does where the unit is not run
(docs/decisions/0756-what-the-phone-unit-adds-to-the-cores-pages-and-routes.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bootstrap.units import UNITS
from tests.support.api import assert_problem, bearer, login, register
from tests.support.app import World

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[3]

# An app without the phone unit, in a process of its own (the pages' parts are the process's)
WITHOUT_PHONE = """
import json
from tests.support.api import bearer, login, register
from tests.support.app import World

world = World(units_off="phone")
register(world.client, "ann")
ann = bearer(login(world.client, "ann"))
answers = [
    world.client.patch("/user", json=body, headers=ann)
    for body in ({"name": "Ann"}, {"phone_number": "+33612345678", "name": "Ann"},
                 {"phone_number": "+33612345678"}, {"challenge_token": "t"})
]
print(json.dumps([(a.status_code, (a.get_json() or {}).get("code")) for a in answers]))
"""


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


@pytest.mark.skipif("phone" not in UNITS, reason="no phone unit to turn off: the test above")
def test_without_the_phone_unit_the_number_answers_as_phone_sign_in_off() -> None:
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_PHONE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    answers = [tuple(each) for each in json.loads(result.stdout.strip().splitlines()[-1])]
    assert answers == [
        (200, None),
        (422, "phone_number_alone"),
        (404, "phone_disabled"),
        (422, "unknown_field"),
    ]
