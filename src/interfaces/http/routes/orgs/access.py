"""docs/reference/access.md: POST /access/v1/evaluation and /access/v1/evaluations, AuthZEN
1.0's evaluation API over the orgs' permissions."""

from __future__ import annotations

from flask import Blueprint, Response

from application.orgs.access import Evaluate
from application.orgs.services import OrgServices
from domain.errors import FieldError, InvalidInput
from domain.orgs.access import AccessCaller, AccessQuestion
from interfaces.http.openapi import doc
from interfaces.http.parsing import parse_json
from interfaces.http.responses import json_response
from interfaces.http.routes.orgs.callers import person_or_org_client
from interfaces.http.schemas.common import Problem
from interfaces.http.schemas.orgs.access import (
    Decision,
    Decisions,
    EvaluationRequest,
    EvaluationsRequest,
)
from interfaces.shared.services import services

bp = Blueprint("access", __name__, url_prefix="/access/v1")
TAGS = ("access",)
RESPONSES = {403: Problem, 429: Problem}
# options.evaluations_semantic: the decision after which the answers stop (None: none)
# A batch item's part left out both in the item and at the request's top level: the document
# cannot say a part is needed in one of the two places (docs/reference/access.md).
NO_DEFAULT = "missing_here_and_at_top"
STOP_AFTER = {"execute_all": None, "deny_on_first_deny": False, "permit_on_first_permit": True}


@bp.post("/evaluation")
@doc(json=EvaluationRequest, responses={200: Decision, **RESPONSES}, auth=True, tags=TAGS)
@person_or_org_client
def evaluation(caller: AccessCaller) -> Response:
    """Whether the user may do the action (a permission's name) in the org: whether one of
    their roles there carries the permission. A person asks about themselves; an org's
    client about its own org."""
    body = parse_json(EvaluationRequest)
    question = AccessQuestion(body.subject.id, body.action.name, body.resource.id)
    (decision,) = services().of(OrgServices).access.evaluate(Evaluate(caller, (question,)))
    return json_response(Decision(decision=decision))


@bp.post("/evaluations")
@doc(json=EvaluationsRequest, responses={200: Decisions, **RESPONSES}, auth=True, tags=TAGS)
@person_or_org_client
def evaluations(caller: AccessCaller) -> Response:
    """Several questions at once: each item's subject, action and resource, or the
    request's own where it leaves one out; the answers in their order."""
    body = parse_json(EvaluationsRequest)
    questions, missing = [], []
    for n, item in enumerate(body.evaluations):
        subject, action = item.subject or body.subject, item.action or body.action
        resource = item.resource or body.resource
        for name, part in (("subject", subject), ("action", action), ("resource", resource)):
            if part is None:
                missing.append(
                    FieldError(
                        f"evaluations.{n}.{name}", "Required here or at the top.", NO_DEFAULT
                    )
                )
        if subject is not None and action is not None and resource is not None:
            questions.append(AccessQuestion(subject.id, action.name, resource.id))
    if missing:
        raise InvalidInput(errors=tuple(missing))
    semantic = body.options.evaluations_semantic if body.options else "execute_all"
    decisions = (
        services()
        .of(OrgServices)
        .access.evaluate(Evaluate(caller, tuple(questions), stop_after=STOP_AFTER[semantic]))
    )
    return json_response(Decisions(evaluations=[Decision(decision=d) for d in decisions]))
