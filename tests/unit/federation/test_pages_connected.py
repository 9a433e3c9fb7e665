"""Connected accounts on the pages with the fakes: rule 3's "sign in to connect" (the pending
identity under this browser's cookie, the sign-in, the confirmation), the list and
"Disconnect" on /account/security (interfaces/web/federation/connected.py)."""

from __future__ import annotations

import pytest

from application.federation.connected import HoldPending
from application.federation.services import FederationServices
from application.ports import ExternalIdentity
from application.services import Services
from tests.support.pages import csrf
from tests.support.passkey_pages import SECURITY, Pages, pages, sign_up

pytestmark = pytest.mark.unit
GITHUB = ExternalIdentity("github", "gh-1", "alice@example.com", True, "Alice")


@pytest.fixture
def world() -> Pages:
    return pages()


def held_for(world: Pages) -> str:
    """The identity waiting for this browser, as a provider's sign-in that met rule 3 leaves
    it (the cookie of interfaces/web/federation/connected.py)."""
    services: Services = world.client.application.extensions["firegate"]
    secret = services.of(FederationServices).identities.hold_pending(HoldPending(GITHUB, "GitHub"))
    world.client.set_cookie("firegate_connect", secret)
    return secret


def test_sign_in_to_connect_then_confirm_links_the_identity(world: Pages) -> None:
    sign_up(world.client)
    held_for(world)
    notice = world.browser()
    assert "expired" in notice.get("/sign-in/connect").get_data(as_text=True)  # no cookie
    shown = world.client.get("/sign-in/connect").get_data(as_text=True)
    assert "alice@example.com" in shown and "GitHub" in shown
    assert "/sign-in?next=%2Faccount%2Fconnect" in shown

    confirm = world.client.get("/account/connect").get_data(as_text=True)
    assert "Connect the GitHub account alice@example.com" in confirm
    assert world.store.identities == {}  # nothing linked by looking
    done = world.client.post(
        "/account/connect", data={"csrf_token": csrf(world.client, "/account/connect")}
    )
    assert done.status_code == 303 and done.headers["Location"].startswith(SECURITY)
    (user_id,) = world.store.identities.values()
    assert world.store.identities == {"github:gh-1": user_id}
    page = world.client.get(SECURITY).get_data(as_text=True)
    assert "Connected accounts" in page and "github" in page


def test_a_pending_link_is_spent_once_and_needs_a_signed_in_browser(world: Pages) -> None:
    held_for(world)
    signed_out = world.client.get("/account/connect")
    assert signed_out.status_code == 303 and "/sign-in" in signed_out.headers["Location"]
    sign_up(world.client)
    token = csrf(world.client, "/account/connect")
    assert world.client.post("/account/connect", data={"csrf_token": token}).status_code == 303
    again = world.client.post("/account/connect", data={"csrf_token": token})
    assert again.status_code == 400, again.get_data(as_text=True)
    assert len(world.store.identities) == 1


def test_disconnect_on_the_security_section(world: Pages) -> None:
    sign_up(world.client)
    held_for(world)
    world.client.post(
        "/account/connect", data={"csrf_token": csrf(world.client, "/account/connect")}
    )
    gone = world.client.post(
        "/account/identities/github/disconnect", data={"csrf_token": csrf(world.client, SECURITY)}
    )
    assert gone.status_code == 303 and "identity-disconnected" in gone.headers["Location"]
    assert world.store.identities == {}
    assert "No account at another provider" in world.client.get(SECURITY).get_data(as_text=True)
