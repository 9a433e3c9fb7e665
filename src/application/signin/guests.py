"""Signing in as a guest (docs/guests.md): with GUEST_ACCOUNTS on, ``POST /auth/guest`` makes
an account with no address, username or password through the accounts' door and starts an
ordinary session for it; off, the route is not there (404 ``guests_disabled``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from application.accounts.accounts import RegisterGuest
from application.signin.sessions import SignIn, SignInRequest
from application.signin.tokens import TokenPair
from domain.accounts.users import User
from domain.errors import NotFound

GUESTS_DISABLED = "guests_disabled"
METHOD = "guest"  # what signin.succeeded calls this way in


@dataclass(frozen=True)
class StartGuest:
    """``client_ip``: after the trusted proxy hops; ``challenge_token``: the challenge's, when
    the client's address signs up often."""

    client_ip: str
    user_agent: str = ""
    challenge_token: str = ""
    locale: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Guests:
    """``enabled``: GUEST_ACCOUNTS; ``sign_up``: the accounts' guest sign-up
    (``Accounts.register_guest``); ``sign_in``: the step every sign-in ends with."""

    enabled: bool
    sign_up: Callable[[RegisterGuest], User]
    sign_in: SignIn

    def start(self, cmd: StartGuest) -> TokenPair:
        """A new guest's first token pair: a session like any other (refreshed, ended, listed
        as every session is), with no authentication method to name (``amr`` empty)."""
        if not self.enabled:
            raise NotFound("Guest accounts are off here.", code=GUESTS_DISABLED)
        user = self.sign_up(
            RegisterGuest(
                client_ip=cmd.client_ip,
                challenge_token=cmd.challenge_token,
                locale=cmd.locale,
            )
        )
        return self.sign_in(
            SignInRequest(user, (), cmd.user_agent, ip=cmd.client_ip or None, method=METHOD)
        )
