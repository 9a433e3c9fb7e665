"""One suite for the ActionTokenRepository port, run against the fake and against Firestore."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from application.accounts.accounts import UserRepository
from application.mail.sending import ActionTokenRepository
from domain.accounts.credentials import Email, Username
from domain.accounts.signups import ALLOWED
from domain.accounts.users import User
from domain.errors import Unavailable
from domain.ids import new_id
from domain.link_tokens import InvalidToken, token_hash
from domain.mail.action_tokens import (
    INVITATION_LIFETIME,
    LIFETIME,
    NOTICE_LIMIT,
    NOTICE_WINDOW,
    SEND_LIMIT,
    SEND_WINDOW,
    ActionToken,
    Purpose,
)
from infrastructure.firestore.events.security_events import write_staged
from tests.fakes.accounts import FakeUserRepository
from tests.fakes.kernel import InMemoryStore
from tests.fakes.mail import FakeActionTokenRepository

pytestmark = pytest.mark.contract
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@dataclass
class Repos:
    tokens: ActionTokenRepository
    users: UserRepository
    stored: Callable[[], str]  # everything the store holds, as text


@pytest.fixture(params=["fake", "firestore"])
def repos(request: pytest.FixtureRequest) -> Repos:
    if request.param == "fake":
        store = InMemoryStore()
        return Repos(
            FakeActionTokenRepository(store),
            FakeUserRepository(store),
            lambda: repr(vars(store)),
        )
    from infrastructure.firestore.accounts.users import FirestoreUserRepository
    from infrastructure.firestore.mail.action_tokens import FirestoreActionTokenRepository

    client: Any = request.getfixturevalue("firestore")

    def stored() -> str:
        return repr(
            [
                (doc.reference.path, doc.to_dict())
                for collection in client.collections()
                for doc in collection.stream()
            ]
        )

    return Repos(
        FirestoreActionTokenRepository(client),
        FirestoreUserRepository(client, write_staged=write_staged),
        stored,
    )


def make_user(repos: Repos, username: str = "alice") -> User:
    user = User.register(
        admitted=ALLOWED,
        id=new_id(),
        username=Username(username),
        email=Email(f"{username}@example.com"),
        password_hash="hash",
        now=NOW,
    )
    repos.users.add(user)
    return user


def issue(
    repos: Repos,
    user: User,
    purpose: Purpose = Purpose.VERIFY_EMAIL,
    now: datetime = NOW,
    lifetime: timedelta | None = None,
) -> tuple[str, ActionToken]:
    token, record = ActionToken.issue(user, purpose, now, lifetime)
    assert repos.tokens.add(record, new_id(), now)
    return token, record


def verified(now: datetime = NOW) -> Callable[[User], User]:
    return lambda user: user.with_email_verified(now)


def test_a_token_is_stored_by_its_hash_only(repos: Repos) -> None:
    user = make_user(repos)
    token, record = issue(repos, user)
    assert record.hash == token_hash(token) != token
    assert repos.tokens.get(record.hash) == record
    assert repos.tokens.get(token_hash("not one of ours")) is None
    assert record.hash in repos.stored()
    assert token not in repos.stored()


def test_a_token_is_spent_once(repos: Repos) -> None:
    user = make_user(repos)
    _, record = issue(repos, user)
    changed = repos.tokens.spend(record.hash, Purpose.VERIFY_EMAIL, verified(), NOW)
    assert changed.email_verified is True
    assert repos.users.get(user.id) == changed
    spent = repos.tokens.get(record.hash)
    assert spent is not None and spent.spent_at == NOW
    later = NOW + timedelta(minutes=1)
    with pytest.raises(InvalidToken):
        repos.tokens.spend(record.hash, Purpose.VERIFY_EMAIL, verified(later), later)


def test_an_unknown_or_misused_token_is_invalid(repos: Repos) -> None:
    user = make_user(repos)
    with pytest.raises(InvalidToken):
        repos.tokens.spend(token_hash("unknown"), Purpose.VERIFY_EMAIL, verified(), NOW)
    _, record = issue(repos, user)
    with pytest.raises(InvalidToken):
        repos.tokens.spend(record.hash, Purpose.RESET_PASSWORD, verified(), NOW)
    assert repos.users.get(user.id) == user


@pytest.mark.parametrize("purpose", list(Purpose))
def test_a_token_of_the_wrong_purpose_is_refused_and_stays_usable(
    repos: Repos, purpose: Purpose
) -> None:
    """Sent to the other flow's route, a token is refused and not spent: either way round."""
    user = make_user(repos)
    _, record = issue(repos, user, purpose)
    for wrong in set(Purpose) - {purpose}:
        with pytest.raises(InvalidToken):
            repos.tokens.spend(record.hash, wrong, verified(), NOW)
    kept = repos.tokens.get(record.hash)
    assert kept is not None and kept.spent_at is None
    assert repos.users.get(user.id) == user
    assert repos.tokens.spend(record.hash, purpose, verified(), NOW).email_verified


def test_a_token_is_void_once_the_address_changed_even_back_again(repos: Repos) -> None:
    """A to B and back to A: the first token for A stays void."""
    user = make_user(repos)
    _, record = issue(repos, user)
    for address in ("alice@example.org", "alice@example.com"):
        repos.users.update(user.id, lambda u, a=address: u.edited({"email": a}, NOW))  # type: ignore[misc]
    with pytest.raises(InvalidToken):
        repos.tokens.spend(record.hash, Purpose.VERIFY_EMAIL, verified(), NOW)
    back = repos.users.get(user.id)
    assert back is not None and back.email_verified is False


def test_a_void_token_is_refused_and_stays_spent(repos: Repos) -> None:
    """A token its user's address has moved away from: refused, changes nothing, and spent
    (it could never be used again anyway)."""
    user = make_user(repos)
    _, record = issue(repos, user)
    moved = repos.users.update(user.id, lambda u: u.edited({"email": "alice@example.org"}, NOW))
    with pytest.raises(InvalidToken):
        repos.tokens.spend(record.hash, Purpose.VERIFY_EMAIL, verified(), NOW)
    assert repos.users.get(user.id) == moved
    void = repos.tokens.get(record.hash)
    assert void is not None and void.spent_at == NOW


@pytest.mark.parametrize(
    ("purpose", "lifetime"),
    [
        (Purpose.VERIFY_EMAIL, LIFETIME[Purpose.VERIFY_EMAIL]),
        (Purpose.RESET_PASSWORD, LIFETIME[Purpose.RESET_PASSWORD]),
        (Purpose.RESET_PASSWORD, INVITATION_LIFETIME),
    ],
)
def test_a_token_works_until_it_expires(
    repos: Repos, purpose: Purpose, lifetime: timedelta
) -> None:
    user = make_user(repos)
    _, late = issue(repos, user, purpose, lifetime=lifetime)
    edge = NOW + lifetime
    with pytest.raises(InvalidToken):
        repos.tokens.spend(late.hash, purpose, verified(edge), edge)
    _, timely = issue(repos, user, purpose, lifetime=lifetime)
    just = edge - timedelta(seconds=1)
    assert repos.tokens.spend(timely.hash, purpose, verified(just), just).email_verified


def test_a_newer_reset_token_supersedes_an_older_one(repos: Repos) -> None:
    user = make_user(repos)
    _, older = issue(repos, user, Purpose.RESET_PASSWORD)
    _, newer = issue(repos, user, Purpose.RESET_PASSWORD, NOW + timedelta(seconds=1))
    issue(repos, user, Purpose.VERIFY_EMAIL, NOW + timedelta(seconds=2))
    with pytest.raises(InvalidToken):
        repos.tokens.spend(older.hash, Purpose.RESET_PASSWORD, verified(), NOW)
    # Another purpose's newer token does not void a reset token.
    assert repos.tokens.spend(newer.hash, Purpose.RESET_PASSWORD, verified(), NOW)


def test_a_reset_token_is_void_once_the_password_changed(repos: Repos) -> None:
    user = make_user(repos)
    _, record = issue(repos, user, Purpose.RESET_PASSWORD)
    repos.users.update(user.id, lambda u: u.with_password_hash("another hash", NOW))
    with pytest.raises(InvalidToken):
        repos.tokens.spend(record.hash, Purpose.RESET_PASSWORD, verified(), NOW)


def test_at_most_three_link_mails_per_account_per_window(repos: Repos) -> None:
    user, other = make_user(repos), make_user(repos, "bob")
    jobs = [new_id() for _ in range(SEND_LIMIT)]
    records = [ActionToken.issue(user, Purpose.RESET_PASSWORD, NOW)[1] for _ in range(6)]
    for job, record in zip(jobs, records, strict=False):
        assert repos.tokens.add(record, job, NOW)
    assert not repos.tokens.add(records[3], new_id(), NOW)
    assert repos.tokens.get(records[3].hash) is None  # nothing stored
    # The same job run again is the same mail: it sends, without counting twice.
    assert repos.tokens.add(records[4], jobs[0], NOW)
    # Every link mail shares the account's limit; another account has its own.
    verify = ActionToken.issue(user, Purpose.VERIFY_EMAIL, NOW)[1]
    assert not repos.tokens.add(verify, new_id(), NOW)
    assert not repos.tokens.count_mail(user.id, new_id(), NOW)
    assert repos.tokens.add(ActionToken.issue(other, Purpose.RESET_PASSWORD, NOW)[1], "j", NOW)
    almost = NOW + SEND_WINDOW - timedelta(seconds=1)
    assert not repos.tokens.add(records[5], new_id(), almost)
    assert repos.tokens.add(records[5], new_id(), NOW + SEND_WINDOW)


def test_a_token_added_always_is_stored_past_the_link_mails_limit(repos: Repos) -> None:
    # The reset a "this wasn't me" link asks for: counted among the notices, never refused.
    user = make_user(repos)
    for _ in range(SEND_LIMIT):
        assert repos.tokens.count_mail(user.id, new_id(), NOW)
    token, record = ActionToken.issue(user, Purpose.RESET_PASSWORD, NOW)
    assert not repos.tokens.add(record, new_id(), NOW)
    assert repos.tokens.add(record, new_id(), NOW, always=True)
    assert repos.tokens.spend(token_hash(token), Purpose.RESET_PASSWORD, verified(), NOW)


def test_a_mail_without_a_token_counts_against_the_same_limit(repos: Repos) -> None:
    user = make_user(repos)
    notices = [new_id() for _ in range(SEND_LIMIT)]
    for job in notices:
        assert repos.tokens.count_mail(user.id, job, NOW)
    assert repos.tokens.count_mail(user.id, notices[0], NOW)  # a retry: counted once
    assert not repos.tokens.count_mail(user.id, new_id(), NOW)
    assert not repos.tokens.add(ActionToken.issue(user, Purpose.VERIFY_EMAIL, NOW)[1], "v", NOW)
    assert repos.tokens.count_mail(user.id, new_id(), NOW, always=True)  # among the notices
    # Counting a notice keeps the newest token of each purpose: it still spends.
    later = NOW + SEND_WINDOW
    token, record = ActionToken.issue(user, Purpose.RESET_PASSWORD, later)
    assert repos.tokens.add(record, new_id(), later)
    assert repos.tokens.count_mail(user.id, new_id(), later)
    assert repos.tokens.spend(token_hash(token), Purpose.RESET_PASSWORD, verified(), later)


def test_notices_have_a_limit_of_their_own(repos: Repos) -> None:
    """A notice's token never uses up the link mails' limit, nor they the notices'
    (docs/decisions/0172-notice-mail-limit.md)."""
    user = make_user(repos)
    for _ in range(SEND_LIMIT):
        assert repos.tokens.add(
            ActionToken.issue(user, Purpose.VERIFY_EMAIL, NOW)[1], new_id(), NOW
        )
    jobs = [new_id() for _ in range(NOTICE_LIMIT)]
    for job in jobs:
        assert repos.tokens.add(ActionToken.issue(user, Purpose.NOT_ME, NOW)[1], job, NOW)
    refused = ActionToken.issue(user, Purpose.NOT_ME, NOW)[1]
    assert not repos.tokens.add(refused, new_id(), NOW)
    assert repos.tokens.get(refused.hash) is None
    assert repos.tokens.add(ActionToken.issue(user, Purpose.NOT_ME, NOW)[1], jobs[0], NOW)  # retry
    # The warning to a proved address counts among the notices and goes out past them.
    assert repos.tokens.count_mail(user.id, new_id(), NOW, always=True)
    later = NOW + SEND_WINDOW
    assert repos.tokens.add(ActionToken.issue(user, Purpose.RESET_PASSWORD, later)[1], "r", later)
    assert not repos.tokens.add(ActionToken.issue(user, Purpose.NOT_ME, later)[1], "n", later)
    day = NOW + NOTICE_WINDOW
    assert repos.tokens.add(ActionToken.issue(user, Purpose.NOT_ME, day)[1], new_id(), day)


def test_a_failed_change_leaves_the_token_usable(repos: Repos) -> None:
    """A spend whose change fails (the store went away mid-way) changes nothing and does not
    use the token up (docs/security.md, "Action tokens")."""
    user = make_user(repos)
    _, record = issue(repos, user)

    def outage(_: User) -> User:
        raise Unavailable("Firestore went away", retry_after=5)

    with pytest.raises(Unavailable):
        repos.tokens.spend(record.hash, Purpose.VERIFY_EMAIL, outage, NOW)
    assert repos.users.get(user.id) == user
    found = repos.tokens.get(record.hash)
    assert found is not None and found.spent_at is None
    assert repos.tokens.spend(record.hash, Purpose.VERIFY_EMAIL, verified(), NOW).email_verified


def test_of_ten_parallel_spends_exactly_one_succeeds(repos: Repos) -> None:
    user = make_user(repos)
    _, record = issue(repos, user, Purpose.RESET_PASSWORD)
    start = threading.Barrier(10)

    def spend(n: int) -> str:
        start.wait()
        change = lambda u: u.with_password_hash(f"hash {n}", NOW)  # noqa: E731
        try:
            repos.tokens.spend(record.hash, Purpose.RESET_PASSWORD, change, NOW)
        except InvalidToken:
            return "refused"
        return f"hash {n}"

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(spend, range(10)))
    winners = [outcome for outcome in outcomes if outcome != "refused"]
    assert len(winners) == 1
    after = repos.users.get(user.id)
    assert after is not None and after.password_hash == winners[0]
