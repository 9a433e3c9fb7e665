"""The automatic passkey upgrade on fakes (docs/passkeys-upgraded.md): conditional creation
options only within PASSKEY_UPGRADE_WINDOW of a sign-in by password or code, a credential
without user presence only for them, the metric, the event and the mail as for any passkey."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from application.ports import Audit
from domain.signin.mfa import EMAIL, FEDERATED, ONE_TIME_PASSWORD, PASSWORD, SMS
from domain.signin.passkeys import upgrade_window_open
from domain.signin.sessions import Session
from infrastructure.settings.identity.signin import SignInSettings
from tests.support.api import assert_field_error, assert_problem, bearer, login, register
from tests.support.app import World
from tests.support.email_codes import code_in
from tests.support.metrics import TOKEN, scrape
from tests.support.passkey_authenticator import ORIGIN, Passkey, passkey_sign_in
from tests.support.settings import make_settings

pytestmark = pytest.mark.unit

OPTIONS = "/auth/passkeys/registration/options"
REGISTER = "/auth/passkeys/registration"
CONDITIONAL = {"mediation": "conditional"}
WINDOW = timedelta(seconds=300)
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
UPGRADES = "firegate_passkey_upgrades_total"


@pytest.fixture
def world() -> World:
    return World()


def signed_in(world: World, name: str = "alice") -> str:
    """A new account's access token, signed in by password now."""
    register(world.client, name)
    return login(world.client, name)


def conditional_options(world: World, token: str) -> dict[str, Any]:
    answer = world.client.post(OPTIONS, headers=bearer(token), json=CONDITIONAL)
    assert answer.status_code == 200, answer.get_json()
    options: dict[str, Any] = answer.get_json()
    return options


def upgrade(world: World, token: str, key: Passkey | None = None) -> Any:
    """An automatic upgrade as a browser makes it: conditional options, a credential
    without user presence (nor verification), posted."""
    key = key or Passkey(present=False, verified=False)
    options = conditional_options(world, token)
    return world.client.post(REGISTER, headers=bearer(token), json=key.register(options))


# -- the window -----------------------------------------------------------------------------


def session(amr: tuple[str, ...], *, acting_admin_id: str | None = None) -> Session:
    return Session.start(
        id="s1",
        user_id="u1",
        token_version=0,
        refresh_hash="h",
        now=NOW,
        lifetime=timedelta(days=1),
        amr=amr,
        acting_admin_id=acting_admin_id,
    )


@pytest.mark.parametrize(
    "amr", [(PASSWORD,), (PASSWORD, ONE_TIME_PASSWORD), (EMAIL,), (SMS,), (EMAIL, "otp")]
)
def test_a_sign_in_by_password_or_code_opens_the_window_for_its_length(
    amr: tuple[str, ...],
) -> None:
    opened = session(amr)
    assert upgrade_window_open(opened, WINDOW, NOW)
    assert upgrade_window_open(opened, WINDOW, NOW + WINDOW)
    assert not upgrade_window_open(opened, WINDOW, NOW + WINDOW + timedelta(seconds=1))


@pytest.mark.parametrize("amr", [("hwk",), ("swk",), (FEDERATED,), ("guest",), ()])
def test_a_passkey_another_provider_or_no_known_way_opens_no_window(
    amr: tuple[str, ...],
) -> None:
    assert not upgrade_window_open(session(amr), WINDOW, NOW)


def test_support_access_and_a_personal_token_open_no_window() -> None:
    assert not upgrade_window_open(session((PASSWORD,), acting_admin_id="admin"), WINDOW, NOW)
    assert not upgrade_window_open(None, WINDOW, NOW)


# -- the options ----------------------------------------------------------------------------


def test_conditional_options_after_a_password_sign_in_say_so(world: World) -> None:
    token = signed_in(world)
    options = conditional_options(world, token)
    assert options["mediation"] == "conditional"
    # No user is verified in an upgrade: "required" would make the browser refuse it.
    assert options["authenticatorSelection"]["userVerification"] == "preferred"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    plain = world.client.post(OPTIONS, headers=bearer(token))
    assert plain.status_code == 200 and "mediation" not in plain.get_json()
    assert plain.get_json()["authenticatorSelection"]["userVerification"] == "required"
    empty = world.client.post(OPTIONS, headers=bearer(token), json={})
    assert empty.status_code == 200 and "mediation" not in empty.get_json()


@pytest.mark.parametrize(
    "body",
    [
        {"mediation": "required"},
        {"mediation": "optional"},
        {"mediation": "silent"},
        {"mediation": "Conditional"},
        {"mediation": None},
        {"mediation": 1},
    ],
)
def test_any_other_mediation_is_a_field_error(world: World, body: dict[str, Any]) -> None:
    token = signed_in(world)
    refused = world.client.post(OPTIONS, headers=bearer(token), json=body)
    assert refused.status_code == 422
    assert [e["field"] for e in refused.get_json()["errors"]] == ["mediation"]


def test_an_unknown_field_or_a_body_that_is_no_json_object_is_refused(world: World) -> None:
    token = signed_in(world)
    extra = world.client.post(OPTIONS, headers=bearer(token), json={**CONDITIONAL, "x": 1})
    assert_field_error(extra, "x", "unknown_field")
    assert_problem(
        world.client.post(OPTIONS, headers=bearer(token), json=["conditional"]),
        400,
        "json_not_object",
    )


def test_the_window_closes_after_its_length(world: World) -> None:
    token = signed_in(world)
    world.clock.advance(seconds=299)
    conditional_options(world, token)
    world.clock.advance(seconds=2)
    closed = world.client.post(OPTIONS, headers=bearer(token), json=CONDITIONAL)
    assert_problem(closed, 409, "upgrade_window_closed")
    # A passkey is still added the ordinary way while the sign-in is recent.
    assert world.client.post(OPTIONS, headers=bearer(token)).status_code == 200


def test_the_window_is_the_setting() -> None:
    world = World(passkey_upgrade_window=60)
    token = signed_in(world)
    world.clock.advance(seconds=61)
    closed = world.client.post(OPTIONS, headers=bearer(token), json=CONDITIONAL)
    assert_problem(closed, 409, "upgrade_window_closed")


def test_the_window_is_at_most_reauth_max_age() -> None:
    assert make_settings().group(SignInSettings).passkey_upgrade_window == 300
    with pytest.raises(ValidationError, match="passkey_upgrade_window"):
        make_settings(passkey_upgrade_window=0)
    world = World(passkey_upgrade_window=600, reauth_max_age=120)
    token = signed_in(world)
    world.clock.advance(seconds=120)
    conditional_options(world, token)
    world.clock.advance(seconds=1)
    closed = world.client.post(OPTIONS, headers=bearer(token), json=CONDITIONAL)
    assert_problem(closed, 409, "upgrade_window_closed")


def test_a_passkey_sign_in_opens_no_window(world: World) -> None:
    token = signed_in(world)
    key = Passkey()
    options = world.client.post(OPTIONS, headers=bearer(token)).get_json()
    made = world.client.post(REGISTER, headers=bearer(token), json=key.register(options))
    assert made.status_code == 201
    by_passkey = passkey_sign_in(world.client, key).get_json()["access_token"]
    closed = world.client.post(OPTIONS, headers=bearer(by_passkey), json=CONDITIONAL)
    assert_problem(closed, 409, "upgrade_window_closed")


def test_a_sign_in_by_a_mailed_code_opens_the_window() -> None:
    world = World()
    register(world.client, "alice")
    asked = world.client.post("/auth/email-code", json={"email": "alice@example.com"})
    world.deliver()
    mail = [m for m in world.mailer.to("alice@example.com") if "/sign-in/email?" in m.text][-1]
    verified = world.client.post(
        "/auth/email-code/verify",
        json={"flow_id": asked.get_json()["flow_id"], "code": code_in(mail.text)},
    )
    assert verified.status_code == 200, verified.get_json()
    made = upgrade(world, verified.get_json()["access_token"])
    assert made.status_code == 201, made.get_json()


# -- the registration -----------------------------------------------------------------------


def test_an_upgrade_adds_a_passkey_without_user_presence_that_then_signs_in(
    world: World,
) -> None:
    token = signed_in(world)
    key = Passkey(present=False, verified=False)
    made = upgrade(world, token, key)
    assert made.status_code == 201, made.get_json()
    listed = world.client.get("/auth/passkeys", headers=bearer(token)).get_json()["items"]
    assert [item["id"] for item in listed] == [made.get_json()["id"]]
    # Each sign-in with it verifies the person, as with any passkey.
    refused = passkey_sign_in(world.client, key)
    assert_problem(refused, 401, "invalid_passkey")
    key.verified = True
    assert passkey_sign_in(world.client, key).status_code == 200


def test_without_user_presence_only_the_answer_to_conditional_options_is_taken(
    world: World,
) -> None:
    token = signed_in(world)
    options = world.client.post(OPTIONS, headers=bearer(token)).get_json()
    absent = Passkey(present=False)
    refused = world.client.post(REGISTER, headers=bearer(token), json=absent.register(options))
    assert_problem(refused, 422, "user_presence_required")
    assert world.client.get("/auth/passkeys", headers=bearer(token)).get_json()["items"] == []
    # Ordinary options still ask for user verification.
    options = world.client.post(OPTIONS, headers=bearer(token)).get_json()
    unverified = Passkey(verified=False)
    refused = world.client.post(REGISTER, headers=bearer(token), json=unverified.register(options))
    assert_problem(refused, 422, "invalid_passkey")


def test_a_present_user_may_answer_conditional_options_too(world: World) -> None:
    token = signed_in(world)
    assert upgrade(world, token, Passkey()).status_code == 201


def test_a_conditional_challenge_is_spent_once_and_its_origin_checked(world: World) -> None:
    token = signed_in(world)
    key = Passkey(present=False, verified=False)
    options = conditional_options(world, token)
    elsewhere = world.client.post(
        REGISTER, headers=bearer(token), json=key.register(options, "https://evil.example")
    )
    assert_problem(elsewhere, 422, "invalid_passkey")
    again = world.client.post(REGISTER, headers=bearer(token), json=key.register(options))
    assert_problem(again, 401, "invalid_passkey_challenge")
    options = conditional_options(world, token)
    answer = key.register(options, ORIGIN)
    assert world.client.post(REGISTER, headers=bearer(token), json=answer).status_code == 201
    replayed = world.client.post(REGISTER, headers=bearer(token), json=answer)
    assert_problem(replayed, 401, "invalid_passkey_challenge")


def test_a_conditional_challenge_is_the_callers_only(world: World) -> None:
    alice, bob = signed_in(world, "alice"), signed_in(world, "bob")
    options = conditional_options(world, alice)
    stolen = Passkey(present=False, verified=False).register(options)
    refused = world.client.post(REGISTER, headers=bearer(bob), json=stolen)
    assert_problem(refused, 401, "invalid_passkey_challenge")


def test_an_upgrade_is_a_passkey_added_with_its_event_and_mail(world: World) -> None:
    token = signed_in(world)
    world.deliver()  # a notice goes to a proven address only
    proof = world.token("alice@example.com", "/verify-email")
    assert world.client.post("/auth/email/verify", json={"token": proof}).status_code == 200
    before = len(world.mailer.to("alice@example.com"))
    assert upgrade(world, token).status_code == 201
    world.deliver()
    added = [e for e in world.audit.events if e.event == Audit.PASSKEY_REGISTERED]
    assert [e.outcome for e in added] == ["success"]
    mails = world.mailer.to("alice@example.com")[before:]
    assert [m.subject for m in mails] == ["A passkey was added to your firegate account"]


def test_each_upgrade_is_counted_and_no_other_passkey() -> None:
    world = World(metrics_token=TOKEN)
    assert scrape(world.client).get(UPGRADES, 0) == 0
    token = signed_in(world, "alice")
    options = world.client.post(OPTIONS, headers=bearer(token)).get_json()
    plain = world.client.post(REGISTER, headers=bearer(token), json=Passkey().register(options))
    assert plain.status_code == 201
    assert scrape(world.client).get(UPGRADES, 0) == 0
    assert upgrade(world, signed_in(world, "bob")).status_code == 201
    refused = world.client.post(
        OPTIONS, headers=bearer(signed_in(world, "carol")), json={"mediation": "silent"}
    )
    assert refused.status_code == 422
    assert scrape(world.client)[UPGRADES] == 1
