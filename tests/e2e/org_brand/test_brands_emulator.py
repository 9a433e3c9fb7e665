"""The orgs' brands on the Firestore emulator (docs/reference/org-brand.md,
docs/decisions/0886-what-a-brand-may-not-look-like.md): a brand and the claim of its name in
one commit; thirty orgs taking one name at once, one wins and the others get 409
``brand_look_alike``; a renamed or deleted brand frees its name; a purged org takes its
brand and claims with it; the logo's bytes served as stored."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from domain.accounts.credentials import look_alike_key
from infrastructure.firestore.org_brand.brands import BRANDS, NAMES, FirestoreBrands, claim_id
from tests.support.api import bearer, login, register
from tests.support.races import RACERS, Call, race, statuses
from tests.unit.org_brand.fakes import PNG, PNG_BYTES

pytestmark = pytest.mark.e2e

Auth = dict[str, str]


def brand(name: str) -> dict[str, str]:
    return {"display_name": name, "logo_url": PNG, "color": "#7b1fa2"}


def orgs_of_alice(app: Flask, count: int) -> tuple[Auth, list[str]]:
    """alice's orgs org-00, org-01, ...: her header and their ids."""
    client = app.test_client()
    register(client, "alice")
    auth = bearer(login(client, "alice"))
    ids = []
    for n in range(count):
        made = client.post("/orgs", json={"slug": f"org-{n:02}", "name": f"Org {n}"}, headers=auth)
        assert made.status_code == 201, made.get_json()
        ids.append(made.get_json()["id"])
    return auth, ids


def claims(firestore: Any) -> dict[str, str]:
    return {
        snap.to_dict()["key"]: snap.to_dict()["org_id"]
        for snap in firestore.collection(NAMES).stream()
    }


def test_thirty_orgs_racing_for_one_name_one_wins(real_app: Flask, firestore: Any) -> None:
    auth, ids = orgs_of_alice(real_app, RACERS)

    def taking(n: int) -> Call:
        body = brand("Zenith Rockets")
        return lambda client: client.put(f"/orgs/org-{n:02}/brand", json=body, headers=auth)

    outcomes = race(real_app, [taking(n) for n in range(RACERS)])
    assert statuses(outcomes) == {200: 1, 409: RACERS - 1}
    assert {o.code for o in outcomes if o.status == 409} == {"brand_look_alike"}
    [winner] = [ids[n] for n, o in enumerate(outcomes) if o.status == 200]
    assert claims(firestore) == {look_alike_key("Zenith Rockets"): winner}
    assert [snap.id for snap in firestore.collection(BRANDS).stream()] == [winner]


def test_a_new_name_frees_the_old_and_a_deletion_frees_it(real_app: Flask, firestore: Any) -> None:
    auth, ids = orgs_of_alice(real_app, 2)
    client = real_app.test_client()
    assert client.put("/orgs/org-00/brand", json=brand("Zenith"), headers=auth).status_code == 200
    taken = client.put("/orgs/org-01/brand", json=brand("ZENITH"), headers=auth)
    assert taken.status_code == 409 and taken.get_json()["code"] == "brand_look_alike"
    assert client.put("/orgs/org-00/brand", json=brand("Nadir"), headers=auth).status_code == 200
    assert client.put("/orgs/org-01/brand", json=brand("Zenith"), headers=auth).status_code == 200
    assert claims(firestore) == {"nadir": ids[0], look_alike_key("Zenith"): ids[1]}
    assert client.delete("/orgs/org-00/brand", headers=auth).status_code == 204
    assert claims(firestore) == {look_alike_key("Zenith"): ids[1]}
    got = client.get("/orgs/org-01/brand", headers=auth).get_json()
    logo = client.get(got["logo_url"])
    assert logo.status_code == 200 and logo.data == PNG_BYTES and logo.mimetype == "image/png"


def test_a_purged_org_takes_its_brand_and_claims(real_app: Flask, firestore: Any) -> None:
    auth, ids = orgs_of_alice(real_app, 1)
    client = real_app.test_client()
    assert client.put("/orgs/org-00/brand", json=brand("Zenith"), headers=auth).status_code == 200
    firestore.collection(NAMES).document(claim_id("stray")).set({"org_id": ids[0], "key": "x"})
    FirestoreBrands(firestore).delete_owned_by_org(ids[0], batch_size=10)
    assert claims(firestore) == {}
    assert list(firestore.collection(BRANDS).stream()) == []


def test_names_no_document_can_hold_are_no_org_never_a_500(real_app: Flask) -> None:
    client = real_app.test_client()
    for nobody in ("__reserved__", "x" * 2000, "..."):
        answer = client.get(f"/orgs/{nobody}/brand/logo")
        assert answer.status_code == 404 and answer.get_json()["code"] == "brand_not_found"
        assert client.get(f"/sign-in?org={nobody}").status_code == 200
