"""firegate's rules library on the emulators (docs/organizations.md, "Permissions in
firestore.rules"): the shipped firestore.rules, whose ``org_invoices`` rule is the guide's,
let a member read an org's invoices when one of their roles carries ``invoices:read``, and
refuse at the very next read a permission taken away or a membership removed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.firebase_client import in_org, load_rules, person
from tests.support.orgs import add_org, remove_member, set_member

pytestmark = pytest.mark.e2e
RULES = Path(__file__).resolve().parents[2] / "firestore.rules"
INVOICE = "org_invoices/{org}/2026/q3"


@pytest.fixture
def rules(clean_emulators: Any) -> Any:
    load_rules(clean_emulators, RULES.read_text(encoding="utf-8"))
    return clean_emulators


def grant(firestore: Any, org_id: str, user_id: str, permissions: tuple[str, ...]) -> None:
    """The member's roles' permissions, resolved on their membership, as the org repository
    writes them: at a new version."""
    set_member(firestore, org_id, user_id, ("member", "clerk"))
    member = firestore.document(f"orgs/{org_id}/members/{user_id}")
    member.update({"permissions": sorted(permissions)})


@pytest.mark.timeout(180)
def test_a_permission_opens_an_orgs_invoices_until_taken_away(
    gunicorn_url: str, rules: Any, firestore: Any
) -> None:
    alice, bob, carol = (person(gunicorn_url, rules, name) for name in ("alice", "bob", "carol"))
    org_id = add_org(firestore, "acme", {carol.user_id: ("owner",)})
    other = add_org(firestore, "other", {})
    grant(firestore, org_id, alice.user_id, ("invoices:read",))
    grant(firestore, org_id, bob.user_id, ("reports:read",))
    grant(firestore, org_id, carol.user_id, ("invoices:read", "invoices:write"))
    grant(firestore, other, alice.user_id, ("invoices:read",))
    invoice = INVOICE.format(org=org_id)
    firestore.document(invoice).set({"name": "Q3"})
    firestore.document(INVOICE.format(org=other)).set({"name": "other"})
    for someone in (alice, bob, carol):
        in_org(someone, "acme")
        someone.sign_in_to_firebase()

    assert alice.read(invoice).status_code == 200
    assert alice.write(invoice, "mallory").status_code == 403  # no invoices:write
    assert bob.read(invoice).status_code == 403  # another permission only
    assert carol.write(invoice, "Q3 paid").status_code == 200
    assert alice.read(INVOICE.format(org=other)).status_code == 403  # not the active org
    assert alice.read(f"orgs/{org_id}/members/{alice.user_id}").status_code == 403

    # The permission taken off the membership, its version unchanged: the next read is refused.
    firestore.document(f"orgs/{org_id}/members/{alice.user_id}").update({"permissions": []})
    assert alice.read(invoice).status_code == 403
    # Given back through a role at a new version: refused until a new custom token.
    grant(firestore, org_id, alice.user_id, ("invoices:read",))
    assert alice.read(invoice).status_code == 403
    alice.sign_in_to_firebase()
    assert alice.read(invoice).status_code == 200

    # The membership removed: the very next read is refused.
    remove_member(firestore, org_id, carol.user_id)
    assert carol.read(invoice).status_code == 403
    assert carol.write(invoice, "ghost").status_code == 403
    assert firestore.document(invoice).get().to_dict() == {"name": "Q3 paid"}
