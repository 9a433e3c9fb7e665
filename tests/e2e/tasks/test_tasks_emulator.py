"""Tasks over HTTP on the Firestore emulator, and deletion of a user's 1,000 tasks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from google.cloud.firestore import FieldFilter

from application.accounts.services import AccountServices
from application.services import Services
from domain.ids import new_id
from domain.tasks import Task
from infrastructure.firestore.events.security_events import write_staged
from infrastructure.firestore.tasks.repository import TASKS, task_to_doc
from tests.support.api import bearer, login, register

pytestmark = pytest.mark.e2e


def count(firestore: Any, collection: str, **where: Any) -> int:
    query = firestore.collection(collection)
    for field, value in where.items():
        query = query.where(filter=FieldFilter(field, "==", value))
    return int(query.count().get()[0][0].value)


@pytest.fixture
def users(real_client: FlaskClient) -> dict[str, dict[str, str]]:
    tokens = {}
    for name in ("alice", "bob"):
        register(real_client, name)
        tokens[name] = bearer(login(real_client, name))
    return tokens


def test_crud_filter_and_other_users(
    real_client: FlaskClient, users: dict[str, dict[str, str]]
) -> None:
    client, alice, bob = real_client, users["alice"], users["bob"]
    created = client.post(
        "/tasks",
        json={"title": "Vet", "description": "shots", "due_date": "2026-05-01T14:00:00+02:00"},
        headers=alice,
    )
    assert created.status_code == 201
    task = created.get_json()
    path = f"/tasks/{task['id']}"
    assert task["due_date"] == "2026-05-01T12:00:00Z"
    assert client.get(path, headers=alice).get_json() == task
    # Another user: 404 on every route, and the task does not change.
    for method, body in (
        ("get", None),
        ("put", {"title": "mine now"}),
        ("patch", {"done": True}),
        ("delete", None),
    ):
        response = getattr(client, method)(path, json=body, headers=bob)
        assert response.status_code == 404, method
        assert response.get_json()["code"] == "task_not_found"
    assert client.get(path, headers=alice).get_json() == task
    assert client.get("/tasks", headers=bob).get_json() == {"items": [], "next_cursor": None}
    # Without a token: 401 everywhere.
    for method in ("get", "put", "patch", "delete"):
        assert getattr(client, method)(path, json={"title": "x"}).status_code == 401
    assert client.get("/tasks").status_code == 401
    assert client.post("/tasks", json={"title": "x"}).status_code == 401
    # The owner's changes.
    patched = client.patch(path, json={"done": True}, headers=alice).get_json()
    assert patched["done"] is True and patched["description"] == "shots"
    replaced = client.put(path, json={"title": "Vet again"}, headers=alice).get_json()
    assert (replaced["title"], replaced["done"], replaced["due_date"]) == ("Vet again", False, None)
    client.post("/tasks", json={"title": "Done one", "done": True}, headers=alice)
    done = client.get("/tasks?done=true", headers=alice).get_json()["items"]
    open_ = client.get("/tasks?done=false", headers=alice).get_json()["items"]
    assert [t["title"] for t in done] == ["Done one"]
    assert [t["title"] for t in open_] == ["Vet again"]
    assert client.delete(path, headers=alice).status_code == 204
    assert client.get(path, headers=alice).status_code == 404


def test_a_page_walk_visits_every_task_once_while_tasks_are_added(
    real_client: FlaskClient, users: dict[str, dict[str, str]]
) -> None:
    client, alice = real_client, users["alice"]

    created: list[tuple[str, bool]] = []  # (id, done), oldest first

    def add(title: str, done: bool = False) -> str:
        response = client.post("/tasks", json={"title": title, "done": done}, headers=alice)
        task_id: str = response.get_json()["id"]
        created.append((task_id, done))
        return task_id

    for i in range(12):
        add(f"t{i}", done=i % 3 == 0)
    for query, wanted in (("", (True, False)), ("&done=false", (False,))):
        expected = [task_id for task_id, done in created if done in wanted]
        added: list[str] = []
        seen: list[str] = []
        cursor = None
        while True:
            url = f"/tasks?limit=5{query}" + (f"&cursor={cursor}" if cursor else "")
            page = client.get(url, headers=alice).get_json()
            seen += [t["id"] for t in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
            added += [add("meanwhile"), add("meanwhile, done", done=True)]
        assert len(seen) == len(set(seen))  # nothing twice
        assert seen[: len(expected)] == expected  # everything that existed, in order
        assert set(seen[len(expected) :]) <= set(added)  # then some of what was added


def test_deleting_a_user_with_1000_tasks_leaves_no_orphans(
    real_app: Flask, real_client: FlaskClient, firestore: Any, users: dict[str, dict[str, str]]
) -> None:
    alice = real_client.get("/user", headers=users["alice"]).get_json()["id"]
    bob = real_client.get("/user", headers=users["bob"]).get_json()["id"]
    now = datetime.now(UTC)
    for owner, number in ((alice, 1000), (bob, 3)):
        for start in range(0, number, 500):
            batch = firestore.batch()
            for i in range(start, min(number, start + 500)):
                task = Task.create(
                    id=new_id(), owner_id=owner, title=f"t{i}", now=now + timedelta(microseconds=i)
                )
                batch.set(firestore.collection(TASKS).document(task.id), task_to_doc(task))
            batch.commit()
    real_client.post("/tasks", json={"title": "via HTTP"}, headers=users["alice"])
    assert count(firestore, TASKS, owner_id=alice) == 1001

    assert real_client.delete("/user", headers=users["alice"]).status_code == 204
    assert count(firestore, TASKS, owner_id=alice) == 0
    assert count(firestore, TASKS) == count(firestore, TASKS, owner_id=bob) == 3  # untouched
    assert count(firestore, "sessions", user_id=alice) == 0
    assert not firestore.collection("users").document(alice).get().exists
    services: Services = real_app.extensions["firegate"]
    assert services.of(AccountServices).accounts.resume_deletions() == 0  # nothing left unfinished


def test_an_interrupted_deletion_is_finished_by_purge_deleted(
    real_app: Flask, real_client: FlaskClient, firestore: Any, users: dict[str, dict[str, str]]
) -> None:
    alice = real_client.get("/user", headers=users["alice"]).get_json()["id"]
    for i in range(5):
        real_client.post("/tasks", json={"title": f"t{i}"}, headers=users["alice"])
    # The process "dies" after the tombstone and one batch of 2: simulate with the adapters.
    from infrastructure.firestore.accounts.users import FirestoreUserRepository
    from infrastructure.firestore.tasks.repository import FirestoreTaskRepository

    FirestoreUserRepository(firestore, write_staged=write_staged).mark_deleted(
        alice, datetime.now(UTC)
    )
    batch = firestore.batch()
    mine = firestore.collection(TASKS).where(filter=FieldFilter("owner_id", "==", alice))
    for snap in mine.limit(2).stream():
        batch.delete(snap.reference)
    batch.commit()
    assert count(firestore, TASKS, owner_id=alice) == 3
    assert real_client.get("/tasks", headers=users["alice"]).status_code == 401  # tombstoned
    runner = real_app.test_cli_runner()
    result = runner.invoke(args=["users", "purge-deleted"])
    assert "purged 1 account" in result.output
    assert count(firestore, TASKS, owner_id=alice) == 0
    assert not firestore.collection("users").document(alice).get().exists
    assert FirestoreTaskRepository(firestore).list_page(alice, None, None, 10) == []
