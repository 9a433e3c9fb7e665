"""What a sender's failed check adds to its problem (``PROBLEM_PARTS``,
interfaces/shared/problems.py): the checks that found something missing, and what each did."""

from __future__ import annotations

from collections.abc import Mapping

from domain.org_brand.sender import SenderNotAligned
from interfaces.shared.problems import ProblemPart


def _missing(exc: SenderNotAligned) -> Mapping[str, object]:
    return {"missing": list(exc.missing), "problems": dict(exc.problems)}


PROBLEM_PARTS = (ProblemPart(SenderNotAligned, members=_missing),)
