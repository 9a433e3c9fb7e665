"""What sign-in adds to the problems (``PROBLEM_PARTS``, interfaces/shared/problems.py): the
step-up challenge of a session whose sign-in is too old for what it asks."""

from __future__ import annotations

from collections.abc import Mapping

from application.signin.services import SigninServices
from domain.errors import ReauthenticationRequired
from domain.signin.acr import INSUFFICIENT_USER_AUTHENTICATION
from interfaces.shared.problems import ProblemPart
from interfaces.shared.services import services


def step_up_challenge() -> str:
    """RFC 9470 §3: the session's sign-in is too old for what it asks, and a new one within
    ``max_age`` seconds will do (docs/security.md, "Step-up";
    docs/decisions/0574-an-api-resources-min-acr.md)."""
    max_age = int(services().of(SigninServices).authentication.reauth_max_age.total_seconds())
    return (
        f'Bearer realm="firegate", error="{INSUFFICIENT_USER_AUTHENTICATION}", '
        'error_description="A more recent sign-in is required", '
        f'max_age="{max_age}"'
    )


def _step_up(_exc: ReauthenticationRequired) -> Mapping[str, str]:
    return {"WWW-Authenticate": step_up_challenge()}


PROBLEM_PARTS = (ProblemPart(ReauthenticationRequired, headers=_step_up),)
