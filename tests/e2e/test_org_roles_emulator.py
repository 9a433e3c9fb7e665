"""An org's roles with permissions against gunicorn on the emulators: 30 grants racing the
granter's demotion leave no escalation behind, 30 edits of one role leave each holder with
the last definition (docs/decisions/0489-org-roles-with-permissions.md)."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from threading import Barrier
from typing import Any

import pytest
import requests

from domain.orgs.roles import Granter
from infrastructure.firestore.orgs.orgs import FirestoreOrgRepository
from tests.support.orgs import served_account
from tests.support.races import RACERS

pytestmark = pytest.mark.e2e
Auth = dict[str, str]


def call(method: str, url: str, auth: Auth, json: Any = None) -> requests.Response:
    return requests.request(method, url, headers=auth, json=json, timeout=60)


def org_of(url: str, firestore: Any, slug: str, members: int) -> tuple[Auth, str, list[str]]:
    """An org of a new owner and ``members`` new members: the owner's auth, the org's id,
    the members' ids."""
    _, owner = served_account(url, f"{slug}own")
    made = call("POST", f"{url}/orgs", owner, {"slug": slug, "name": slug})
    assert made.status_code == 201, made.text
    org_id: str = made.json()["id"]
    repository = FirestoreOrgRepository(firestore)
    now = datetime.now(UTC)
    ids = [f"{slug}-member-{i:02}" for i in range(members)]
    for user_id in ids:
        repository.add_member(org_id, user_id, ("member",), now, granter=Granter.operator())
    return owner, org_id, ids


def member_doc(firestore: Any, org_id: str, user_id: str) -> Any:
    return firestore.collection("orgs").document(org_id).collection("members").document(user_id)


def defined(firestore: Any, org_id: str) -> Any:
    """The org's roles' definitions as stored."""
    ref = firestore.collection("orgs").document(org_id).collection("definitions")
    return ref.document("roles").get().to_dict()["role_definitions"]


def test_30_grants_racing_the_granters_demotion_leave_no_escalation(
    gunicorn_url: str, firestore: Any
) -> None:
    url = gunicorn_url
    owner, org_id, ids = org_of(url, firestore, "grants", RACERS - 1)
    roles = f"{url}/orgs/{org_id}/roles"
    assert call("PUT", f"{roles}/billing", owner, {"permissions": ["pay"]}).status_code == 201
    assert call("PUT", f"{roles}/payer", owner, {"permissions": ["pay"]}).status_code == 201
    granter_id, granter = served_account(url, "granter")
    FirestoreOrgRepository(firestore).add_member(
        org_id, granter_id, ("admin", "payer"), datetime.now(UTC), granter=Granter.operator()
    )
    barrier = Barrier(RACERS)

    def act(i: int) -> requests.Response:
        barrier.wait()
        if i == 0:
            demoted = {"roles": ["admin"]}
            return call("PATCH", f"{url}/orgs/{org_id}/members/{granter_id}", owner, demoted)
        granted = {"roles": ["billing"]}
        return call("PATCH", f"{url}/orgs/{org_id}/members/{ids[i - 1]}", granter, granted)

    with ThreadPoolExecutor(RACERS) as pool:
        answers = list(pool.map(act, range(RACERS)))
    assert answers[0].status_code == 200, answers[0].text
    statuses = Counter(a.status_code for a in answers[1:])
    assert set(statuses) <= {200, 403}, [a.text for a in answers if a.status_code >= 300]
    assert {a.json()["code"] for a in answers if a.status_code == 403} <= {"permission_escalation"}
    demoted = member_doc(firestore, org_id, granter_id).get()
    assert demoted.to_dict()["permissions"] == []
    holders = []
    for user_id, answer in zip(ids, answers[1:], strict=True):
        snap = member_doc(firestore, org_id, user_id).get()
        holds = "billing" in snap.to_dict()["roles"]
        assert holds == (answer.status_code == 200)
        if holds:
            holders.append(snap)
            assert snap.to_dict()["permissions"] == ["pay"]
    # every grant committed while the granter still held ``pay``: before the demotion
    assert all(snap.update_time < demoted.update_time for snap in holders)


def test_30_edits_of_one_role_leave_each_holder_with_the_last(
    gunicorn_url: str, firestore: Any
) -> None:
    url = gunicorn_url
    owner, org_id, ids = org_of(url, firestore, "edits", 6)
    role = f"{url}/orgs/{org_id}/roles/billing"
    assert call("PUT", role, owner, {"permissions": ["pay"]}).status_code == 201
    for user_id in ids:
        granted = {"roles": ["member", "billing"]}
        assert call("PATCH", f"{url}/orgs/{org_id}/members/{user_id}", owner, granted).ok
    barrier = Barrier(RACERS)

    def act(i: int) -> requests.Response:
        barrier.wait()
        if i % 5 == 0:  # holders demoted and granted meanwhile
            roles = {"roles": ["member"] if i % 2 else ["billing"]}
            return call("PATCH", f"{url}/orgs/{org_id}/members/{ids[i % 6]}", owner, roles)
        return call("PUT", role, owner, {"permissions": [f"p{j}" for j in range(i % 7 + 1)]})

    with ThreadPoolExecutor(RACERS) as pool:
        answers = list(pool.map(act, range(RACERS)))
    assert {a.status_code for a in answers} == {200}, [a.text for a in answers if not a.ok]
    final = defined(firestore, org_id)["billing"]["permissions"]
    for user_id in ids:
        held = member_doc(firestore, org_id, user_id).get().to_dict()
        expected = final if "billing" in held["roles"] else []
        assert held["permissions"] == expected, user_id
