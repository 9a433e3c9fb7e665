"""What GET /account reads (docs/benchmarks.md, "The pages for people"): the use cases take
what authenticate() read for the request instead of reading it again."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from application.provider.apps import AppsWithAccess, ListApps
from application.signin.authentication import Actor
from application.signin.factors.totp import GetTotp
from domain.accounts.credentials import Email, Username
from domain.accounts.signups import ALLOWED
from domain.accounts.users import User
from domain.clients.oauth import OAuthClient
from domain.ids import new_id
from domain.provider.grants import Grant
from domain.signin.mfa import TotpFactor
from tests.fakes.clients import FakeOAuthClients
from tests.fakes.events import RecordingAuditLog
from tests.fakes.kernel import FakeClock
from tests.fakes.provider import FakeOAuthGrants
from tests.fakes.signin import FakeMfaRepository
from tests.support.use_cases import World

pytestmark = pytest.mark.unit
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


class NoReads:
    """A user repository that must not be asked: the actor carries the account."""

    def get(self, user_id: str) -> User | None:
        raise AssertionError(f"read the account {user_id} again")


def alice() -> User:
    return User.register(
        admitted=ALLOWED,
        id=new_id(),
        username=Username("alice"),
        email=Email("alice@example.com"),
        password_hash="hash",
        now=NOW,
    )


def actor_of(user: User) -> Actor:
    return Actor(
        user_id=user.id,
        username=user.shown_name,
        role=user.role.value,
        session_id="s1",
        expires_at=NOW + timedelta(minutes=15),
        user=user,
    )


def test_the_apps_with_access_take_the_account_authenticate_read() -> None:
    user = alice()
    clients, grants = FakeOAuthClients(), FakeOAuthGrants()
    clients.add(
        OAuthClient(
            "app1", "Example App", ("https://app.example/cb",), False, None, ("openid",), NOW
        )
    )
    live = Grant("g1", user.id, "app1", "openid", NOW, user.token_version, issued=True)
    stale = Grant("g2", user.id, "app1", "email", NOW, user.token_version - 1, issued=True)
    # support access's grant, its session over (docs/support-access.md): no longer listed
    acted = Grant(
        "g3", user.id, "app1", "phone", NOW, user.token_version, issued=True, acting_until=NOW
    )
    grants.grants.update({live.id: live, stale.id: stale, acted.id: acted})
    access = AppsWithAccess(
        grants=grants,
        clients=clients,
        users=NoReads(),  # type: ignore[arg-type]
        audit=RecordingAuditLog(),
        clock=FakeClock(NOW),
    )
    apps = access.list_apps(ListApps(actor_of(user)))
    assert [(app.name, app.scopes) for app in apps] == [("Example App", ("openid",))]


class NoFactorReads(FakeMfaRepository):
    def get(self, user_id: str) -> TotpFactor | None:
        raise AssertionError(f"read the authenticator of {user_id} again")


def test_the_two_step_state_takes_the_authenticator_authenticate_read() -> None:
    user = alice()
    pending = TotpFactor.pending(user_id=user.id, sealed_secret="sealed", now=NOW)
    read_none = replace(actor_of(user), factor=None, factor_read=True)
    read_pending = replace(actor_of(user), factor=pending, factor_read=True)
    no_reads = World().totp_cases(NoFactorReads())
    assert no_reads.status(GetTotp(read_none)).state == "off"
    assert no_reads.status(GetTotp(read_pending)).state == "pending"
    stored = FakeMfaRepository()
    stored.store.factors[user.id] = pending
    status = World().totp_cases(stored).status
    assert status(GetTotp(actor_of(user))).state == "pending"  # not read
