"""Who acts in the request being served, where someone other than the person does: the
audit trail's "who acted for whom" (a session of support access, docs/support-access.md;
docs/decisions/0765-support-access-is-a-unit.md). Authentication notes it as it builds the
request's actor; the audit trail names the acting admin as the actor of each event.

Who calls: what the kernel's decorators know of a request's caller, and the slot through
which sign-in tells it (docs/decisions/0806-the-requests-caller-is-a-slot-signin-fills.md).

The routes of every capability take their caller from the kernel's decorators
(``interfaces/http/auth.py``), the accounts' among them, which rank below sign-in. So what
the kernel knows of a caller is only what it reads (``Caller``: whose it is, whether it is
a personal access token, and the account's language and time zone, which the pages speak
and show); how the credentials a request presents become
a caller, with every check of the token, the session, its guards and its org, is sign-in's,
which fills ``AUTHENTICATE`` (and ``RENEW_SESSION``, the pages' renewal of an expired
session). The route is handed the caller sign-in made, and reads it by
its own capability's type (the accounts' ``Caller``, sign-in's ``Actor``).

The shell keeps the units' fillings on the app (``ShellConfig.fills``), so a request reads a
slot the kernel's or a capability's driving adapter declares: ``filled_here(KEY)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from flask import current_app, g, has_request_context, request

from domain.slots import Filling, Slot

_ACTING = "firegate_acting"  # in g: (person, admin) of this request's support access


class RequestActing:
    """The request's support access, as its authentication found it (``ActingNote``), read
    by the audit trail, which names the admin as the actor of each event the request causes
    (``WithRequestOrigin.acting``)."""

    def acting(self, person_id: str, admin_id: str) -> None:
        if has_request_context():
            setattr(g, _ACTING, (person_id, admin_id))

    def current(self) -> tuple[str, str] | None:
        if not has_request_context():
            return None
        found: tuple[str, str] | None = g.get(_ACTING)
        return found


REQUEST_ACTING = RequestActing()


def route_here() -> tuple[str, str] | None:
    """The route being served, as (method, rule as the route declares it): what the session
    guards lent to sign-in read where the request's actor is built (``Authenticate.route``;
    None: no route matched)."""
    rule = request.url_rule
    return (request.method, rule.rule) if rule is not None else None


FILLS = "firegate.fills"  # on the app: every running unit's fillings, in the units' order


@dataclass(frozen=True)
class Presented:
    """The credentials a request presents: an access token (the bearer token, or the pages'
    session cookie's), and what the caller's making reads with it."""

    access_token: str
    # Read the account's authenticator in the same round trip (sign-in's ``Actor.factor``)
    with_factor: bool = False
    # The request's method where a personal access token is accepted too (the JSON API);
    # None: only a session's access token (the pages' cookie).
    personal_method: str | None = None
    # The route being served, (method, rule as declared): what the session guards read
    route: tuple[str, str] | None = None


class Caller(Protocol):
    """What the kernel reads of a caller (its decorators, the pages' language and time
    zone): sign-in's ``Actor`` fits it."""

    @property
    def user_id(self) -> str: ...

    @property
    def personal(self) -> bool:
        """A personal access token rather than a signed-in session."""
        ...

    @property
    def locale(self) -> str | None:
        """The account's language, which the pages speak (None: none chosen)."""
        ...

    @property
    def time_zone(self) -> str | None:
        """The account's time zone, in which the pages show times (None: none chosen)."""
        ...


type Authenticator = Callable[[Presented], Caller]

# Filled by sign-in (its record, bootstrap/signin.py): the one authenticator of the requests.
# It raises ``Unauthenticated`` (401) for credentials that name no live caller, and any
# ``DomainError`` its checks make (a session guard's 403).
AUTHENTICATE = Slot[Authenticator]("the request's authentication")


class SessionTokens(Protocol):
    """A session's tokens as the pages' cookies keep them: sign-in's ``TokenPair`` fits it."""

    @property
    def access_token(self) -> str: ...

    @property
    def refresh_token(self) -> str: ...

    @property
    def refresh_expires_in(self) -> int: ...

    @property
    def device_token(self) -> str | None: ...


type Renewal = Callable[[str], SessionTokens]

# Filled by sign-in with its refresh: a refresh token in, the session's rotated tokens out;
# ``Unauthenticated`` for one that is spent, expired or none of a live session's. The pages
# renew a session whose access token expired (interfaces/web/browser.py).
RENEW_SESSION = Slot[Renewal]("the session's renewal")


def filled_here[T](slot: Slot[T]) -> tuple[T, ...]:
    """What the running units put in ``slot``, in the units' order, read in a request."""
    kept: Sequence[Filling[Any]] = current_app.extensions.get(FILLS, ())
    return tuple(item for filling in kept if filling.slot is slot for item in filling.items)


def authenticated_caller(presented: Presented) -> Caller:
    """The caller ``presented`` names, made by the unit that fills ``AUTHENTICATE``."""
    found = filled_here(AUTHENTICATE)
    if len(found) != 1:
        raise LookupError(f"{len(found)} units fill {AUTHENTICATE.name}; one must")
    return found[0](presented)


def renewed_session(refresh_token: str) -> SessionTokens:
    """The session's rotated tokens, made by the unit that fills ``RENEW_SESSION``."""
    found = filled_here(RENEW_SESSION)
    if len(found) != 1:
        raise LookupError(f"{len(found)} units fill {RENEW_SESSION.name}; one must")
    return found[0](refresh_token)
