"""SAML single logout's rules, without SAML (domain/sso/logout.py): which NameIDs are one
subject, which sessions a LogoutRequest ends, and its checks of issuer, destination and
validity window (docs/reference/sso.md, "Single logout")."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import Conflict, DomainError, Unauthenticated, Unreadable
from domain.sso.logout import (
    UNSPECIFIED,
    IdpLogoutRequest,
    SamlSessionOrigin,
    SamlSubject,
    logout_refused,
    replayed,
)

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
IDP = "https://idp.corp.example/metadata"
SLO = "https://auth.example.com/sso/abc/saml/slo"
EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"


def _request(**changes: object) -> IdpLogoutRequest:
    made = IdpLogoutRequest(
        id="id-1",
        issuer=IDP,
        destination=SLO,
        issue_instant=NOW,
        not_on_or_after=None,
        subject=SamlSubject("ada@corp.example", EMAIL),
        session_indexes=(),
    )
    return replace(made, **changes)  # type: ignore[arg-type]


def _code(request: IdpLogoutRequest, now: datetime = NOW) -> str | None:
    try:
        request.check(idp_entity_id=IDP, slo_url=SLO, now=now)
    except DomainError as refused:
        return refused.code
    return None


def test_a_nameid_is_its_value_format_and_qualifiers_at_one_connection() -> None:
    ada = SamlSubject.of(" ada@corp.example ", EMAIL, None, None)
    assert ada == SamlSubject("ada@corp.example", EMAIL)
    assert SamlSubject.of("ada", None, None, None).format == UNSPECIFIED
    key = ada.key("c1")
    assert key == SamlSubject("ada@corp.example", EMAIL).key("c1")
    assert key != ada.key("c2")
    assert key != replace(ada, format=UNSPECIFIED).key("c1")
    assert key != replace(ada, name_qualifier="https://idp").key("c1")
    assert key != replace(ada, sp_name_qualifier="https://sp").key("c1")


def test_a_session_index_narrows_which_sessions_end() -> None:
    subject = SamlSubject("ada@corp.example", EMAIL)
    origin = SamlSessionOrigin("s1", "u1", "c1", subject, "idx-1", NOW)
    key = subject.key("c1")
    assert origin.ended_by(key, ())
    assert origin.ended_by(key, ("idx-0", "idx-1"))
    assert not origin.ended_by(key, ("idx-2",))
    assert not origin.ended_by(SamlSubject("bea@corp.example", EMAIL).key("c1"), ())


def test_a_request_from_its_idp_to_this_slo_url_in_its_window_passes() -> None:
    assert _code(_request()) is None
    assert _code(_request(), NOW + timedelta(minutes=7)) is None  # 5 minutes and the skew
    assert _code(_request(not_on_or_after=NOW + timedelta(minutes=1))) is None


@pytest.mark.parametrize(
    ("changes", "now", "code"),
    [
        ({"issuer": "https://other.example"}, NOW, "saml_logout_wrong_issuer"),
        ({"issuer": ""}, NOW, "saml_logout_wrong_issuer"),
        ({"destination": "https://other.example/slo"}, NOW, "saml_logout_wrong_destination"),
        ({"destination": ""}, NOW, "saml_logout_wrong_destination"),
        ({}, NOW + timedelta(minutes=7, seconds=1), "saml_logout_expired"),
        ({}, NOW - timedelta(minutes=2, seconds=1), "saml_logout_expired"),
        ({"not_on_or_after": NOW - timedelta(minutes=2)}, NOW, "saml_logout_expired"),
        ({"subject": SamlSubject("")}, NOW, "saml_logout_invalid"),
        ({"session_indexes": ("",)}, NOW, "saml_logout_invalid"),
    ],
)
def test_each_check_refuses_with_its_code(
    changes: dict[str, object], now: datetime, code: str
) -> None:
    assert _code(_request(**changes), now) == code


def test_a_spent_id_is_kept_until_the_request_could_no_longer_be_taken() -> None:
    assert _request().kept_until() == NOW + timedelta(minutes=7)
    ends = NOW + timedelta(minutes=30)
    assert _request(not_on_or_after=ends).kept_until() == ends + timedelta(minutes=2)


def test_the_refusals_statuses() -> None:
    assert isinstance(logout_refused("saml_logout_unsigned", "x"), Unauthenticated)
    assert isinstance(logout_refused("saml_logout_bad_signature", "x"), Unauthenticated)
    assert isinstance(logout_refused("saml_logout_weak_signature", "x"), Unauthenticated)
    assert isinstance(logout_refused("saml_logout_expired", "x"), Unreadable)
    assert isinstance(replayed(), Conflict)
