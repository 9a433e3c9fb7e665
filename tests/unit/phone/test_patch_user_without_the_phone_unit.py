"""PATCH /user with the phone unit turned off (``UNITS_OFF=phone``) answers a number as
PHONE_SIGN_IN off does: 404 ``phone_disabled`` alone, 422 ``phone_number_alone`` beside another
field (docs/decisions/0756-what-the-phone-unit-adds-to-the-cores-pages-and-routes.md). The
route is the accounts' (tests/unit/accounts/test_patch_user_fields_of_a_unit.py); turning the
unit off needs the unit, so the test is the phone unit's and is taken out with it
(docs/decisions/0801-a-test-lives-with-the-unit-it-needs.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

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
