"""Signing in through an org's SAML connection on the fakes, against pysaml2's own IdP:
replays and other browsers refused, a switched-off connection starting nothing
(docs/reference/sso.md, "Signing in"). Which account the person gets is tested for both
kinds of connection in tests/unit/sso/test_sso_accounts.py."""

from __future__ import annotations

import pytest

from tests.support.sso import idp_keys, sso
from tests.support.sso_world import SamlSso, signed_in

pytestmark = pytest.mark.unit
__all__ = ["idp_keys", "sso"]  # fixtures


def test_a_replayed_or_foreign_answer_signs_nobody_in(sso: SamlSso) -> None:
    browser = sso.world.app.test_client()
    start = browser.get(f"/sso/{sso.cid}/saml")
    request = sso.idp.request_of(start.headers["Location"])
    xml = sso.response(request.message.id, "ada@corp.example")
    # Another browser, which started nothing, cannot use this browser's answer.
    thief = sso.world.app.test_client()
    assert sso.post(thief, xml).status_code == 401
    assert not signed_in(thief)
    assert sso.post(browser, xml).status_code == 303
    # Its flight is spent, and so is the assertion.
    assert sso.post(browser, xml).status_code == 401
    other = sso.world.app.test_client()
    other.get(f"/sso/{sso.cid}/saml")
    assert sso.post(other, xml).status_code == 401


def test_a_switched_off_connection_starts_nothing(sso: SamlSso) -> None:
    off = sso.world.client.patch(
        f"/orgs/corp/connections/{sso.cid}", json={"status": "inactive"}, headers=sso.owner
    )
    assert off.status_code == 200
    assert sso.world.app.test_client().get(f"/sso/{sso.cid}/saml").status_code == 404
