"""/admin/hooks/auth on fakes (docs/pages.md, "Auth hooks"): admins only, a hook set with
its secret shown once, a second hook of a kind added in its order with its scope, refusals
beside their field, the last calls listed, a hook removed, a forged post refused."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from standardwebhooks.webhooks import Webhook

from bootstrap.hooks import HooksAdapters
from domain.hooks.auth_hooks import CallOutcome, HookCall
from tests.fakes.hooks import FakeAuthHooks, FakeHookClient
from tests.support.admin_pages import browser, root
from tests.support.app import World
from tests.support.hook_kinds import BEFORE_SIGN_UP
from tests.support.pages import csrf

pytestmark = pytest.mark.unit
__all__ = ["root"]  # the fixture: an admin's browser
PAGE = "/admin/hooks/auth"
URL = "http://127.0.0.1:9/hook"


@pytest.fixture
def world() -> World:
    return World()


def store(world: World) -> FakeAuthHooks:
    found = world.adapters.of(HooksAdapters).auth_hooks
    assert isinstance(found, FakeAuthHooks)
    return found


def set_hook(client: FlaskClient, **form: str) -> tuple[int, str]:
    fields = {"kind": "before_sign_up", "url": URL, "timeout_ms": "1500", "on_failure": "deny"}
    answer = client.post(PAGE, data={**fields, **form, "csrf_token": csrf(client, PAGE)})
    return answer.status_code, answer.get_data(as_text=True)


def test_an_admin_sets_a_hook_sees_its_secret_once_and_its_calls(
    world: World, root: FlaskClient
) -> None:
    assert "No auth hook yet." in root.get(PAGE).get_data(as_text=True)
    status, html = set_hook(root)
    assert status == 201
    found = re.search(r'id="secret" type="text" readonly value="(whsec_[^"]+)"', html)
    assert found is not None
    (hook,) = store(world).hooks.values()
    assert (hook.kind, hook.url, hook.timeout_ms, hook.on_failure.value) == (
        BEFORE_SIGN_UP.name,
        URL,
        1500,
        "deny",
    )
    at = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    # Each call overwrites a slot drawn at random (one in 100 draws the other's): two slots
    # of their own, so that both are kept
    store(world).slots[(hook.hook_id, 0)] = HookCall(hook.hook_id, at, 12, CallOutcome.OK, 200)
    failed = HookCall(hook.hook_id, at, 2000, CallOutcome.TIMEOUT, None, "no answer in time")
    store(world).slots[(hook.hook_id, 1)] = failed
    listed = root.get(PAGE).get_data(as_text=True)
    assert found.group(1) not in listed  # shown once
    assert URL in listed and "1500 ms" in listed and "deny: refuse" in listed
    assert f'Last calls of the before_sign_up hook at <code class="wrap">{URL}</code>' in listed
    assert "12 ms" in listed and "timeout" in listed and "no answer in time" in listed

    # A second hook of the kind is added beside the first, asked first by its order, and
    # scoped to one client and two orgs.
    other = "http://127.0.0.1:9/other"
    status, html = set_hook(
        root, url=other, on_failure="allow", order="-2", clients="app", orgs="o1, o2"
    )
    assert status == 201 and "It replaces" not in html
    second = next(h for h in store(world).hooks.values() if h.url == other)
    assert (second.order, second.clients, second.orgs) == (-2, ("app",), ("o1", "o2"))
    listed = root.get(PAGE).get_data(as_text=True)
    assert listed.index(other) < listed.index(URL)  # the kind's list, in its order
    assert "before_sign_up, order -2" in listed and "before_sign_up, order 0" in listed
    assert "Clients: app" in listed and "Organizations: o1, o2" in listed
    assert "Clients: every client" in listed


def test_the_latest_calls_are_shown_and_the_others_folded(world: World, root: FlaskClient) -> None:
    set_hook(root)
    (hook,) = store(world).hooks.values()
    at = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    for n in range(64):  # each in a slot of its own, the newest first
        store(world).slots[(hook.hook_id, n)] = HookCall(
            hook.hook_id, at - timedelta(seconds=n), 100 + n, CallOutcome.OK, 200
        )
    for language, summary in (("en", "Older calls: 59"), ("es", "Llamadas anteriores: 59")):
        html = root.get(PAGE, headers={"Accept-Language": language}).get_data(as_text=True)
        opened, _, folded = html.partition('<details class="older">')
        assert f"<summary>{summary}</summary>" in folded, html
        assert re.findall(r"(\d+) ms</td>", opened) == [str(100 + n) for n in range(5)]
        assert re.findall(r"(\d+) ms</td>", folded) == [str(100 + n) for n in range(5, 64)]


def test_a_refusal_is_shown_beside_its_field(world: World, root: FlaskClient) -> None:
    for form, field_id, message in (
        ({"timeout_ms": "9000"}, "hook-timeout_ms", "1 to 5000"),
        ({"timeout_ms": "soon"}, "hook-timeout_ms", "1 to 5000"),
        ({"url": "ftp://example.com/x"}, "hook-url", ""),
        ({"order": "first"}, "hook-order", "-1000000 to 1000000"),
    ):
        status, html = set_hook(root, **form)
        assert status == 422, html
        error = re.search(rf'id="{field_id}-error" role="alert">([^<]*)<', html)
        assert error is not None and message in error.group(1), html
    assert store(world).hooks == {}


def test_an_admin_removes_a_hook(world: World, root: FlaskClient) -> None:
    set_hook(root)
    (hook,) = store(world).hooks.values()
    removed = root.post(f"{PAGE}/{hook.hook_id}/remove", data={"csrf_token": csrf(root, PAGE)})
    assert removed.status_code == 303 and removed.headers["Location"] == f"{PAGE}?done=removed"
    page = root.get(f"{PAGE}?done=removed").get_data(as_text=True)
    assert "The hook is removed" in page and "No auth hook yet." in page
    assert store(world).hooks == {}


def test_a_forged_post_changes_nothing(world: World, root: FlaskClient) -> None:
    # The browser's cookies, no CSRF token: refused, nothing set or removed.
    forged = root.post(PAGE, data={"kind": "send_mail", "url": URL, "timeout_ms": "100"})
    assert forged.status_code == 403
    assert store(world).hooks == {}
    set_hook(root)
    (hook,) = store(world).hooks.values()
    assert root.post(f"{PAGE}/{hook.hook_id}/remove").status_code == 403
    assert list(store(world).hooks.values()) == [hook]


def test_a_non_admin_gets_403_pages(world: World, root: FlaskClient) -> None:
    bob = browser(world, "bob")
    assert bob.get(PAGE).status_code == 403
    form = {"kind": "send_mail", "url": URL, "timeout_ms": "100", "on_failure": "allow"}
    refused = bob.post(PAGE, data={**form, "csrf_token": csrf(bob, "/account")})
    assert refused.status_code == 403 and URL not in refused.get_data(as_text=True)
    assert store(world).hooks == {}
    assert world.app.test_client().get(PAGE).status_code == 303  # signed out: to sign in


def test_the_spanish_page(root: FlaskClient) -> None:
    html = root.get(PAGE, headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert '<html lang="es"' in html and "Ganchos de autenticación" in html


def test_a_browser_at_the_apis_address_is_sent_to_the_page(root: FlaskClient) -> None:
    """/admin/auth-hooks is the API's; a browser's navigation there lands on this page, and a
    program still gets the API's answer."""
    navigation = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    sent = root.get("/admin/auth-hooks", headers=navigation)
    assert sent.status_code == 303 and sent.headers["Location"].endswith(PAGE)
    assert root.get(sent.headers["Location"]).status_code == 200
    program = root.get("/admin/auth-hooks", headers={"Accept": "application/json"})
    assert program.status_code == 401 and program.mimetype == "application/problem+json"


def hook_client(world: World) -> FakeHookClient:
    found = world.adapters.of(HooksAdapters).hook_client
    assert isinstance(found, FakeHookClient)
    return found


@pytest.mark.parametrize("language", ["en", "es"])
def test_an_admin_tests_a_hook_against_its_receiver_with_its_own_secret(
    world: World, root: FlaskClient, language: str
) -> None:
    """The page's "Test" runs the CLI's `hooks test` on the hook as it is set: the kind's
    samples to its URL, signed with its own secret (the receiver verifies them as in use),
    each answer shown; nothing is stored, and the secret is not on the page."""
    status, html = set_hook(root)
    found = re.search(r'id="secret" type="text" readonly value="(whsec_[^"]+)"', html)
    assert status == 201 and found is not None
    (hook,) = store(world).hooks.values()
    client = hook_client(world)
    client.answer = {"decision": "allow"}
    root.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    answer = root.post(f"{PAGE}/{hook.hook_id}/test", data={"csrf_token": csrf(root, PAGE)})
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    passed = {
        "en": "Every sample was answered as the kind asks.",
        "es": "Cada muestra recibió la respuesta que pide el tipo.",
    }
    assert passed[language] in page and found.group(1) not in page
    assert client.asked and all(url == URL for url, *_ in client.asked)
    for _, body, headers, _, _ in client.asked:
        Webhook(found.group(1)).verify(body.decode(), headers)  # its own secret
    assert store(world).calls(hook) == []  # nothing kept

    # A receiver that answers wrong: the page says so, sample by sample.
    client.answer = {"decision": "maybe"}
    answer = root.post(f"{PAGE}/{hook.hook_id}/test", data={"csrf_token": csrf(root, PAGE)})
    page = answer.get_data(as_text=True)
    assert "bad_answer" in page
    assert "Not every sample" in page or "No todas las muestras" in page


def test_testing_needs_an_admin_a_hook_that_exists_and_the_csrf_token(
    world: World, root: FlaskClient
) -> None:
    bob = browser(world, "bob")
    set_hook(root)
    (hook,) = store(world).hooks.values()
    client = hook_client(world)
    assert root.post(f"{PAGE}/{hook.hook_id}/test").status_code == 403  # forged: no token
    missing = root.post(f"{PAGE}/nosuchhook123/test", data={"csrf_token": csrf(root, PAGE)})
    assert missing.status_code == 404
    refused = bob.post(f"{PAGE}/{hook.hook_id}/test", data={"csrf_token": csrf(bob, "/account")})
    assert refused.status_code == 403
    assert client.asked == []
