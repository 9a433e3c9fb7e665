"""Adapters turn a Firestore outage into the domain's Unavailable (a 503), never a 500."""

from __future__ import annotations

import pytest
from google.api_core import exceptions

from domain.errors import NotFound, Unavailable
from infrastructure.firestore.errors import translates_errors

pytestmark = pytest.mark.unit


@translates_errors
class Flaky:
    def __init__(self) -> None:
        self.attempts = 0

    def read(self) -> str:
        raise exceptions.DeadlineExceeded("no answer")  # type: ignore[no-untyped-call]

    def write(self) -> str:
        # An adapter may retry what an inner call raised: only the outermost call translates.
        try:
            self.abort()
        except exceptions.Aborted:
            self.attempts += 1
        return "written"

    def abort(self) -> None:
        raise exceptions.Aborted("contention")  # type: ignore[no-untyped-call]

    def refuse(self) -> None:
        raise exceptions.PermissionDenied("not an outage")  # type: ignore[no-untyped-call]


def test_an_outage_becomes_unavailable_with_retry_after() -> None:
    with pytest.raises(Unavailable) as info:
        Flaky().read()
    assert info.value.code == "service_unavailable" and info.value.retry_after == 5
    assert isinstance(info.value.__cause__, exceptions.DeadlineExceeded)


def test_an_inner_call_is_left_to_the_outer_one() -> None:
    flaky = Flaky()
    assert flaky.write() == "written" and flaky.attempts == 1
    with pytest.raises(Unavailable):
        flaky.abort()


def test_other_library_errors_pass_unchanged() -> None:
    with pytest.raises(exceptions.PermissionDenied):
        Flaky().refuse()


@translates_errors
class Named:
    def read(self, message: str) -> None:
        raise exceptions.InvalidArgument(message)  # type: ignore[no-untyped-call]

    def read_rest(self, message: str) -> None:
        raise exceptions.BadRequest(message)  # type: ignore[no-untyped-call]


@pytest.mark.parametrize(
    "message",
    [  # as the emulator words them (gRPC, then REST)
        'Document name "projects/p/databases/(default)/documents/probe/." contains a resource'
        ' id "." at index 59.',
        'Resource id "__x__" is invalid because it is reserved.',
        "The key path element name is longer than 1500 bytes.",
    ],
)
def test_a_name_firestore_refuses_is_no_such_document(message: str) -> None:
    """An id taken from a request that no document can have: a 404, not a 500."""
    for call in (Named().read, Named().read_rest):
        with pytest.raises(NotFound):
            call(message)


def test_another_invalid_argument_is_left_alone() -> None:
    with pytest.raises(exceptions.InvalidArgument):
        Named().read("Value for argument 'page_size' must be positive.")
