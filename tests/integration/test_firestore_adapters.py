"""Firestore adapters on the emulator: awkward document ids, and an unreachable database."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest
from google.api_core.exceptions import ServiceUnavailable

from domain.accounts.credentials import Email, Username
from domain.accounts.signups import ALLOWED
from domain.accounts.users import User
from domain.ids import new_id
from infrastructure.firestore.accounts.users import FirestoreUserRepository
from infrastructure.firestore.client import DEADLINE_SECONDS, claim_id, make_client
from infrastructure.firestore.events.security_events import write_staged
from tests.support.api import PASSWORD
from tests.support.settings import make_settings

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "email",
    ["a/b@example.com", "__x__@example.com", "100%real@example.com", "Ünïcode@exämple.com"],
)
def test_emails_that_are_awkward_document_ids(firestore: Any, email: str) -> None:
    users = FirestoreUserRepository(firestore, write_staged=write_staged)
    user = User.register(
        admitted=ALLOWED,
        id=new_id(),
        username=Username("someone"),
        email=Email(email),
        password_hash="h",
        now=datetime.now(UTC),
    )
    users.add(user)
    assert users.find_by_login(Email(email).normalized) == user


def test_claim_ids_are_valid_and_injective() -> None:
    samples = ["a/b", "a%2Fb", "__x__", "%5F_x__", "_x_", "plain"]
    ids = [claim_id(s) for s in samples]
    assert len(set(ids)) == len(ids)
    for doc_id in ids:
        assert "/" not in doc_id
        assert not (doc_id.startswith("__") and doc_id.endswith("__"))


def test_unreachable_firestore_gives_503_problems_not_500(
    emulators: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bootstrap import build_adapters
    from tests.support.app import app_on

    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:9")  # nothing listens there
    settings = make_settings()
    app = app_on(settings, build_adapters(settings, firestore=make_client("demo-firegate")))
    client = app.test_client()
    started = time.monotonic()
    ready = client.get("/readyz")
    assert ready.status_code == 503
    body = {"username": "alice", "email": "alice@example.com", "password": PASSWORD}
    response = client.post("/register", json=body)
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "service_unavailable"
    assert response.headers["Retry-After"]
    assert "Traceback" not in response.get_data(as_text=True)
    assert time.monotonic() - started < 40  # bounded by the per-call deadlines, not a hang


def test_a_change_by_compare_and_set_against_unreachable_firestore_ends_within_its_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What a read-write transaction did (a SCIM group's replacement): the client library's
    # own BeginTransaction would be retried for 60 s; a read and a guarded commit have our
    # deadlines, and the outage is the domain's 503.
    from domain.errors import Unavailable
    from domain.scim.groups import ScimGroup
    from infrastructure.firestore.scim.groups import FirestoreScimGroups

    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:9")  # nothing listens there
    groups = FirestoreScimGroups(make_client("demo-firegate"))
    now = datetime(2026, 5, 1, tzinfo=UTC)
    group = ScimGroup("org1", "g1", "Admins", (), now, now, 2)
    started = time.monotonic()
    with pytest.raises(Unavailable):
        groups.replace(group, 1)
    assert time.monotonic() - started < 3 * DEADLINE_SECONDS


def test_a_spend_whose_commit_landed_but_answered_an_error_keeps_its_token_spent(
    firestore: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The claim is released only if the change did not land (docs/security.md, "Action
    tokens"): a commit that applied but whose answer was lost must not free the token."""
    from domain.errors import Unavailable
    from domain.link_tokens import InvalidToken
    from domain.mail.action_tokens import ActionToken, Purpose
    from infrastructure.firestore.mail import action_tokens
    from infrastructure.firestore.optimistic import until_unchanged

    users = FirestoreUserRepository(firestore, write_staged=write_staged)
    now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    user = User.register(
        admitted=ALLOWED,
        id=new_id(),
        username=Username("ann"),
        email=Email("ann@example.com"),
        password_hash="h",
        now=now,
    )
    users.add(user)
    repo = action_tokens.FirestoreActionTokenRepository(firestore)
    _, record = ActionToken.issue(user, Purpose.VERIFY_EMAIL, now)
    assert repo.add(record, new_id(), now)

    def lost_answer(attempt: Any) -> Any:
        until_unchanged(attempt)
        raise ServiceUnavailable("the commit's answer was lost")  # type: ignore[no-untyped-call]

    monkeypatch.setattr(action_tokens, "until_unchanged", lost_answer)
    with pytest.raises(Unavailable):
        repo.spend(record.hash, Purpose.VERIFY_EMAIL, lambda u: u.with_email_verified(now), now)
    monkeypatch.undo()
    found = repo.get(record.hash)
    assert found is not None and found.spent_at == now
    verified = users.get(user.id)
    assert verified is not None and verified.email_verified
    with pytest.raises(InvalidToken):
        repo.spend(record.hash, Purpose.VERIFY_EMAIL, lambda u: u.with_email_verified(now), now)
