"""Firebase's anonymous users, imported on the fakes (docs/migrating.md, "Anonymous users"):
a user of a ``firebase auth:export`` file with no address, password, phone number or
provider comes in as a guest keeping its uid, its Firebase identity linked, so the app's
next ``POST /auth/firebase`` signs the same guest in; a later import leaves it as it is."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.accounts.guest.part import Guest
from tests.support.app import World
from tests.support.dpop import claims_of
from tests.support.foreign_users import FirebaseProject, write_firebase_export

pytestmark = pytest.mark.unit
UID = "anonUid0000000000001"

ANONYMOUS: dict[str, Any] = {
    "localId": "anonUid0000000000001",
    "createdAt": "1700000000000",
    "providerUserInfo": [],
}
PERSON: dict[str, Any] = {
    "localId": "personUid00000000001",
    "email": "ada@example.com",
    "emailVerified": True,
    "displayName": "Ada",
    "createdAt": "1700000000000",
    "providerUserInfo": [{"providerId": "password", "rawId": "ada@example.com"}],
}


def run(world: World, *args: str) -> dict[str, Any]:
    result = world.app.test_cli_runner().invoke(args=["users", *args])
    found: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return found


def import_firebase(world: World, path: Path, users: list[dict[str, Any]]) -> dict[str, Any]:
    export = write_firebase_export(path, users)
    options = FirebaseProject.random(mem_cost=10).options()
    return run(world, "import", str(export), "--format", "firebase", *options)


def test_an_anonymous_user_comes_in_as_a_guest_keeping_its_uid(tmp_path: Path) -> None:
    world = World(guest_accounts=True)
    summary = import_firebase(world, tmp_path / "users.json", [ANONYMOUS, PERSON])
    assert (summary["imported"], summary["failed"]) == (2, 0), summary
    guest = world.store.users[UID]
    assert guest.part(Guest).is_guest and guest.username is None and guest.email is None
    assert guest.password_hash is None
    assert guest.part(Guest).expires_at == world.clock.now() + timedelta(days=30)
    assert guest.created_at.year == 2023  # Firebase's createdAt
    assert world.store.identities[f"firebase:{ANONYMOUS['localId']}"] == ANONYMOUS["localId"]
    person = world.store.users["personUid00000000001"]
    assert not person.part(Guest).is_guest and person.shown_name == "Ada"
    assert list(world.store.usernames.values()) == [PERSON["localId"]]

    # The app's anonymous user, still signed in to Firebase, trades its ID token: the guest.
    id_token = world.verifier.issue(ANONYMOUS["localId"])
    answer = world.client.post("/auth/firebase", json={"id_token": id_token})
    assert answer.status_code == 200, answer.get_json()
    claims = claims_of(answer.get_json()["access_token"])
    assert (claims["sub"], claims["guest"]) == (ANONYMOUS["localId"], True)


def test_a_later_import_leaves_the_guest_a_guest(tmp_path: Path) -> None:
    world = World(guest_accounts=True)
    import_firebase(world, tmp_path / "users.json", [ANONYMOUS])
    again = import_firebase(world, tmp_path / "again.json", [ANONYMOUS])
    assert again["failed"] == 0, again
    guest = world.store.users[UID]
    assert guest.part(Guest).is_guest and guest.username is None and world.store.usernames == {}
