"""A guest made through the core, as the guests unit's ``POST /auth/guest`` makes one: the
accounts' door for a guest (``Accounts.register_guest``), then the step every sign-in ends
with. The core's tests of what a guest is (its upgrade, its claim, its hooks) use it, so that
they hold without the unit too (docs/decisions/0760-the-guest-way-in-is-a-unit.md); the way
in itself is the unit's to test (tests/unit/guests/)."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from application.accounts.services import AccountServices
from application.accounts.signups import RegisterGuest
from application.signin.services import SigninServices
from application.signin.sign_in import SignInRequest
from application.signin.tokens import TokenPair
from tests.support.api import services

GUEST_IP = "127.0.0.1"  # the test client's, as POST /auth/guest would count its sign-up


def new_guest(client: FlaskClient, user_agent: str = "tests") -> TokenPair:
    """A new guest signed in: its token pair (``guest: true`` in its access token)."""
    found = services(client.application)
    user = found.of(AccountServices).accounts.register_guest(RegisterGuest(client_ip=GUEST_IP))
    return found.of(SigninServices).sign_in(
        SignInRequest(user, (), user_agent, ip=GUEST_IP, method="guest")
    )


def new_guest_answer(client: FlaskClient) -> dict[str, Any]:
    """A new guest's token pair as ``POST /auth/guest`` answers it (its JSON)."""
    made = new_guest(client)
    return {
        "access_token": made.access_token,
        "token_type": made.token_type,
        "expires_in": made.expires_in,
        "refresh_token": made.refresh_token,
        "refresh_expires_in": made.refresh_expires_in,
    }
