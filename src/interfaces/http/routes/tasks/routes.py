"""The caller's own tasks. Another user's task answers 404, like a missing one."""

from __future__ import annotations

from flask import Blueprint, Response

from application.signin.authentication import Actor
from application.tasks import DeleteTask, EditTask, GetTask, NewTask, TaskQuery, Tasks
from interfaces.http.auth import authenticated
from interfaces.http.openapi import doc
from interfaces.http.parsing import parse_json, parse_query
from interfaces.http.responses import json_response, no_content
from interfaces.http.routes.tasks.schemas import (
    TaskCreate,
    TaskListQuery,
    TaskOut,
    TaskPage,
    TaskPatch,
    TaskReplace,
)
from interfaces.http.schemas.common import Problem
from interfaces.shared.services import services

bp = Blueprint("tasks", __name__, url_prefix="/tasks")
TAGS = ("tasks",)


@bp.post("")
@doc(json=TaskCreate, responses={201: TaskOut, 403: Problem}, auth=True, tags=TAGS)
@authenticated
def create_task(actor: Actor) -> Response:
    """Create a task owned by the caller."""
    body = parse_json(TaskCreate)
    task = services().of(Tasks).create(NewTask(owner_id=actor.user_id, **body.model_dump()))
    return json_response(TaskOut.of(task), 201, {"Location": f"/tasks/{task.id}"})


@bp.get("")
@doc(query=TaskListQuery, responses={200: TaskPage, 403: Problem}, auth=True, tags=TAGS)
@authenticated
def list_tasks(actor: Actor) -> Response:
    """The caller's tasks, oldest first, paginated; ``?done=true|false`` filters."""
    query = parse_query(TaskListQuery)
    page = (
        services()
        .of(Tasks)
        .list(
            TaskQuery(
                owner_id=actor.user_id,
                limit=query.limit,
                cursor=query.cursor,
                done=None if query.done is None else query.done == "true",
            )
        )
    )
    return json_response(
        TaskPage(items=[TaskOut.of(task) for task in page.items], next_cursor=page.next_cursor)
    )


@bp.get("/<task_id>")
@doc(responses={200: TaskOut, 403: Problem, 404: Problem}, auth=True, tags=TAGS)
@authenticated
def get_task(actor: Actor, task_id: str) -> Response:
    """One of the caller's tasks."""
    return json_response(TaskOut.of(services().of(Tasks).get(GetTask(actor, task_id))))


@bp.put("/<task_id>")
@doc(json=TaskReplace, responses={200: TaskOut, 403: Problem, 404: Problem}, auth=True, tags=TAGS)
@authenticated
def replace_task(actor: Actor, task_id: str) -> Response:
    """Replace the task: omitted fields get their defaults."""
    body = parse_json(TaskReplace)
    changes = tuple(body.model_dump().items())
    cmd = EditTask(owner_id=actor.user_id, task_id=task_id, changes=changes)
    return json_response(TaskOut.of(services().of(Tasks).edit(cmd)))


@bp.patch("/<task_id>")
@doc(json=TaskPatch, responses={200: TaskOut, 403: Problem, 404: Problem}, auth=True, tags=TAGS)
@authenticated
def patch_task(actor: Actor, task_id: str) -> Response:
    """Change only the fields given."""
    body = parse_json(TaskPatch)
    changes = tuple((name, getattr(body, name)) for name in sorted(body.model_fields_set))
    cmd = EditTask(owner_id=actor.user_id, task_id=task_id, changes=changes)
    return json_response(TaskOut.of(services().of(Tasks).edit(cmd)))


@bp.delete("/<task_id>")
@doc(responses={204: None, 403: Problem, 404: Problem}, auth=True, tags=TAGS)
@authenticated
def delete_task(actor: Actor, task_id: str) -> Response:
    """Delete one of the caller's tasks."""
    services().of(Tasks).delete(DeleteTask(actor, task_id))
    return no_content()
