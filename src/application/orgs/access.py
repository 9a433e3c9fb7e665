"""``POST /access/v1/evaluation`` and ``/evaluations`` (docs/reference/access.md): the
decisions, read from the memberships as they stand."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from domain.orgs.access import AccessCaller, AccessQuestion, decide


class MemberPermissions(Protocol):
    def held(self, pairs: Sequence[tuple[str, str]]) -> Mapping[tuple[str, str], frozenset[str]]:
        """The permissions of each (org id, user id) that is a live org's membership of an
        enabled account, read in one round trip; a pair that is none is left out."""
        ...


@dataclass(frozen=True)
class Evaluate:
    caller: AccessCaller
    questions: tuple[AccessQuestion, ...]
    stop_after: bool | None = None  # the decision after which the answers stop; None: none


@dataclass(frozen=True, kw_only=True, slots=True)
class AccessDecisions:
    permissions: MemberPermissions

    def evaluate(self, cmd: Evaluate) -> tuple[bool, ...]:
        """One decision per question, in their order, up to the first that is
        ``stop_after``; a question the caller may not ask refuses them all."""
        for question in cmd.questions:
            cmd.caller.check(question)
        pairs = list(dict.fromkeys((q.org_id, q.subject_id) for q in cmd.questions))
        held = self.permissions.held(pairs)
        decisions: list[bool] = []
        for question in cmd.questions:
            decisions.append(decide(held.get((question.org_id, question.subject_id)), question))
            if decisions[-1] is cmd.stop_after:
                break
        return tuple(decisions)
