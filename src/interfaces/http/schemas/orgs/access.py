"""AuthZEN 1.0's evaluation request and answer (docs/reference/access.md): a subject (a user),
an action (a permission's name) and a resource (an org)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from interfaces.http.schemas.common import Schema, Strict, no_null, not_null

EVALUATIONS_MAX = 100  # questions in one batch
ID = Field(min_length=1, max_length=64, description="The id firegate gave it")
PROPERTIES = Field(default=None, description="AuthZEN's properties or context: not used")


class Subject(Strict):
    type: Literal["user"] = Field(description="Only users are asked about")
    id: str = ID
    properties: dict[str, Any] | None = PROPERTIES


class Action(Strict):
    name: str = Field(
        min_length=1, max_length=100, description="A permission's name (invoices:read)"
    )
    properties: dict[str, Any] | None = PROPERTIES


class Resource(Strict):
    type: Literal["org"] = Field(description="Only orgs are asked about")
    id: str = Field(min_length=1, max_length=64, description="The org's id or its slug")
    properties: dict[str, Any] | None = PROPERTIES


class EvaluationRequest(Strict):
    subject: Subject
    action: Action
    resource: Resource
    context: dict[str, Any] | None = PROPERTIES


class Decision(Schema):
    decision: bool


class EvaluationItem(Strict):
    """One question of a batch: what it leaves out is the request's own (a default)."""

    subject: Subject | None = Field(default=None, json_schema_extra=not_null)
    action: Action | None = Field(default=None, json_schema_extra=not_null)
    resource: Resource | None = Field(default=None, json_schema_extra=not_null)
    context: dict[str, Any] | None = PROPERTIES

    _not_null = field_validator("subject", "action", "resource", mode="before")(no_null)


class EvaluationOptions(Strict):
    evaluations_semantic: Literal["execute_all", "deny_on_first_deny", "permit_on_first_permit"] = (
        Field(
            default="execute_all",
            description="execute_all: every answer; the others stop after the first deny or permit",
        )
    )


class EvaluationsRequest(EvaluationItem):
    evaluations: list[EvaluationItem] = Field(min_length=1, max_length=EVALUATIONS_MAX)
    options: EvaluationOptions | None = Field(default=None, json_schema_extra=not_null)

    _options_not_null = field_validator("options", mode="before")(no_null)


class Decisions(Schema):
    evaluations: list[Decision]
