"""A SET's claims as the receiver reads them (RFC 8417, RFC 9493): the subject of an event or
of the SET (``sub_id``), in RFC 9493's forms and Google's RISC ones; a verification event
names no one."""

from __future__ import annotations

from typing import Any

import pytest

from domain.shared_signals.event_types import SESSION_REVOKED, VERIFICATION
from domain.shared_signals.receiver.events import Effect
from domain.shared_signals.receiver.sets import Refused, Subject, checked_set, subject_of

pytestmark = pytest.mark.unit
ISS, AUD = "https://tx.example", "https://rp.example"


@pytest.mark.parametrize(
    ("given", "read"),
    [
        ({"format": "email", "email": "a@b.example"}, Subject("email", email="a@b.example")),
        ({"format": "iss_sub", "iss": ISS, "sub": "1"}, Subject("iss_sub", iss=ISS, sub="1")),
        ({"subject_type": "iss-sub", "iss": ISS, "sub": "1"}, Subject("iss_sub", iss=ISS, sub="1")),
        ({"format": "iss_sub", "iss": ISS}, None),
        ({"format": "email", "email": "alice"}, None),  # a username is no address
        ({"format": "phone_number", "phone_number": "+1"}, None),
        ("a@b.example", None),
    ],
)
def test_subject_forms(given: object, read: Subject | None) -> None:
    assert subject_of(given) == read


def _claims(**more: Any) -> dict[str, Any]:
    return {"iss": ISS, "aud": [AUD, "other"], "jti": "j1", **more}


def test_the_sets_sub_id_stands_for_an_event_without_a_subject() -> None:
    subject = {"format": "email", "email": "a@b.example"}
    found = checked_set(
        _claims(sub_id=subject, events={SESSION_REVOKED: {}}), issuer=ISS, audiences=(AUD,)
    )
    assert found.events[0].subject == Subject("email", email="a@b.example")
    assert found.events[0].effect is Effect.END_SESSIONS


def test_a_verification_names_no_one_and_an_event_without_a_subject_is_refused() -> None:
    found = checked_set(
        _claims(events={VERIFICATION: {"state": "x"}}), issuer=ISS, audiences=(AUD,)
    )
    assert found.events[0].effect is Effect.NOTHING
    with pytest.raises(Refused) as refused:
        checked_set(_claims(events={SESSION_REVOKED: {}}), issuer=ISS, audiences=(AUD,))
    assert refused.value.err == "invalid_request"


@pytest.mark.parametrize("jti", [None, "", "x" * 257, 7])
def test_a_set_without_a_usable_jti_is_refused(jti: object) -> None:
    with pytest.raises(Refused):
        checked_set(_claims(jti=jti, events={VERIFICATION: {}}), issuer=ISS, audiences=(AUD,))
