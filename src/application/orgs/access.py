"""``POST /access/v1/evaluation`` and ``/evaluations`` (docs/reference/access.md): the
decisions, read from the memberships as they stand; an org is named by its id or its slug,
as on every other route."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from domain.orgs.access import AccessCaller, AccessQuestion, decide
from domain.orgs.orgs import Org, is_slug_shaped


class MemberPermissions(Protocol):
    def held(self, pairs: Sequence[tuple[str, str]]) -> Mapping[tuple[str, str], frozenset[str]]:
        """The permissions of each (org id, user id) that is a live org's membership of an
        enabled account, read in one round trip; a pair that is none is left out."""
        ...


class OrgsBySlug(Protocol):
    def find(self, id_or_slug: str) -> Org | None:
        """The live org named by its id or its slug."""
        ...


@dataclass(frozen=True)
class Evaluate:
    caller: AccessCaller
    questions: tuple[AccessQuestion, ...]
    stop_after: bool | None = None  # the decision after which the answers stop; None: none


@dataclass(frozen=True, kw_only=True, slots=True)
class AccessDecisions:
    permissions: MemberPermissions
    orgs: OrgsBySlug

    def evaluate(self, cmd: Evaluate) -> tuple[bool, ...]:
        """One decision per question, in their order, up to the first that is
        ``stop_after``; a question the caller may not ask refuses them all."""
        questions = self._by_id(cmd.questions)
        for question in questions:
            cmd.caller.check(question)
        pairs = list(dict.fromkeys((q.org_id, q.subject_id) for q in questions))
        held = self.permissions.held(pairs)
        decisions: list[bool] = []
        for question in questions:
            held_now = held.get((question.org_id, question.subject_id))
            decisions.append(decide(held_now, question, cmd.caller))
            if decisions[-1] is cmd.stop_after:
                break
        return tuple(decisions)

    def _by_id(self, questions: tuple[AccessQuestion, ...]) -> tuple[AccessQuestion, ...]:
        """Each question with its org named by id: a slug is looked up once per request (an
        org's id is never slug-shaped); a slug that names no live org is left as it is, and
        is no membership's."""
        slugs = dict.fromkeys(q.org_id for q in questions if is_slug_shaped(q.org_id))
        ids = {slug: org.id for slug in slugs if (org := self.orgs.find(slug)) is not None}
        return tuple(replace(q, org_id=ids.get(q.org_id, q.org_id)) for q in questions)
