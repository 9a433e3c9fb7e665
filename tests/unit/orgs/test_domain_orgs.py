"""The organizations' domain rules: slugs, names, roles, permissions and the last owner."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from domain.errors import Conflict, InvalidInput, PermissionDenied
from domain.orgs.orgs import (
    CUSTOM_ROLES_MAX,
    Membership,
    Org,
    OrgRole,
    Slug,
    allowed,
    checked_custom_roles,
    checked_name,
    checked_roles,
    is_slug_shaped,
    new_member_version,
    new_org_id,
    owners_after,
    owners_change,
    require,
)
from domain.orgs.roles import Permission

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def member(*roles: str, user_id: str = "u1") -> Membership:
    return Membership("o1", user_id, roles, 1, NOW, NOW)


@pytest.mark.parametrize("value", ["acme", "acme-inc", "a1b", "x" * 40, "123"])
def test_a_slug_is_three_to_forty_of_lower_case_letters_digits_and_dashes(value: str) -> None:
    assert Slug(value).value == value


@pytest.mark.parametrize("value", ["ab", "x" * 41, "Acme", "acme_inc", "acmé", "ac me", ""])
def test_any_other_slug_is_refused_by_its_field(value: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Slug(value)
    assert caught.value.code == "invalid_slug"
    assert caught.value.errors[0].field == "slug"


@pytest.mark.parametrize("value", ["join", "invitations", "new", "suggested"])
def test_a_path_under_orgs_is_no_slug(value: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Slug(value)
    assert caught.value.code == "reserved_slug"


def test_look_alike_slugs_share_their_key_as_usernames_do() -> None:
    assert Slug("g00gle").normalized == Slug("google").normalized
    assert Slug("paypa1").normalized == Slug("paypal").normalized
    assert Slug("acme").normalized != Slug("acne").normalized


def test_an_org_id_is_never_shaped_like_a_slug(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn = iter(["abcdefghijklmnopqrstuv", "abc-def-ghi-jkl-mno-pq", "Abcdefghijklmnopqrstuv"])
    monkeypatch.setattr("domain.orgs.orgs.new_id", lambda: next(drawn))
    assert new_org_id() == "Abcdefghijklmnopqrstuv"  # the slug-shaped draws are skipped
    monkeypatch.undo()
    assert not any(is_slug_shaped(new_org_id()) for _ in range(200))


def test_a_name_is_trimmed_and_needs_a_character_and_no_control_one() -> None:
    assert checked_name("  Acme Inc. ") == "Acme Inc."
    for bad in ["", "   ", None, 3, "Acme\x00", "x" * 101]:
        with pytest.raises(InvalidInput):
            checked_name(bad)


def test_roles_are_firegates_and_the_orgs_own_each_once() -> None:
    assert checked_roles(["member", "billing"], ["billing"]) == ("member", "billing")
    with pytest.raises(InvalidInput) as caught:
        checked_roles(["billing"], [])
    assert caught.value.code == "unknown_role"
    for bad in [[], "member", ["member", "member"], [1], None]:
        with pytest.raises(InvalidInput):
            checked_roles(bad, [])


def test_custom_roles_are_at_most_fifty_names_and_never_a_built_in_one() -> None:
    assert checked_custom_roles(["billing", "app:reader", "a.b-c_d"]) == (
        "billing",
        "app:reader",
        "a.b-c_d",
    )
    too_many = [f"r{i}" for i in range(CUSTOM_ROLES_MAX + 1)]
    for bad in [too_many, ["Admin2"], ["x" * 41], ["owner"], ["a", "a"], "billing", [""]]:
        with pytest.raises(InvalidInput) as caught:
            checked_custom_roles(bad)
        assert caught.value.code == "invalid_custom_roles"


def test_members_read_admins_manage_members_and_the_org_owners_everything() -> None:
    assert allowed(["member"], Permission.READ)
    assert not allowed(["member"], Permission.MANAGE_MEMBERS)
    assert allowed(["admin"], Permission.MANAGE_MEMBERS)
    assert allowed(["admin"], Permission.MANAGE_ORG)
    assert not allowed(["admin"], Permission.MANAGE_OWNERS)
    assert not allowed(["admin"], Permission.DELETE_ORG)
    assert all(allowed(["owner"], permission) for permission in Permission)
    assert not allowed(["billing"], Permission.READ)  # an org's own role grants nothing
    with pytest.raises(PermissionDenied) as caught:
        require(["member", "billing"], Permission.MANAGE_ORG)
    assert caught.value.code == "org_permission_denied"


def test_the_last_owner_can_neither_leave_nor_be_demoted() -> None:
    org = Org.create(Slug("acme"), "Acme", NOW)
    assert org.owners == 1
    owner = member(OrgRole.OWNER)
    for after in [None, member(OrgRole.ADMIN)]:
        with pytest.raises(Conflict) as caught:
            owners_after(org, owner, after)
        assert caught.value.code == "last_owner"
    assert owners_after(org, None, member(OrgRole.OWNER, user_id="u2")) == 2
    assert owners_after(org, member(OrgRole.MEMBER), None) == 1
    two = replace(org, owners=2)
    assert owners_after(two, owner, None) == 1


def test_a_membership_version_is_new_each_time_and_fits_a_json_number() -> None:
    versions = [new_member_version() for _ in range(1000)]
    assert len(set(versions)) == 1000
    assert all(0 < v < 2**53 for v in versions)


def test_only_making_demoting_or_removing_an_owner_changes_the_owners() -> None:
    owner, plain = member(OrgRole.OWNER), member(OrgRole.MEMBER)
    assert owners_change(None, owner) and owners_change(owner, plain)
    assert owners_change(owner, None)
    assert not owners_change(None, plain) and not owners_change(plain, member(OrgRole.ADMIN))
    assert not owners_change(plain, None) and not owners_change(owner, owner)
