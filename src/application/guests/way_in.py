"""The guests unit: the guest way in (docs/guests.md). With GUEST_ACCOUNTS on,
``POST /auth/guest`` makes an account with no address, username or password through the
accounts' door and starts an ordinary session for it, ending with the step every sign-in ends
with; off, the route is not there (404 ``guests_disabled``). What a guest is, its upgrade in
place, its merge and its expiry are the accounts' own, whichever way made the guest
(docs/decisions/0760-the-guest-way-in-is-a-unit.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from application.accounts.signups import RegisterGuest
from application.signin.sign_in import SignIn, SignInRequest
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
class Door:
    """The core's door a new guest passes: ``sign_up``, the accounts' guest sign-up
    (``Accounts.register_guest``: who may sign up, the challenge, the ``before_sign_up``
    hook), and ``sign_in``, the step every sign-in ends with (``SigninServices.sign_in``).
    The route hands them over: a unit is built on the kernel, not on the core's records."""

    sign_up: Callable[[RegisterGuest], User]
    sign_in: SignIn


@dataclass(frozen=True, kw_only=True, slots=True)
class Guests:
    """``enabled``: GUEST_ACCOUNTS."""

    enabled: bool

    def start(self, cmd: StartGuest, door: Door) -> TokenPair:
        """A new guest's first token pair: a session like any other (refreshed, ended, listed
        as every session is), with no authentication method to name (``amr`` empty)."""
        if not self.enabled:
            raise NotFound("Guest accounts are off here.", code=GUESTS_DISABLED)
        user = door.sign_up(
            RegisterGuest(
                client_ip=cmd.client_ip,
                challenge_token=cmd.challenge_token,
                locale=cmd.locale,
            )
        )
        return door.sign_in(
            SignInRequest(user, (), cmd.user_agent, ip=cmd.client_ip or None, method=METHOD)
        )
