"""Tasks over HTTP on in-memory fakes: CRUD, validation, filter, pages, other users."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.support.api import assert_field_error, assert_problem, bearer, login, register

pytestmark = pytest.mark.unit


@pytest.fixture
def alice(client: FlaskClient) -> dict[str, str]:
    register(client, "alice")
    return bearer(login(client, "alice"))


@pytest.fixture
def bob(client: FlaskClient) -> dict[str, str]:
    register(client, "bob")
    return bearer(login(client, "bob"))


def create(client: FlaskClient, auth: dict[str, str], **body: Any) -> dict[str, Any]:
    response = client.post("/tasks", json={"title": "Walk the dog", **body}, headers=auth)
    assert response.status_code == 201, response.get_json()
    task: dict[str, Any] = response.get_json()
    return task


def test_create_answers_the_task_with_location(client: FlaskClient, alice: dict[str, str]) -> None:
    response = client.post(
        "/tasks",
        json={"title": "Vet", "description": "shots", "due_date": "2026-05-01T14:00:00+02:00"},
        headers=alice,
    )
    assert response.status_code == 201
    task = response.get_json()
    assert response.headers["Location"] == f"/tasks/{task['id']}"
    assert set(task) == {
        "id",
        "title",
        "description",
        "done",
        "due_date",
        "owner_id",
        "created_at",
        "updated_at",
    }
    me = client.get("/user", headers=alice).get_json()
    assert task["owner_id"] == me["id"]
    assert task["done"] is False and task["description"] == "shots"
    assert task["due_date"] == "2026-05-01T12:00:00Z"  # stored and shown in UTC
    assert task["created_at"] == task["updated_at"] and task["created_at"].endswith("Z")
    assert client.get(f"/tasks/{task['id']}", headers=alice).get_json() == task


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({}, "title", "missing"),
        ({"title": ""}, "title", "string_too_short"),
        ({"title": "x" * 201}, "title", "string_too_long"),
        ({"title": "   "}, "title", "invalid_title"),
        ({"title": 5}, "title", "string_type"),
        ({"title": "t", "description": "d" * 5001}, "description", "string_too_long"),
        ({"title": "t", "done": "yes"}, "done", "bool_type"),
        ({"title": "t", "due_date": "2026-05-01"}, "due_date", "invalid_datetime"),
        ({"title": "t", "due_date": "2026-05-01T12:00:00"}, "due_date", "invalid_datetime"),
        ({"title": "t", "due_date": "2026-02-30T12:00:00Z"}, "due_date", "invalid_datetime"),
        ({"title": "t", "due_date": 1767225600}, "due_date", "invalid_datetime"),
        ({"title": "t", "owner_id": "someone"}, "owner_id", "unknown_field"),
        ({"title": "t", "id": "x"}, "id", "unknown_field"),
        ({"title": "t", "created_at": "2026-05-01T12:00:00Z"}, "created_at", "unknown_field"),
    ],
)
def test_invalid_bodies_are_422_per_field(
    client: FlaskClient, alice: dict[str, str], body: dict[str, Any], field: str, code: str
) -> None:
    assert_field_error(client.post("/tasks", json=body, headers=alice), field, code)


def test_limits_are_inclusive(client: FlaskClient, alice: dict[str, str]) -> None:
    task = create(client, alice, title="x" * 200, description="d" * 5000)
    assert len(task["title"]) == 200 and len(task["description"]) == 5000
    assert create(client, alice, title="ü" * 200)["title"] == "ü" * 200  # characters, not bytes


def test_put_replaces_and_patch_changes_only_what_is_given(
    client: FlaskClient, alice: dict[str, str]
) -> None:
    task = create(client, alice, description="old", due_date="2026-05-01T12:00:00Z")
    path = f"/tasks/{task['id']}"
    patched = client.patch(path, json={"done": True}, headers=alice).get_json()
    assert patched["done"] is True and patched["description"] == "old"
    assert patched["due_date"] == "2026-05-01T12:00:00Z"
    assert patched["created_at"] == task["created_at"]
    cleared = client.patch(path, json={"due_date": None}, headers=alice).get_json()
    assert cleared["due_date"] is None and cleared["done"] is True
    replaced = client.put(path, json={"title": "New title"}, headers=alice).get_json()
    assert replaced["title"] == "New title"
    assert replaced["description"] is None and replaced["done"] is False
    assert client.get(path, headers=alice).get_json() == replaced
    assert client.patch(path, json={}, headers=alice).status_code == 200


@pytest.mark.parametrize(
    ("method", "body", "field", "code"),
    [
        ("put", {}, "title", "missing"),
        ("put", {"title": "t", "owner_id": "x"}, "owner_id", "unknown_field"),
        ("patch", {"title": None}, "title", "null_not_allowed"),
        ("patch", {"done": None}, "done", "null_not_allowed"),
        ("patch", {"updated_at": "2026-05-01T12:00:00Z"}, "updated_at", "unknown_field"),
        ("patch", {"due_date": "tomorrow"}, "due_date", "invalid_datetime"),
    ],
)
def test_invalid_changes_are_422_and_change_nothing(
    client: FlaskClient,
    alice: dict[str, str],
    *,
    method: str,
    body: dict[str, Any],
    field: str,
    code: str,
) -> None:
    task = create(client, alice)
    path = f"/tasks/{task['id']}"
    assert_field_error(getattr(client, method)(path, json=body, headers=alice), field, code)
    assert client.get(path, headers=alice).get_json() == task


def test_delete_then_gone(client: FlaskClient, alice: dict[str, str]) -> None:
    task = create(client, alice)
    path = f"/tasks/{task['id']}"
    assert client.delete(path, headers=alice).status_code == 204
    assert_problem(client.get(path, headers=alice), 404, "task_not_found")
    assert_problem(client.delete(path, headers=alice), 404, "task_not_found")


ROUTES = [
    ("get", "/tasks", None),
    ("post", "/tasks", {"title": "t"}),
    ("get", "/tasks/{id}", None),
    ("put", "/tasks/{id}", {"title": "t"}),
    ("patch", "/tasks/{id}", {"done": True}),
    ("delete", "/tasks/{id}", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_every_route_needs_a_token(
    client: FlaskClient, alice: dict[str, str], method: str, path: str, body: Any
) -> None:
    task = create(client, alice)
    response = getattr(client, method)(path.format(id=task["id"]), json=body)
    assert_problem(response, 401, "missing_token")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get(f"/tasks/{task['id']}", headers=alice).get_json() == task


@pytest.mark.parametrize(("method", "path", "body"), [r for r in ROUTES if "{id}" in r[1]])
def test_another_users_task_is_404_and_unchanged(
    client: FlaskClient,
    alice: dict[str, str],
    *,
    bob: dict[str, str],
    method: str,
    path: str,
    body: Any,
) -> None:
    task = create(client, alice)
    response = getattr(client, method)(path.format(id=task["id"]), json=body, headers=bob)
    assert_problem(response, 404, "task_not_found")
    assert client.get(f"/tasks/{task['id']}", headers=alice).get_json() == task
    assert client.get("/tasks", headers=bob).get_json() == {"items": [], "next_cursor": None}


@pytest.mark.parametrize("task_id", ["nope", "a" * 65, "..", "x y", "%C3%A9"])
def test_unknown_or_malformed_ids_are_404(
    client: FlaskClient, alice: dict[str, str], task_id: str
) -> None:
    assert_problem(client.get(f"/tasks/{task_id}", headers=alice), 404, "task_not_found")


def test_done_filter(client: FlaskClient, alice: dict[str, str]) -> None:
    titles = [f"t{i}" for i in range(5)]
    for i, title in enumerate(titles):
        create(client, alice, title=title, done=i % 2 == 0)

    def listed(query: str) -> list[str]:
        return [t["title"] for t in client.get(f"/tasks{query}", headers=alice).get_json()["items"]]

    assert listed("") == titles  # oldest first
    assert listed("?done=true") == ["t0", "t2", "t4"]
    assert listed("?done=false") == ["t1", "t3"]
    for bad in ("?done=yes", "?done=1", "?done=", "?color=red", "?limit=0", "?limit=101"):
        assert_problem(client.get(f"/tasks{bad}", headers=alice), 422, "validation_failed")


def walk(client: FlaskClient, auth: dict[str, str], query: str, between: Any = None) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        url = f"/tasks?limit=3{query}" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=auth).get_json()
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen
        if between is not None:
            between()


def test_pages_visit_every_task_once_while_tasks_are_added(
    client: FlaskClient, alice: dict[str, str]
) -> None:
    before = [create(client, alice, title=f"t{i}")["id"] for i in range(10)]
    added: list[str] = []
    seen = walk(client, alice, "", lambda: added.append(create(client, alice)["id"]))
    assert len(seen) == len(set(seen))  # nothing twice
    assert seen[: len(before)] == before  # everything that existed, in order
    assert set(seen) == set(before) | set(added)  # new ones come at the end


def test_cursor_we_did_not_make_is_422(client: FlaskClient, alice: dict[str, str]) -> None:
    for cursor in ("garbage", "eyJhZnRlciI6IngifQ", "eyJhZnRlciI6IjEyLi4ifQ"):
        response = client.get(f"/tasks?cursor={cursor}", headers=alice)
        assert_problem(response, 422, "invalid_cursor")


def test_deleting_the_account_deletes_its_tasks(
    client: FlaskClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    create(client, alice)
    kept = create(client, bob)
    assert client.delete("/user", headers=alice).status_code == 204
    register(client, "alice")  # the name is free again; the new account starts empty
    again = bearer(login(client, "alice"))
    assert client.get("/tasks", headers=again).get_json()["items"] == []
    assert client.get("/tasks", headers=bob).get_json()["items"] == [kept]


def test_the_document_says_a_new_tasks_body_is_required(client: FlaskClient) -> None:
    document = client.get("/openapi.json").get_json()
    assert document["paths"]["/tasks"]["post"]["requestBody"]["required"] is True
    assert {"400", "422"} <= set(document["paths"]["/tasks"]["get"]["responses"])


def test_a_repeated_cursor_is_a_400(client: FlaskClient, alice: dict[str, str]) -> None:
    # ?cursor=&cursor=%0D used the first value and answered 200.
    response = client.get("/tasks?cursor=&cursor=x", headers=alice)
    assert response.status_code == 400
    assert response.get_json()["code"] == "repeated_field"


def test_a_patch_refuses_a_null_title_or_done_and_clears_a_description_with_null(
    client: FlaskClient,
) -> None:
    schema = client.get("/openapi.json").get_json()["components"]["schemas"]["TaskPatch"]
    fields = schema["properties"]

    def offers_null(field: dict[str, Any]) -> bool:
        return field.get("type") == "null" or any(
            c.get("type") == "null" for c in field.get("anyOf", [])
        )

    assert not offers_null(fields["title"]) and not offers_null(fields["done"])
    assert offers_null(fields["description"])
