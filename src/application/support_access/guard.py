"""Support access's session guard, lent to sign-in's slot (``SESSION_GUARDS``): what a
session of support access may not do, route by route (docs/support-access.md, "What is
refused"). It is made, once, when the service is built, of the routes every running unit
says make or change something that outlasts a session (the accounts' ``OUTLASTING_ROUTES``,
each unit its own routes, with their kind: ``Outlasting``); a unit taken out takes its
routes with it.

The API's bearer decorators (interfaces/http/auth.py) and the pages' signed-in session
(interfaces/web/browser.py) hand the route to ``Authentication.authenticate``, which asks
this guard: a session of support access is refused these (403 ``impersonation_forbidden``).
The pages show each form that posts to one of these routes disabled, with the reason, from
the same routes (interfaces/web/support_access/impersonation.py). A route of the API and a
page that make the same change are both named; a test walks the route table so that a new
one cannot be missed (docs/security.md, "Support access")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from application.accounts.accounts import require_own_session
from application.signin.authentication import Route
from domain.accounts.outlasting import Outlasting
from domain.signin.sessions import Session


@dataclass(frozen=True, slots=True)
class OwnSessionOnly:
    """``refused``: the routes only the person's own session is served (403
    ``impersonation_forbidden`` to a session an admin acts in), each with what it would
    change: every running unit's ``OUTLASTING_ROUTES``, by route (sign-in's maker of the
    guards hands them: ``SESSION_GUARDS(OwnSessionOnly)``)."""

    refused: Mapping[Route, Outlasting]

    def check(self, session: Session, route: Route | None) -> None:
        if route is not None and route in self.refused:
            require_own_session(session)
