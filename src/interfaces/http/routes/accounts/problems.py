"""What the accounts' refusals add to their problems (``PROBLEM_PARTS``,
interfaces/shared/problems.py): a signup's reason, and a guest upgrade's merge token."""

from __future__ import annotations

from collections.abc import Mapping

from application.accounts.services import AccountServices
from domain.accounts.guest.refusals import AccountExists
from domain.accounts.signups import SignupNotAllowed
from interfaces.shared.problems import ProblemPart
from interfaces.shared.services import services


def _reason(exc: SignupNotAllowed) -> Mapping[str, object]:
    return {"reason": exc.reason.value}


def _merge_token(exc: AccountExists) -> Mapping[str, object]:
    # Minted here, where every upgrade's refusal becomes its answer; the ids stay out
    # (docs/decisions/0560-the-merge-token.md).
    return {"merge_token": services().of(AccountServices).guest_merges.offer(exc)}


PROBLEM_PARTS = (
    ProblemPart(SignupNotAllowed, members=_reason),
    ProblemPart(AccountExists, members=_merge_token),
)
