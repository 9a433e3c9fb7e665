"""The REST reads ask Firestore only for names it can hold: an id taken from a request that
no document can have is answered missing without a request (Firestore answers 400 to the
whole batch). tests/e2e/test_fuzz_emulator.py sends such ids to every route."""

from __future__ import annotations

import pytest

from infrastructure.firestore.names import storable_path

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "path",
    ["users/abc", "users/a b", "users/é", "users/" + "a" * 1500, "orgs/x/members/y", "users/_x_"],
)
def test_names_a_document_can_have(path: str) -> None:
    assert storable_path(path)


@pytest.mark.parametrize(
    "path",
    [
        "users/.",
        "users/..",
        "users/__x__",
        "users/__name__",
        "users/" + "a" * 1501,
        "users/" + "é" * 751,  # 1,502 bytes
        "users/",
        "users//x",
        "users/\ud800",
    ],
)
def test_names_no_document_can_have(path: str) -> None:
    assert not storable_path(path)
