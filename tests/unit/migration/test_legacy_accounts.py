"""Accounts imported as ``legacy`` (no hash) on the whole app's fakes: the import and the
export, the sign-in through the ``password_verification`` hook on the API and the pages,
the problems of an account without one, the reset by mail that ends ``legacy``, and the
gauge of those left (docs/migrating.md, docs/hooks.md)."""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from application.hooks.admin import SetAuthHook
from application.hooks.services import HookServices
from application.metrics import LEGACY_ACCOUNTS
from application.migration.legacy_gauge import LegacyGauge
from application.migration.services import MigrationServices
from bootstrap.accounts import AccountsAdapters
from bootstrap.hooks import HooksAdapters
from domain.accounts.users import User
from domain.migration.legacy import Legacy
from tests.fakes.hooks import FakeHookClient
from tests.fakes.kernel import FakeClock, FakeHasher
from tests.support.api import assert_problem, bearer
from tests.support.app import World
from tests.support.metrics import TOKEN, scrape
from tests.support.pages import csrf
from tests.support.webhooks import ADMIN

pytestmark = pytest.mark.unit
OLD = "the old system's secret"
ROW = {"id": "u-legacy", "username": "lena", "email": "lena@example.com", "legacy": True}


def imported(world: World, tmp_path: Path, *rows: dict[str, Any]) -> dict[str, Any]:
    path = tmp_path / "users.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows or (ROW,)))
    runner = world.app.test_cli_runner()
    result = runner.invoke(args=["users", "import", str(path), "--format", "jsonl"])
    summary: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return summary


def lena(world: World) -> User:
    found = world.adapters.of(AccountsAdapters).users.get("u-legacy")
    assert found is not None
    return found


def hooked(world: World, answer: object, on_failure: str = "allow") -> FakeHookClient:
    world.services.of(HookServices).hooks.set(
        SetAuthHook(
            ADMIN, "password_verification", "http://127.0.0.1:9/verify", on_failure=on_failure
        )
    )
    client = world.adapters.of(HooksAdapters).hook_client
    assert isinstance(client, FakeHookClient)
    client.answer = answer
    return client


def sign_in(world: World, password: str = OLD) -> Any:
    return world.client.post("/login", json={"username": "lena", "password": password})


def test_an_import_keeps_legacy_and_refuses_it_with_a_hash(tmp_path: Path) -> None:
    world = World()
    with_hash = {**ROW, "id": "u-2", "username": "bob", "email": "bob@example.com"}
    with_hash["password_hash"] = "$2b$12$" + "a" * 53
    summary = imported(world, tmp_path, ROW, with_hash)
    assert (summary["imported"], summary["failed"]) == (1, 1)
    assert summary["errors"][0]["reason"] == "legacy_with_password_hash"
    user = lena(world)
    assert user.part(Legacy).is_legacy and user.password_hash is None
    out = tmp_path / "out.jsonl"
    runner = world.app.test_cli_runner()
    assert runner.invoke(args=["users", "export", str(out)]).exit_code == 0
    (line,) = out.read_text().splitlines()
    assert json.loads(line)["legacy"] is True  # an export imports back as legacy


def test_the_hooks_yes_signs_in_and_stores_the_password(tmp_path: Path) -> None:
    world = World()
    imported(world, tmp_path)
    client = hooked(world, {"valid": True})
    answer = sign_in(world)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    me = world.client.get("/user", headers=bearer(answer.get_json()["access_token"]))
    assert me.status_code == 200
    user = lena(world)
    assert not user.part(Legacy).is_legacy and user.password_hash is not None
    assert user.password_hash.startswith("$argon2id$") or user.password_hash.startswith("fake$")
    assert sign_in(world).status_code == 200 and len(client.asked) == 1


def test_the_hooks_no_is_the_401_of_any_wrong_password(tmp_path: Path) -> None:
    world = World()
    imported(world, tmp_path)
    hooked(world, {"valid": False})
    refused = assert_problem(sign_in(world), 401, "invalid_credentials")
    unknown = world.client.post("/login", json={"username": "nobody", "password": OLD})
    assert refused == assert_problem(unknown, 401, "invalid_credentials")
    assert lena(world).part(Legacy).is_legacy


def test_a_failed_hook_that_denies_is_a_clear_403_never_a_5xx(tmp_path: Path) -> None:
    world = World()
    imported(world, tmp_path)
    hooked(world, b"not json", on_failure="deny")
    body = assert_problem(sign_in(world), 403, "password_verification_failed")
    assert "cannot be checked" in body["detail"]


def answers(world: World, login: str, times: int) -> list[tuple[int, Any, dict[str, str]]]:
    """Each answer of ``times`` sign-ins as ``login`` with the old password: its status, body
    and headers (but the request's own id, new for each, and the seconds left of the request
    limit's window, which the wall clock moves between two worlds: ``t=`` of RateLimit)."""
    body = {"username": login, "password": OLD}
    return [
        (answer.status_code, answer.get_json(), _comparable(dict(answer.headers)))
        for answer in (world.client.post("/login", json=body) for _ in range(times))
    ]


def _comparable(headers: dict[str, str]) -> dict[str, str]:
    found = headers | {"X-Request-ID": ""}
    if "RateLimit" in found:
        found["RateLimit"] = re.sub(r"\bt=\d+", "t=", found["RateLimit"])
    return found


def test_without_a_hook_a_legacy_accounts_password_is_answered_as_an_unknown_names(
    tmp_path: Path,
) -> None:
    """The same status, code, body and headers, counted alike by the throttle, for the same
    work (one dummy hash each): nothing tells a legacy account from a name nobody has
    (docs/security.md, "Legacy passwords")."""
    limits = {"login_failures_per_account_ip": 3}
    legacy, unknown = World(**limits), World(**limits)
    imported(legacy, tmp_path)
    imported(unknown, tmp_path)
    hashers = [w.adapters.of(AccountsAdapters).hasher for w in (legacy, unknown)]
    fakes = [h for h in hashers if isinstance(h, FakeHasher)]
    assert len(fakes) == 2
    before = [(h.verifications, h.dummy_verifications) for h in fakes]
    told = answers(legacy, "lena", 4)
    assert told == answers(unknown, "nobody", 4)
    assert [status for status, _, _ in told] == [401, 401, 401, 429]
    assert told[0][1]["code"] == "invalid_credentials"
    work = [(h.verifications, h.dummy_verifications) for h in fakes]
    assert work[0] == work[1] and work[0] != before[0]
    assert lena(legacy).part(Legacy).is_legacy


@pytest.mark.parametrize("language", ["en", "es"])
def test_without_a_hook_the_sign_in_page_says_wrong_password_and_a_reset_is_the_way_in(
    tmp_path: Path, language: str
) -> None:
    world = World()
    imported(world, tmp_path)
    pages = []
    for login in ("lena", "nobody"):
        browser = world.app.test_client()
        form = {"username": login, "password": OLD, "csrf_token": csrf(browser, "/sign-in")}
        page = browser.post("/sign-in", data=form, headers={"Accept-Language": language})
        text = page.get_data(as_text=True).replace(login, "someone")
        pages.append(
            (page.status_code, re.sub(r'(csrf_token" value|csrf-token" content)="[^"]*"', "", text))
        )
    assert pages[0] == pages[1] and pages[0][0] == 401
    world.client.post("/auth/password/forgot", json={"email": "lena@example.com"})
    world.deliver()
    assert (
        world.reset(world.token("lena@example.com", "/reset-password"), "brand new secret") == 204
    )
    assert not lena(world).part(Legacy).is_legacy
    assert sign_in(world, "brand new secret").status_code == 200


def test_the_gauge_counts_at_most_once_a_minute(tmp_path: Path) -> None:
    world = World()
    imported(world, tmp_path)
    counts: list[int] = []

    def count() -> int:
        counts.append(world.services.of(MigrationServices).users.legacy_remaining())
        return counts[-1]

    set_to: list[float] = []

    class Metrics:
        def add(self, *args: object, **labels: object) -> None: ...
        def observe(self, *args: object, **labels: object) -> None: ...

        def set(self, metric: object, value: float, /, **labels: object) -> None:
            assert metric is LEGACY_ACCOUNTS
            set_to.append(value)

    clock = FakeClock()
    gauge = LegacyGauge(count, Metrics(), clock)  # type: ignore[arg-type]
    gauge.refresh()
    gauge.refresh()
    assert set_to == [1]
    hooked(world, {"valid": True})
    assert sign_in(world).status_code == 200
    clock.advance(seconds=59)
    gauge.refresh()
    clock.advance(seconds=1)
    gauge.refresh()
    assert set_to == [1, 0] and counts == [1, 0]


# How each way in by password is asked, by its endpoint: the routes whose view logs in with a
# password (``log_in``, or the login use case itself), found in the app's own rules below.
PASSWORD_WAYS_IN: dict[str, Callable[[World], Any]] = {
    "login.login": lambda w: w.client.post("/login", json={"username": "lena", "password": OLD}),
    "tasks_api.login": lambda w: w.client.post(
        "/auth/login", json={"username": "lena", "password": OLD}
    ),
    "login_api.login": lambda w: w.client.post(
        "/api/v1/auth/login", json={"email": "lena@example.com", "password": OLD}
    ),
    "pages.sign_in": lambda w: w.client.post(
        "/sign-in",
        data={"username": "lena", "password": OLD, "csrf_token": csrf(w.client, "/sign-in")},
    ),
}


def password_sign_in_endpoints(world: World) -> set[str]:
    """Every POST route whose view signs in with a typed password (sign-up's own sign-in
    aside: it sets the password it signs in with)."""
    found = set()
    for rule in world.app.url_map.iter_rules():
        view = world.app.view_functions[rule.endpoint]
        source = inspect.getsource(inspect.unwrap(view))
        signs_in = "log_in(" in source or ".login.login(" in source
        if "POST" in (rule.methods or ()) and signs_in and "register" not in source:
            found.add(rule.endpoint)
    return found


def test_every_way_in_by_password_asks_the_hook_of_a_legacy_account(tmp_path: Path) -> None:
    world = World()
    found = password_sign_in_endpoints(world)
    # every way in the app has (a unit's, when it is there) is known here, the core's always
    assert {"login.login", "login_api.login", "pages.sign_in"} <= found <= set(PASSWORD_WAYS_IN)
    for endpoint in sorted(found):
        way_in = PASSWORD_WAYS_IN[endpoint]
        world = World()
        imported(world, tmp_path)
        client = hooked(world, {"valid": True})
        answer = way_in(world)
        assert answer.status_code in (200, 303), (endpoint, answer.get_data(as_text=True))
        assert len(client.asked) == 1 and not lena(world).part(Legacy).is_legacy, endpoint


def test_the_gauge_is_counted_after_responses_and_scraped(tmp_path: Path) -> None:
    world = World(metrics_token=TOKEN)
    imported(world, tmp_path)
    assert world.client.get("/healthz").status_code in (200, 204)  # counted once it is sent
    assert scrape(world.client)["firegate_legacy_accounts_remaining"] == 1
    hooked(world, {"valid": True})
    assert sign_in(world).status_code == 200
    assert scrape(world.client)["firegate_legacy_accounts_remaining"] == 1  # within the minute
    world.clock.advance(seconds=60)
    world.client.get("/healthz")
    assert scrape(world.client)["firegate_legacy_accounts_remaining"] == 0
