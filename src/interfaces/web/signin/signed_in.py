"""The pages' signed-in caller as sign-in made it: its ``Actor``, for the pages of sign-in and
of the capabilities above it (the kernel's ``browser.signed_in`` gives the kernel's
``Caller``; docs/decisions/0806-the-requests-caller-is-a-slot-signin-fills.md)."""

from __future__ import annotations

from application.signin.authentication import Actor, actor_of
from interfaces.web import browser


def signed_in_actor(*, with_factor: bool = False) -> Actor | None:
    """``browser.signed_in``'s caller, sign-in's ``Actor``; None when signed out."""
    caller = browser.signed_in(with_factor=with_factor)
    return actor_of(caller) if caller is not None else None
