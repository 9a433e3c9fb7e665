"""Sign-in's authentication of a request, the kernel's ``AUTHENTICATE``, and its renewal of
a session, ``RENEW_SESSION``
(interfaces/shared/callers.py; docs/decisions/0806-the-requests-caller-is-a-slot-signin-fills.md):
the credentials a request presents become sign-in's ``Actor``, through its ``Authentication``
and every check it makes (the token, the session, the guards the units lend, the active org)."""

from __future__ import annotations

from application.signin.authentication import Actor, Authenticate
from application.signin.services import SigninServices
from application.signin.sessions import Refresh
from application.signin.tokens import TokenPair
from interfaces.shared.callers import Caller, Presented
from interfaces.shared.services import services


def authenticate(presented: Presented) -> Actor:
    """The ``Actor`` the credentials ``presented`` name (``Unauthenticated`` for none)."""
    command = Authenticate(
        presented.access_token,
        with_factor=presented.with_factor,
        personal_method=presented.personal_method,
        route=presented.route,
    )
    return services().of(SigninServices).authentication.authenticate(command)


def renew(refresh_token: str) -> TokenPair:
    """The session's rotated tokens for ``refresh_token`` (``Unauthenticated`` for none)."""
    return services().of(SigninServices).sessions.refresh(Refresh(refresh_token))


def actor_of(caller: Caller) -> Actor:
    """The kernel's caller as sign-in made it: its ``Actor``, which filled ``AUTHENTICATE``."""
    if not isinstance(caller, Actor):
        raise TypeError(f"the request's caller is no sign-in Actor: {type(caller).__name__}")
    return caller
