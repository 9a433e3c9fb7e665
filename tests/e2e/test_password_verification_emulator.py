"""The ``password_verification`` hook on the Firestore emulator, against a receiver this suite
starts that verifies every call's signature as an operator's would (docs/hooks.md): accounts
imported as ``legacy`` by ``users import``, the typed password sent once, stored as argon2id
with ``legacy`` cleared, a wrong one, a failed hook, the reset by mail, the gauge's count, and
thirty sign-ins at once that call the hook once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.hooks.admin import AuthHookRef, ListAuthHooks, SetAuthHook
from application.hooks.services import HookServices
from application.migration.services import MigrationServices
from bootstrap import build_adapters
from tests.fakes.kernel import FakeJobQueue
from tests.fakes.mail import FakeMailer
from tests.support.api import assert_problem, services
from tests.support.app import app_on, deliver_jobs, swap
from tests.support.hook_receiver import HookReceiver, hook_receiver
from tests.support.races import RACERS, race, statuses
from tests.support.settings import make_settings
from tests.support.webhooks import ADMIN

pytestmark = pytest.mark.e2e
OLD = "the old system's secret"
ROWS = [
    {"id": f"u-legacy-{n}", "username": f"lena{n}", "email": f"lena{n}@example.com", "legacy": True}
    for n in range(3)
]


class Service:
    """An app on the emulator whose thirty parallel sign-ins from one address stay within the
    failure throttle's budget (each is counted before it is checked)."""

    def __init__(self, firestore: Any, tmp_path: Path) -> None:
        settings = make_settings(login_failures_per_account_ip=100, login_failures_per_ip=100)
        self.queue, self.mailer = FakeJobQueue(), FakeMailer()
        adapters = swap(
            build_adapters(settings, firestore=firestore),
            job_queue=self.queue.attach,
            webhook_queue=None,
            mailer=self.mailer,
        )
        self.app: Flask = app_on(settings, adapters)
        self.client: FlaskClient = self.app.test_client()
        self.firestore = firestore
        path = tmp_path / "legacy.jsonl"
        path.write_text("".join(json.dumps(row) + "\n" for row in ROWS))
        runner = self.app.test_cli_runner()
        result = runner.invoke(args=["users", "import", str(path), "--format", "jsonl"])
        assert json.loads(result.stdout.strip().splitlines()[-1])["imported"] == len(ROWS)

    def hook(self, receiver: HookReceiver, **fields: Any) -> None:
        """The receiver as the only password_verification hook (a kind has several)."""
        hooks = services(self.app).of(HookServices).hooks
        for view in hooks.list(ListAuthHooks(ADMIN)):
            hooks.remove(AuthHookRef(ADMIN, view.hook.hook_id))
        created = hooks.set(SetAuthHook(ADMIN, "password_verification", receiver.url, **fields))
        receiver.secret = created.secret

    def stored(self, n: int = 0) -> dict[str, Any]:
        snap = self.firestore.collection("users").document(f"u-legacy-{n}").get()
        data: dict[str, Any] = snap.to_dict() or {}
        return data


@pytest.fixture
def service(firestore: Any, tmp_path: Path) -> Service:
    return Service(firestore, tmp_path)


@pytest.fixture
def receiver() -> Iterator[HookReceiver]:
    with hook_receiver() as found:
        yield found


def sign_in(client: FlaskClient, n: int = 0, password: str = OLD) -> Any:
    return client.post("/login", json={"username": f"lena{n}", "password": password})


def test_the_right_password_is_sent_once_then_stored_as_argon2id(
    service: Service, receiver: HookReceiver
) -> None:
    assert service.stored()["legacy"] is True and service.stored()["password_hash"] is None
    assert services(service.app).of(MigrationServices).users.legacy_remaining() == 3
    service.hook(receiver)
    receiver.answer = lambda payload: {"valid": payload["password"] == OLD}
    assert sign_in(service.client).status_code == 200
    [payload] = receiver.received
    assert payload == {
        "user": {"id": "u-legacy-0", "email": "lena0@example.com", "username": "lena0"},
        "password": OLD,
    }
    stored = service.stored()
    assert stored["legacy"] is False and stored["legacy_claim"] is None
    assert stored["password_hash"].startswith("$argon2id$")
    assert sign_in(service.client).status_code == 200
    assert_problem(sign_in(service.client, password="not the one"), 401, "invalid_credentials")
    assert len(receiver.received) == 1  # the stored hash decides from now on
    assert services(service.app).of(MigrationServices).users.legacy_remaining() == 2
    assert receiver.refused == []


def test_a_wrong_password_and_a_failed_hook(service: Service, receiver: HookReceiver) -> None:
    service.hook(receiver)
    receiver.answer = lambda payload: {"valid": False}
    assert_problem(sign_in(service.client), 401, "invalid_credentials")
    assert service.stored()["legacy"] is True and service.stored()["legacy_claim"] is None
    service.hook(receiver, on_failure="deny", timeout_ms=300)
    receiver.delay = 1.0
    assert_problem(sign_in(service.client), 403, "password_verification_failed")
    service.hook(receiver, on_failure="allow", timeout_ms=300)
    assert_problem(sign_in(service.client), 401, "invalid_credentials")
    assert service.stored()["legacy"] is True and service.stored()["legacy_claim"] is None


def test_without_a_hook_a_reset_by_mail_ends_legacy(service: Service) -> None:
    assert_problem(sign_in(service.client, 1), 401, "invalid_credentials")
    service.client.post("/auth/password/forgot", json={"email": "lena1@example.com"})
    deliver_jobs(service.queue, services(service.app))
    mail = [m for m in service.mailer.to("lena1@example.com") if "/reset-password" in m.text]
    token = mail[-1].text.split("token=")[1].split()[0]
    body = {"token": token, "new_password": "a brand new secret"}
    assert service.client.post("/auth/password/reset", json=body).status_code == 204
    assert service.stored(1)["legacy"] is False
    assert sign_in(service.client, 1, "a brand new secret").status_code == 200


def test_thirty_sign_ins_at_once_call_the_hook_once_and_all_get_in(
    service: Service, receiver: HookReceiver
) -> None:
    service.hook(receiver, timeout_ms=3000)
    receiver.delay = 0.5  # the others find the claim held, and wait for its outcome
    receiver.answer = lambda payload: {"valid": payload["password"] == OLD}
    outcomes = race(service.app, [lambda client: sign_in(client, 2)] * RACERS)
    counted = statuses(outcomes)
    assert len(receiver.received) == 1, receiver.received
    assert counted[200] == RACERS, counted
    stored = service.stored(2)
    assert stored["legacy"] is False and stored["password_hash"].startswith("$argon2id$")
