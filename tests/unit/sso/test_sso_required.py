"""An org that requires its single sign-on, on the fakes: ``PATCH /orgs/{org}`` with
``require_sso`` and ``sso_break_glass`` (owners only, an active connection first, owners
only as break-glass), and the sign-in step's refusal of a member on its verified domains by
password, second factor or page, while its connection, the break-glass owners, sessions that
exist and everyone else go on (docs/reference/sso.md, "Requiring single sign-on")."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest

from application.accounts.accounts import UpdateProfile
from application.accounts.services import AccountServices
from application.orgs.members.members import AddMember
from application.orgs.services import OrgServices
from application.signin.login import ChangePassword
from application.signin.services import SigninServices
from bootstrap.accounts import AccountsAdapters
from bootstrap.orgs import OrgsAdapters
from domain.errors import PermissionDenied
from tests.fakes.org_domains import FakeOrgDomains
from tests.support.api import PASSWORD, assert_field_error, assert_problem, bearer, login, register
from tests.support.app import app_time
from tests.support.pages import csrf
from tests.support.passkey_authenticator import add_passkey, passkey_sign_in
from tests.support.sso import idp_keys, onward, sso
from tests.support.sso_world import SamlSso

pytestmark = pytest.mark.unit
__all__ = ["idp_keys", "sso"]  # fixtures


def _person(sso: SamlSso, name: str, roles: tuple[str, ...] | None = ("member",)) -> str:
    """An account with a proven address on corp.example, a member with ``roles`` (None:
    none); its id."""
    made = register(sso.world.client, name, email=f"{name}@corp.example")
    users = sso.world.adapters.of(AccountsAdapters).users
    users.update(made["id"], lambda u: u.with_email_verified(u.updated_at))
    if roles is not None:
        sso.world.services.of(OrgServices).members.add_member(AddMember(sso.org_id, name, roles))
    return str(made["id"])


def _require(sso: SamlSso, **body: Any) -> Any:
    return sso.world.client.patch("/orgs/corp", json=body, headers=sso.owner)


def _password(sso: SamlSso, name: str, password: str = PASSWORD) -> Any:
    return sso.world.client.post("/login", json={"username": name, "password": password})


def test_turning_it_on_needs_an_active_connection_and_an_owner(sso: SamlSso) -> None:
    olga = sso.world.adapters.of(AccountsAdapters).users.find_by_login("olga")
    assert olga is not None
    _person(sso, "adam", ("admin",))
    admin = bearer(login(sso.world.client, "adam"))
    refused = sso.world.client.patch("/orgs/corp", json={"require_sso": True}, headers=admin)
    assert_problem(refused, 403, "org_permission_denied")
    sso.world.client.patch(
        f"/orgs/corp/connections/{sso.cid}", json={"status": "inactive"}, headers=sso.owner
    )
    assert_problem(_require(sso, require_sso=True), 409, "no_active_connection")
    sso.world.client.patch(
        f"/orgs/corp/connections/{sso.cid}", json={"status": "active"}, headers=sso.owner
    )
    on = _require(sso, require_sso=True, sso_break_glass=[olga.id])
    assert on.status_code == 200, on.get_json()
    assert (on.get_json()["require_sso"], on.get_json()["sso_break_glass"]) == (True, [olga.id])
    seen = sso.world.client.get("/orgs/corp", headers=sso.owner).get_json()
    assert (seen["require_sso"], seen["sso_break_glass"]) == (True, [olga.id])
    off = _require(sso, require_sso=False)
    assert off.status_code == 200 and off.get_json()["require_sso"] is False


def test_break_glass_names_owners_only(sso: SamlSso) -> None:
    member = _person(sso, "kim")
    assert_field_error(_require(sso, sso_break_glass=[member]), "sso_break_glass", "not_an_owner")
    assert_field_error(
        _require(sso, sso_break_glass=["nobody-of-this-org"]), "sso_break_glass", "not_an_owner"
    )
    for shape in ("olga", [1], ["../x"], [member, member]):
        answer = _require(sso, sso_break_glass=shape)
        assert answer.status_code == 422, (shape, answer.get_json())
    assert_problem(_require(sso, require_sso="yes"), 422, "validation_failed")
    assert_problem(_require(sso, require_sso=None), 422, "validation_failed")


def test_a_member_on_the_domain_is_refused_every_way_but_the_connection(sso: SamlSso) -> None:
    _person(sso, "kim")
    before = _password(sso, "kim")
    assert before.status_code == 200  # the org does not require it yet
    kept = bearer(before.get_json()["access_token"])
    refresh_token = before.get_json()["refresh_token"]
    assert _require(sso, require_sso=True).status_code == 200
    refused = assert_problem(_password(sso, "kim"), 403, "sso_required")
    assert refused["connection"] == sso.cid
    assert refused["url"].endswith(f"/sso/{sso.cid}/saml")
    assert "Corp requires its single sign-on" in refused["detail"]
    # a wrong password learns nothing of it
    assert_problem(_password(sso, "kim", "wrong password!"), 401, "invalid_credentials")
    # the session that exists goes on, and refreshes
    assert sso.world.client.get("/user", headers=kept).status_code == 200
    refreshed = sso.world.client.post("/auth/refresh", json={"refresh_token": refresh_token})
    assert refreshed.status_code == 200, refreshed.get_json()
    # the org's connection signs them in
    assert sso.sign_in(sso.world.app.test_client(), "kim@corp.example").status_code == 303


def test_the_page_sends_the_member_to_the_idp(sso: SamlSso) -> None:
    _person(sso, "kim")
    _require(sso, require_sso=True)
    browser = sso.world.app.test_client()
    token = csrf(browser, "/sign-in")
    sent = browser.post(
        "/sign-in?next=/account/orgs",
        data={"username": "kim@corp.example", "password": PASSWORD, "csrf_token": token},
    )
    location = urlsplit(onward(sent, 403))
    assert location.path == f"/sso/{sso.cid}/saml"
    assert parse_qs(location.query) == {"next": ["/account/orgs"]}
    assert browser.get("/account").status_code != 200  # not signed in by the password


def test_break_glass_owners_still_sign_in_and_other_owners_do_not(sso: SamlSso) -> None:
    glass = _person(sso, "gus", ("owner",))
    _person(sso, "ona", ("owner",))
    assert _require(sso, require_sso=True, sso_break_glass=[glass]).status_code == 200
    assert _password(sso, "gus").status_code == 200
    assert_problem(_password(sso, "ona"), 403, "sso_required")
    # demoted, gus is no break-glass owner any more
    demoted = sso.world.client.patch(
        f"/orgs/corp/members/{glass}", json={"roles": ["member"]}, headers=sso.owner
    )
    assert demoted.status_code == 200, demoted.get_json()
    assert_problem(_password(sso, "gus"), 403, "sso_required")


def test_only_members_with_an_address_on_the_domain_are_held(sso: SamlSso) -> None:
    _require(sso, require_sso=True)
    _person(sso, "nia", roles=None)  # on the domain, no member
    assert _password(sso, "nia").status_code == 200
    # A member whose address on the domain is unproven is held all the same: making one's
    # address unproven (a change of address) is no way out.
    register(sso.world.client, "uma", email="uma@corp.example")
    sso.world.services.of(OrgServices).members.add_member(AddMember(sso.org_id, "uma", ("member",)))
    assert_problem(_password(sso, "uma"), 403, "sso_required")
    # a member elsewhere (the owner olga's address is olga@example.com)
    assert _password(sso, "olga").status_code == 200


def test_a_held_member_cannot_leave_the_domain_by_a_change_of_address(sso: SamlSso) -> None:
    _person(sso, "kim")
    kim = bearer(login(sso.world.client, "kim"))
    assert _require(sso, require_sso=True).status_code == 200
    client = sso.world.client
    for address in ("kim@elsewhere.example", "kim@gmail.example"):
        refused = client.patch("/user", json={"email": address}, headers=kim)
        assert_problem(refused, 403, "address_held_by_org")
        put = client.put("/user", json={"email": address}, headers=kim)
        assert_problem(put, 403, "address_held_by_org")
    # Another address on the org's domains stays held: allowed, unproven, still held.
    moved = client.patch("/user", json={"email": "kim.k@corp.example"}, headers=kim)
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["email_verified"] is False
    assert_problem(_password(sso, "kim"), 403, "sso_required")
    # A member who leaves the org is no longer held: their address is theirs again.
    kim_id = client.get("/user", headers=kim).get_json()["id"]
    assert client.delete(f"/orgs/corp/members/{kim_id}", headers=kim).status_code == 204
    left = client.patch("/user", json={"email": "kim@elsewhere.example"}, headers=kim)
    assert left.status_code == 200, left.get_json()
    # An owner kept as break-glass is not held either.
    glass = _person(sso, "gus", ("owner",))
    assert _require(sso, sso_break_glass=[glass]).status_code == 200
    gus = bearer(login(client, "gus"))
    free = client.patch("/user", json={"email": "gus@elsewhere.example"}, headers=gus)
    assert free.status_code == 200, free.get_json()


def test_an_account_the_org_made_takes_no_address_or_password_from_the_person(
    sso: SamlSso,
) -> None:
    browser = sso.world.app.test_client()
    assert sso.sign_in(browser, "max@corp.example").status_code == 303  # made by its SSO
    users = sso.world.adapters.of(AccountsAdapters).users
    max_ = users.find_by_login("max@corp.example")
    assert max_ is not None and max_.password_hash is None
    services = sso.world.services
    # The org decides the address of an account it made, required or not.
    moving = UpdateProfile(max_.id, (("email", "max@elsewhere.example"),))
    with pytest.raises(PermissionDenied) as refused:
        services.of(AccountServices).accounts.update_profile(moving)
    assert refused.value.code == "managed_by_org"
    # With single sign-on required, no first password either (by the account or a reset).
    assert _require(sso, require_sso=True).status_code == 200
    first = ChangePassword(max_.id, "session", "", "a long new password 1", recent_sign_in=True)
    with pytest.raises(PermissionDenied) as denied:
        services.of(SigninServices).login.change_password(first)
    assert denied.value.code == "managed_by_org"
    assert (
        sso.world.client.post(
            "/auth/password/forgot", json={"email": "max@corp.example"}
        ).status_code
        == 202
    )
    sso.world.deliver()
    token = sso.world.token("max@corp.example", "/reset-password")
    reset = sso.world.client.post(
        "/auth/password/reset", json={"token": token, "new_password": "a long new password 1"}
    )
    assert_problem(reset, 403, "managed_by_org")
    kept = users.get(max_.id)
    assert kept is not None and kept.password_hash is None
    # Not required: the org's directory or a reset may give it one, as before.
    assert _require(sso, require_sso=False).status_code == 200
    services.of(SigninServices).login.change_password(first)
    given = users.get(max_.id)
    assert given is not None and given.password_hash is not None


def test_with_no_active_connection_left_nobody_is_locked_out(sso: SamlSso) -> None:
    _person(sso, "kim")
    _require(sso, require_sso=True)
    assert_problem(_password(sso, "kim"), 403, "sso_required")
    sso.world.client.patch(
        f"/orgs/corp/connections/{sso.cid}", json={"status": "inactive"}, headers=sso.owner
    )
    assert _password(sso, "kim").status_code == 200


def test_a_second_factor_after_the_connection_signs_in_and_after_a_password_does_not(
    sso: SamlSso,
) -> None:
    _person(sso, "kim")
    token = login(sso.world.client, "kim")
    started = sso.world.client.post(
        "/auth/mfa/totp", json={"password": PASSWORD}, headers=bearer(token)
    )
    secret = started.get_json()["secret"]
    confirmed = sso.world.client.post(
        "/auth/mfa/totp/confirm",
        json={"code": pyotp.TOTP(secret).at(app_time(sso.world.client))},
        headers=bearer(token),
    )
    assert confirmed.status_code == 200, confirmed.get_json()
    codes: list[str] = confirmed.get_json()["recovery_codes"]
    _require(sso, require_sso=True)
    # the connection, then the second step: signed in
    browser = sso.world.app.test_client()
    arrived = sso.sign_in(browser, "kim@corp.example")
    assert urlsplit(arrived.headers["Location"]).path == "/sign-in/mfa"
    second = browser.post(
        "/sign-in/mfa?next=/account",
        data={"recovery_code": codes[0], "csrf_token": csrf(browser, "/sign-in/mfa")},
    )
    assert second.status_code == 303 and second.headers["Location"] == "/account"
    assert browser.get("/account").status_code == 200
    # a password, then the second step: refused, to the IdP
    first = assert_problem(_password(sso, "kim"), 401, "mfa_required")
    refused = sso.world.client.post(
        "/login/mfa", json={"mfa_token": first["mfa_token"], "recovery_code": codes[1]}
    )
    assert_problem(refused, 403, "sso_required")


def test_the_check_costs_one_read_of_a_domain_while_any_org_has_sso(sso: SamlSso) -> None:
    """An address on no org's domain, proven or not: its domain's claim, once per sign-in
    (while no org has single sign-on, nothing: see tests/unit/orgs/test_org_joining_http.py)."""
    domains = sso.world.adapters.of(OrgsAdapters).domains
    assert isinstance(domains, FakeOrgDomains)
    made = register(sso.world.client, "max", email="max@elsewhere.example")
    sso.world.adapters.of(AccountsAdapters).users.update(
        made["id"], lambda u: u.with_email_verified(u.updated_at)
    )
    before = domains.holder_reads
    assert _password(sso, "max").status_code == 200
    assert domains.holder_reads == before + 1
    register(sso.world.client, "uri", email="uri@elsewhere.example")  # unproven
    assert _password(sso, "uri").status_code == 200
    assert domains.holder_reads == before + 2


def test_a_passkey_is_refused_and_the_pages_script_is_sent_to_the_idp(sso: SamlSso) -> None:
    _person(sso, "kim")
    key = add_passkey(sso.world.client, login(sso.world.client, "kim"))
    assert passkey_sign_in(sso.world.client, key).status_code == 200
    _require(sso, require_sso=True)
    assert_problem(passkey_sign_in(sso.world.client, key), 403, "sso_required")
    # the sign-in page's script: a JSON refusal whose Location is the org's single sign-on
    browser = sso.world.app.test_client()
    headers = {"Accept": "application/json", "X-CSRF-Token": csrf(browser, "/sign-in")}
    options = browser.post("/sign-in/passkey/options", headers=headers)
    refused = browser.post(
        "/sign-in/passkey?next=/account/orgs", json=key.sign_in(options.get_json()), headers=headers
    )
    assert refused.status_code == 403 and refused.get_json()["code"] == "sso_required"
    location = urlsplit(refused.headers["Location"])
    assert location.path == f"/sso/{sso.cid}/saml"
    assert parse_qs(location.query) == {"next": ["/account/orgs"]}
    assert browser.get("/account").status_code != 200
