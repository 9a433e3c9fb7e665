"""A guest merged into the account its way in belongs to, on the fakes: the 409's merge
token, its redemption by that account only, the guest's sessions ended at once, the job that
moves what the guest owns and deletes it, once (docs/guests.md, "When the way in is someone
else's"). What the guest owns is the tests' own unit's (tests/support/keepsakes.py); each
unit's tests show its data goes the same way."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.accounts.guest.merges import MERGE_GUEST, MergeGuest, open_offer
from application.accounts.services import AccountServices
from application.ports import Audit, Job
from application.signin.authentication import Actor
from bootstrap import Adapters
from bootstrap.accounts import AccountsAdapters
from bootstrap.signin_adapters import SigninAdapters
from domain.accounts.credentials import Username
from domain.accounts.guest.part import Guest
from domain.accounts.guest.refusals import GuestMergeStarted, NotAGuest
from domain.accounts.signups import ALLOWED
from interfaces.shared.problems import domain_problem
from tests.fakes.events import RecordingAuditLog
from tests.fakes.kernel import FakeClock, FakeJobQueue
from tests.support.api import assert_problem, bearer, login, register, services
from tests.support.app import run_jobs
from tests.support.guest_merges import account_exists, make_guest
from tests.support.keepsakes import Keepsakes, with_keepsakes

pytestmark = pytest.mark.unit


class Scene:
    def __init__(
        self, app: Flask, client: FlaskClient, adapters: Adapters, kept: Keepsakes
    ) -> None:
        self.app, self.client, self.adapters, self.kept = app, client, adapters, kept
        self.guest_id, self.guest = make_guest(
            client, adapters.of(AccountsAdapters).users, "guest1"
        )
        self.owned = (kept.first.add(self.guest_id), kept.second.add(self.guest_id))
        self.owner_id: str = register(client, "owner1")["id"]
        self.owner = bearer(login(client, "owner1"))

    def token(self, owner_id: str | None = None) -> str:
        """The merge token of the 409 a guest's upgrade answers, as the API writes it."""
        error = account_exists(self.guest_id, owner_id or self.owner_id)
        with self.app.test_request_context():
            answer = domain_problem(error)
        body: dict[str, Any] = answer.get_json()
        assert answer.status_code == 409 and body["code"] == "account_exists"
        token: str = body["merge_token"]
        return token

    def merge(self, token: str, auth: dict[str, str] | None = None) -> Any:
        headers = self.owner if auth is None else auth
        return self.client.post("/auth/guest/merge", json={"merge_token": token}, headers=headers)


@pytest.fixture
def keepsakes() -> Keepsakes:
    return Keepsakes()


@pytest.fixture
def adapters(adapters: Adapters, keepsakes: Keepsakes) -> Adapters:
    return with_keepsakes(adapters, keepsakes)


@pytest.fixture
def scene(
    fake_app: Flask,
    client: FlaskClient,
    adapters: Adapters,
    keepsakes: Keepsakes,
    job_queue: FakeJobQueue,
) -> Scene:
    made = Scene(fake_app, client, adapters, keepsakes)
    job_queue.jobs.clear()  # the sign-ups' mails
    return made


def owned_by(scene: Scene, owner_id: str) -> bool:
    first, second = scene.owned
    owners = {scene.kept.first.owners.get(first), scene.kept.second.owners.get(second)}
    return owners == {owner_id}


def test_the_409_carries_a_merge_token_and_no_ids(scene: Scene) -> None:
    error = account_exists(scene.guest_id, scene.owner_id)
    with scene.app.test_request_context():
        answer = domain_problem(error)
    body = answer.get_json()
    assert answer.status_code == 409 and answer.mimetype == "application/problem+json"
    assert (
        body["code"] == "account_exists" and body["type"] == "urn:firegate:problem:account_exists"
    )
    text = answer.get_data(as_text=True)
    assert scene.guest_id not in text and scene.owner_id not in text
    offer = open_offer(body["merge_token"], scene.adapters.of(SigninAdapters).secret_box)
    assert (offer.guest_id, offer.owner_id) == (scene.guest_id, scene.owner_id)


def test_the_owner_takes_in_what_the_guest_owns_and_the_guest_is_gone(
    scene: Scene, job_queue: FakeJobQueue, audit_log: RecordingAuditLog
) -> None:
    accepted = scene.merge(scene.token())
    assert accepted.status_code == 202, accepted.get_json()
    # The guest's sessions end at once, before the job has run.
    assert_problem(scene.client.get("/user", headers=scene.guest), 401, "invalid_token")
    assert job_queue.jobs == [Job(MERGE_GUEST, scene.guest_id)]
    assert owned_by(scene, scene.guest_id)
    run_jobs(scene.app, job_queue)
    assert owned_by(scene, scene.owner_id)
    guest = scene.adapters.of(AccountsAdapters).users.get(scene.guest_id)
    assert guest is None or guest.deleted_at is not None
    merged = [e for e in audit_log.events if e.event is Audit.GUEST_MERGED]
    assert [(e.user_id, e.reason) for e in merged] == [(scene.owner_id, scene.guest_id)]
    deleted = [e for e in audit_log.events if e.event is Audit.ACCOUNT_DELETION]
    assert [e.user_id for e in deleted] == [scene.guest_id]


def test_a_retried_job_moves_nothing_twice_and_sends_nothing_twice(
    scene: Scene, job_queue: FakeJobQueue, audit_log: RecordingAuditLog
) -> None:
    assert scene.merge(scene.token()).status_code == 202
    jobs = list(job_queue.jobs)
    run_jobs(scene.app, job_queue)
    job_queue.jobs = jobs
    run_jobs(scene.app, job_queue)  # delivered again
    assert owned_by(scene, scene.owner_id)
    assert sum(1 for e in audit_log.events if e.event is Audit.GUEST_MERGED) == 1


def test_a_job_cut_short_is_finished_by_its_retry(
    scene: Scene, job_queue: FakeJobQueue, audit_log: RecordingAuditLog
) -> None:
    assert scene.merge(scene.token()).status_code == 202
    # The first run moved the first kind only, then died.
    scene.kept.first.move_owned(scene.guest_id, scene.owner_id, 200)
    run_jobs(scene.app, job_queue)
    assert owned_by(scene, scene.owner_id)
    assert sum(1 for e in audit_log.events if e.event is Audit.GUEST_MERGED) == 1


def test_a_queue_that_refuses_the_job_has_the_merge_run_inline(
    scene: Scene, job_queue: FakeJobQueue
) -> None:
    job_queue.broken = True
    assert scene.merge(scene.token()).status_code == 202
    assert owned_by(scene, scene.owner_id)


def test_the_token_is_the_owners_only(scene: Scene) -> None:
    register(scene.client, "stranger")
    stranger = bearer(login(scene.client, "stranger"))
    assert_problem(scene.merge(scene.token(), stranger), 403, "merge_token_not_yours")
    anonymous = scene.client.post("/auth/guest/merge", json={"merge_token": scene.token()})
    assert anonymous.status_code == 401
    assert owned_by(scene, scene.guest_id)


@pytest.mark.parametrize(
    "token",
    ["forged", "gAAAAABlx" + "A" * 120, "é", "x" * 2000],
)
def test_a_token_not_sealed_by_us_is_refused(scene: Scene, token: str) -> None:
    answer = scene.merge(token)
    if len(token) > 1024:
        assert_problem(answer, 422, "validation_failed")
    else:
        assert_problem(answer, 400, "invalid_merge_token")


def test_a_token_sealed_for_something_else_is_refused(scene: Scene) -> None:
    box = scene.adapters.of(SigninAdapters).secret_box
    assert_problem(scene.merge(box.seal('{"is":"upstream-flight"}')), 400, "invalid_merge_token")
    assert_problem(scene.merge(box.seal("[1]")), 400, "invalid_merge_token")


def test_an_expired_token_is_refused(scene: Scene, fake_app: Flask) -> None:
    token = scene.token()
    clock = scene.adapters.platform.clock
    assert isinstance(clock, FakeClock)
    clock.advance(minutes=15)
    assert_problem(scene.merge(token), 400, "invalid_merge_token")


def test_a_guest_gone_or_no_longer_a_guest_cannot_be_merged(scene: Scene) -> None:
    users = scene.adapters.of(AccountsAdapters).users
    token = scene.token()
    users.update(
        scene.guest_id, lambda user: user.with_part(replace(user.part(Guest), is_guest=False))
    )
    assert_problem(scene.merge(token), 409, "not_a_guest")
    users.mark_deleted(scene.guest_id, scene.adapters.platform.clock.now())
    assert_problem(scene.merge(token), 404, "guest_not_found")
    assert_problem(scene.merge(scene.token("nobody")), 403, "merge_token_not_yours")


def test_a_token_is_redeemed_once_and_the_guest_merged_into_one_account(
    scene: Scene, job_queue: FakeJobQueue
) -> None:
    token = scene.token()
    assert scene.merge(token).status_code == 202
    assert_problem(scene.merge(token), 409, "guest_merge_started")
    # Another account whose way in the guest also found: no second merge meanwhile.
    other_id: str = register(scene.client, "owner2")["id"]
    other = bearer(login(scene.client, "owner2"))
    assert_problem(scene.merge(scene.token(other_id), other), 409, "guest_merge_started")
    assert [job.kind for job in job_queue.jobs].count(MERGE_GUEST) == 1
    run_jobs(scene.app, job_queue)
    assert_problem(scene.merge(token), 404, "guest_not_found")


def test_an_upgrade_asks_whether_the_guest_is_being_merged(scene: Scene) -> None:
    assert scene.merge(scene.token()).status_code == 202
    guest = scene.adapters.of(AccountsAdapters).users.get(scene.guest_id)
    assert guest is not None and guest.part(Guest).merging_into == scene.owner_id
    with pytest.raises(GuestMergeStarted):
        guest.upgraded(
            username=Username("ann"),
            email=None,
            password_hash=None,
            now=datetime.now(UTC),
            admitted=ALLOWED,
        )


def test_the_service_refuses_a_merge_of_an_account_into_itself(scene: Scene) -> None:
    merges = services(scene.app).of(AccountServices).guest_merges
    token = merges.offer(account_exists(scene.guest_id, scene.guest_id))

    me = Actor(scene.guest_id, "guest1", "user", "s1", datetime(2100, 1, 1, tzinfo=UTC))
    with pytest.raises(NotAGuest):
        merges.merge(MergeGuest(me, token))


def test_an_upgrade_that_won_the_race_keeps_the_account_and_its_data(
    scene: Scene, job_queue: FakeJobQueue, audit_log: RecordingAuditLog
) -> None:
    """An upgrade that read the guest before the mark and committed after it: the job finds
    no guest, moves nothing and deletes nothing."""
    assert scene.merge(scene.token()).status_code == 202
    users = scene.adapters.of(AccountsAdapters).users
    users.update(
        scene.guest_id, lambda user: user.with_part(replace(user.part(Guest), is_guest=False))
    )
    run_jobs(scene.app, job_queue)
    assert owned_by(scene, scene.guest_id)
    kept = users.get(scene.guest_id)
    assert kept is not None and kept.deleted_at is None
    assert not [e for e in audit_log.events if e.event is Audit.GUEST_MERGED]
