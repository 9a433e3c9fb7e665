"""Security events as OCSF 1.5.0 events (domain/log_streams/ocsf.py): every type is its
class's event and valid against the pinned schema, firegate's fields in ``unmapped``
(docs/reference/log-streams-ocsf.md)."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from application.events.security_events import EVENT_TYPES
from domain.events.security_events import SecurityEvent
from domain.log_streams.ocsf import (
    ACCOUNT_CHANGE,
    AUTHENTICATION,
    CLASS_NAMES,
    MAPPINGS,
    SEVERITY_NAMES,
    USER_ACCESS,
    mapping_of,
    ocsf_event,
)
from tests.support.ocsf import CLASSES, HERE, ValidationError, validate_ocsf, validator

pytestmark = pytest.mark.unit

PAGE = Path(__file__).resolve().parents[3] / "docs" / "reference" / "log-streams-ocsf.md"
AT = datetime(2026, 5, 1, 12, 3, 10, 201317, tzinfo=UTC)
PRODUCT = {"product_name": "firegate", "product_version": "1.0.0"}


def event(kind: str = "signin.succeeded", **fields: Any) -> SecurityEvent:
    return SecurityEvent(id="e1", at=AT, type=kind, user_id="u1", **fields)


def full(kind: str, **fields: Any) -> SecurityEvent:
    """An event with every field set."""
    every: dict[str, Any] = {
        "ip": "203.0.113.7",
        "user_agent": "curl/8.5.0",
        "device_id": "d1",
        "actor_id": "a1",
        "reason": "r1",
        "session_id": "s1",
        "org_id": "o1",
        "method": "password",
        "via": "scim",
        "subject_id": "u2",
        "minutes": 30,
    }
    return event(kind, **{**every, **fields})


def ocsf(source: SecurityEvent) -> dict[str, Any]:
    return ocsf_event(source, **PRODUCT)


# -- every type ------------------------------------------------------------------------------


def test_the_table_has_every_type_of_the_events() -> None:
    assert sorted(MAPPINGS) == sorted(EVENT_TYPES)


@pytest.mark.parametrize("kind", EVENT_TYPES)
@pytest.mark.parametrize("outcome", ["success", "failure"])
def test_each_type_is_a_valid_event_of_its_class(kind: str, outcome: str) -> None:
    mapping = MAPPINGS[kind]
    for source in (event(kind, outcome=outcome), full(kind, outcome=outcome)):
        body = ocsf(source)
        validate_ocsf(body)
        assert body["class_uid"] == mapping.class_uid
        assert body["class_uid"] in (AUTHENTICATION, ACCOUNT_CHANGE, USER_ACCESS)
        assert body["activity_id"] == mapping.activity_id
        assert body["type_uid"] == body["class_uid"] * 100 + body["activity_id"]
        assert body["unmapped"]["type"] == kind


@settings(max_examples=100, deadline=None)
@given(
    kind=st.one_of(st.sampled_from(EVENT_TYPES), st.text(max_size=30)),
    outcome=st.sampled_from(["success", "failure", "", "partial"]),
    text=st.one_of(st.none(), st.text(max_size=20)),
    ip=st.one_of(st.none(), st.ip_addresses().map(str), st.text(max_size=20)),
    minutes=st.one_of(st.none(), st.integers(min_value=-(2**40), max_value=2**40)),
    at=st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2999, 1, 1)),
)
def test_any_event_is_a_valid_event_and_nothing_raises(
    *, kind: str, outcome: str, text: str | None, ip: str | None, minutes: int | None, at: datetime
) -> None:
    source = SecurityEvent(
        id=text or "e1",
        at=at,
        type=kind,
        user_id=text or "u1",
        outcome=outcome,
        ip=ip,
        user_agent=text,
        actor_id=text,
        reason=text,
        session_id=text,
        org_id=text,
        method=text,
        via=text,
        subject_id=text,
        minutes=minutes,
    )
    validate_ocsf(ocsf(source))


# -- what every event carries ----------------------------------------------------------------


def test_every_event_names_its_version_product_id_and_time_in_milliseconds() -> None:
    body = ocsf(event())
    assert body["metadata"] == {
        "version": "1.5.0",
        "uid": "e1",
        "product": {"name": "firegate", "vendor_name": "firegate", "version": "1.0.0"},
    }
    assert body["time"] == 1777636990201  # 2026-05-01T12:03:10.201Z
    assert (body["category_uid"], body["severity_id"], body["status_id"]) == (3, 1, 1)
    assert (body["class_name"], body["activity_name"]) == ("Authentication", "Logon")
    assert body["type_name"] == "Authentication: Logon"


def test_a_time_without_its_zone_is_utc() -> None:
    naive = SecurityEvent(id="e1", at=AT.replace(tzinfo=None), type="user.created", user_id="u")
    assert ocsf(naive)["time"] == ocsf(event("user.created"))["time"]


def test_firegate_s_own_fields_are_in_unmapped_when_set() -> None:
    assert ocsf(event())["unmapped"] == {"type": "signin.succeeded"}
    assert ocsf(full("impersonation.started"))["unmapped"] == {
        "type": "impersonation.started",
        "org_id": "o1",
        "method": "password",
        "via": "scim",
        "reason": "r1",
        "subject_id": "u2",
        "minutes": 30,
        "device_id": "d1",
    }


def test_the_address_and_user_agent_of_the_request() -> None:
    body = ocsf(event(ip="2001:db8::7", user_agent="Mozilla/5.0"))
    assert body["src_endpoint"] == {"ip": "2001:db8::7"}
    assert body["http_request"] == {"user_agent": "Mozilla/5.0"}
    bare = ocsf(event())
    assert "src_endpoint" not in bare and "http_request" not in bare


def test_what_is_no_ip_address_stays_in_unmapped() -> None:
    body = ocsf(event(ip="not an address"))
    assert "src_endpoint" not in body
    assert body["unmapped"]["ip"] == "not an address"
    validate_ocsf(body)


def test_the_org_is_the_tenant() -> None:
    assert ocsf(event("org.updated", org_id="o1"))["metadata"]["tenant_uid"] == "o1"
    assert "tenant_uid" not in ocsf(event("org.updated"))["metadata"]


def test_a_failure_is_a_failure_with_its_reason_and_at_least_low() -> None:
    body = ocsf(event("signin.failed", outcome="failure", reason="wrong_password"))
    assert (body["status_id"], body["status"], body["status_detail"]) == (
        2,
        "Failure",
        "wrong_password",
    )
    assert (body["severity_id"], body["severity"]) == (2, "Low")
    medium = ocsf(event("password.breached", outcome="failure"))
    assert medium["severity_id"] == 3


def test_a_success_s_reason_is_no_status_detail() -> None:
    body = ocsf(event("impersonation.started", reason="the admin's own words", actor_id="a1"))
    assert "status_detail" not in body
    assert body["unmapped"]["reason"] == "the admin's own words"


def test_an_unknown_outcome_is_another_status() -> None:
    body = ocsf(event(outcome="partial"))
    assert (body["status_id"], body["status"]) == (99, "partial")


# -- Authentication -------------------------------------------------------------------------


def test_a_sign_in_names_its_service_session_protocol_and_factor() -> None:
    body = ocsf(event(method="password", session_id="s1"))
    assert body["service"] == {"name": "firegate", "version": "1.0.0"}
    assert body["session"] == {"uid": "s1"}
    assert (body["auth_protocol_id"], body["auth_protocol"]) == (99, "Password")
    assert body["auth_factors"] == [{"factor_type_id": 11, "factor_type": "Password"}]
    assert "is_mfa" not in body  # the event does not say whether a second factor followed
    assert "actor" not in body


def test_a_passkey_is_multi_factor_and_webauthn() -> None:
    body = ocsf(event(method="passkey"))
    assert body["is_mfa"] is True
    assert body["auth_factors"] == [{"factor_type_id": 10, "factor_type": "WebAuthn"}]


def test_a_single_sign_on_names_no_protocol_it_does_not_know() -> None:
    body = ocsf(event(method="sso", reason="conn1", org_id="o1"))
    assert (body["auth_protocol_id"], body["auth_protocol"]) == (99, "SSO")
    assert "auth_factors" not in body
    assert body["unmapped"]["reason"] == "conn1"


def test_a_new_device_is_a_new_logon_not_a_second_logon() -> None:
    body = ocsf(event("signin.new_device"))
    assert (body["activity_id"], body["activity_name"], body["is_new_logon"]) == (
        99,
        "New Device",
        True,
    )


def test_sessions_ended_by_an_admin_name_the_admin() -> None:
    body = ocsf(event("session.ended", actor_id="a1"))
    assert (body["activity_name"], body["actor"]) == ("Logoff", {"user": {"uid": "a1"}})
    assert "actor" not in ocsf(event("session.ended", actor_id="u1"))


# -- Account Change and User Access Management ----------------------------------------------


def test_the_actor_is_the_admin_the_directory_or_the_owner() -> None:
    assert ocsf(event("user.disabled", actor_id="a1"))["actor"] == {"user": {"uid": "a1"}}
    assert ocsf(event("user.disabled", via="scim"))["actor"] == {"app_name": "scim"}
    owner = ocsf(event("password.changed", session_id="s1"))
    assert owner["actor"] == {"user": {"uid": "u1"}, "session": {"uid": "s1"}}
    assert owner["user"] == {"uid": "u1"}
    assert "session" not in owner


def test_a_membership_is_a_privilege_given_in_the_org() -> None:
    body = ocsf(event("org.member_added", org_id="o1", via="sso"))
    assert (body["class_uid"], body["activity_name"]) == (USER_ACCESS, "Assign Privileges")
    assert body["privileges"] == ["org_member"]
    assert body["resources"] == [{"type": "org", "uid": "o1"}]
    assert ocsf(event("org.member_removed", org_id="o1"))["activity_id"] == 2


def test_an_org_s_settings_give_no_privilege_and_name_their_resource() -> None:
    body = ocsf(event("org.sso_connection_activated", org_id="o1", reason="conn1"))
    assert (body["activity_id"], body["activity_name"]) == (99, "SSO Connection Activated")
    assert body["privileges"] == []
    assert body["resources"] == [
        {"type": "org", "uid": "o1"},
        {"type": "sso_connection", "uid": "conn1"},
    ]


def test_an_app_s_access_names_the_app_but_a_revocation_s_reason_is_no_app() -> None:
    granted = ocsf(event("oauth.granted", reason="client1"))
    assert granted["resources"] == [{"type": "oauth_client", "uid": "client1"}]
    revoked = ocsf(event("oauth.revoked", outcome="failure", reason="reused_refresh_token"))
    assert (revoked["activity_name"], revoked["status_detail"]) == (
        "Revoke Privileges",
        "reused_refresh_token",
    )
    assert "resources" not in revoked


def test_support_access_reads_alike_on_both_records() -> None:
    on_person = ocsf(event("impersonation.started", actor_id="admin", reason="ticket 7"))
    on_admin = ocsf(
        SecurityEvent(
            id="e2", at=AT, type="impersonation.started", user_id="admin", subject_id="u1"
        )
    )
    for body in (on_person, on_admin):
        assert body["user"] == {"uid": "admin"}
        assert body["actor"] == {"user": {"uid": "admin"}}
        assert body["resources"] == [{"type": "user", "uid": "u1"}]
        assert body["privileges"] == ["support_access"]
    ended = ocsf(event("impersonation.ended", actor_id="admin"))
    assert ended["activity_name"] == "Revoke Privileges"


def test_a_factor_is_an_mfa_factor_and_a_password_its_own_activity() -> None:
    assert ocsf(event("passkey.added"))["activity_name"] == "MFA Factor Enable"
    assert ocsf(event("mfa.disabled"))["activity_name"] == "MFA Factor Disable"
    assert ocsf(event("password.reset"))["activity_name"] == "Password Reset"
    assert ocsf(event("email.changed"))["activity_name"] == "Email Change"


# -- types the table does not know ----------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "class_uid"),
    [
        ("signin.something_new", AUTHENTICATION),
        ("session.something_new", AUTHENTICATION),
        ("org.log_stream_created", USER_ACCESS),
        ("ssf.stream_created", ACCOUNT_CHANGE),
        ("", ACCOUNT_CHANGE),
    ],
)
def test_an_unknown_type_is_an_other_activity_of_its_prefix_s_class(
    kind: str, class_uid: int
) -> None:
    assert kind not in MAPPINGS
    body = ocsf(event(kind))
    validate_ocsf(body)
    assert (body["class_uid"], body["activity_id"], body["activity_name"]) == (
        class_uid,
        99,
        kind,
    )
    assert mapping_of(kind).class_uid == class_uid


# -- the pinned schema is live --------------------------------------------------------------


def _without(body: dict[str, Any], path: str) -> dict[str, Any]:
    broken = copy.deepcopy(body)
    *parents, last = path.split(".")
    target = broken
    for name in parents:
        target = target[name]
    del target[last]
    return broken


@pytest.mark.parametrize(
    ("kind", "missing"),
    [
        ("signin.succeeded", "time"),
        ("signin.succeeded", "user"),
        ("signin.succeeded", "service"),  # Authentication: a service or a dst_endpoint
        ("signin.succeeded", "metadata.version"),
        ("signin.succeeded", "metadata.product"),
        ("password.changed", "severity_id"),
        ("password.changed", "type_uid"),
        ("password.changed", "user.uid"),  # a user: its account, name or uid
        ("org.member_added", "privileges"),
        ("org.member_added", "class_uid"),
        ("org.member_added", "category_uid"),
        ("org.member_added", "activity_id"),
    ],
)
def test_an_event_missing_a_required_attribute_is_invalid(kind: str, missing: str) -> None:
    body = ocsf(full(kind))
    validate_ocsf(body)
    with pytest.raises(ValidationError):
        validate_ocsf(_without(body, missing))


@pytest.mark.parametrize(
    ("change", "value"),
    [
        ("type_uid", 300101),  # another class's
        ("activity_id", 7),  # no activity of Authentication
        ("class_uid", ACCOUNT_CHANGE),  # Authentication's attributes are not its
        ("time", "2026-05-01T12:03:10Z"),
        ("device", {"ip": "203.0.113.7"}),  # the host profile's, off
        ("unknown_attribute", 1),
    ],
)
def test_an_event_with_a_wrong_attribute_is_invalid(change: str, value: Any) -> None:
    body = ocsf(full("signin.succeeded"))
    body[change] = value
    with pytest.raises(ValidationError):
        validate_ocsf(body)


def test_a_wrong_address_or_a_wrong_enum_inside_an_object_is_invalid() -> None:
    body = ocsf(full("signin.succeeded"))
    body["src_endpoint"]["ip"] = "not an address"
    with pytest.raises(ValidationError):
        validate_ocsf(body)
    body = ocsf(full("signin.succeeded"))
    body["auth_factors"][0]["factor_type_id"] = 12
    with pytest.raises(ValidationError):
        validate_ocsf(body)


@pytest.mark.parametrize("other", [{"class_uid": 4001}, {"class_uid": "3002"}, {}, []])
def test_another_class_or_none_is_invalid(other: Any) -> None:
    with pytest.raises(ValidationError):
        validate_ocsf(other)


@pytest.mark.parametrize("class_uid", sorted(CLASSES))
def test_each_pinned_schema_is_its_class_s(class_uid: int) -> None:
    schema = json.loads((HERE / f"{CLASSES[class_uid]}.schema.json").read_text(encoding="utf-8"))
    assert schema["properties"]["class_uid"] == {"type": "integer", "const": class_uid}
    assert schema["title"] == f"OCSF 1.5.0 {CLASS_NAMES[class_uid]} ({class_uid})"
    kind = next(kind for kind, mapping in MAPPINGS.items() if mapping.class_uid == class_uid)
    assert validator(class_uid).is_valid(ocsf(full(kind)))


# -- the docs --------------------------------------------------------------------------------


def _row(kind: str) -> str:
    mapping = MAPPINGS[kind]
    privileges = ", ".join(f"`{name}`" for name in mapping.privileges) or "—"
    resource = f"`{mapping.resource}`" if mapping.resource else "—"
    return (
        f"| `{kind}` | {CLASS_NAMES[mapping.class_uid]} ({mapping.class_uid}) "
        f"| {mapping.activity_name} ({mapping.activity_id}) | {privileges} | {resource} "
        f"| {SEVERITY_NAMES[mapping.severity_id]} |"
    )


def test_the_docs_table_is_the_mapping() -> None:
    text = PAGE.read_text(encoding="utf-8")
    missing = [_row(kind) for kind in MAPPINGS if _row(kind) not in text]
    assert not missing, missing
    listed = re.findall(r"^\| `([a-z_.]+)` \| [A-Z]", text, flags=re.MULTILINE)
    assert sorted(listed) == sorted(MAPPINGS)


def test_the_docs_example_is_what_is_sent_and_valid() -> None:
    text = PAGE.read_text(encoding="utf-8")
    example = json.loads(re.findall(r"```json\n(.*?)```", text, flags=re.DOTALL)[0])
    validate_ocsf(example)
    source = SecurityEvent(
        id="q2S0Yb7yGmVrQ7aTqfHdBw",
        at=AT,
        type="signin.failed",
        user_id="Xk3vQ9sT1bYw2eRf7uLp0A",
        outcome="failure",
        ip="203.0.113.66",
        user_agent="curl/8.5.0",
        reason="wrong_password",
        method="password",
    )
    assert ocsf(source) == example
