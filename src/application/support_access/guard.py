"""Support access's session guard, lent to sign-in's slot (``Unit.session_guards``): a
session of support access serves no route that makes or changes what would outlast it
(docs/support-access.md, "What is refused"; the routes: interfaces/shared/support_access.py)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from application.accounts.accounts import require_own_session
from application.signin.authentication import Route
from domain.signin.sessions import Session


@dataclass(frozen=True, kw_only=True, slots=True)
class OwnSessionOnly:
    """``refused``: the routes only the person's own session is served (403
    ``impersonation_forbidden`` to a session an admin acts in)."""

    refused: Collection[Route]

    def check(self, session: Session, route: Route | None) -> None:
        if route is not None and route in self.refused:
            require_own_session(session)
