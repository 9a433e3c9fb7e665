"""Against the real gunicorn server on the emulators: concurrency and timing."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.support.api import PASSWORD

pytestmark = pytest.mark.e2e


def post(url: str, path: str, body: dict[str, Any]) -> requests.Response:
    return requests.post(url + path, json=body, timeout=60)


def race(url: str, bodies: list[dict[str, Any]]) -> list[int]:
    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return sorted(r.status_code for r in pool.map(lambda b: post(url, "/register", b), bodies))


def test_50_parallel_registrations_of_one_username(gunicorn_url: str, firestore: Any) -> None:
    bodies = [
        {
            "username": "racer" if i % 2 else "RACER",
            "email": f"r{i}@example.com",
            "password": PASSWORD,
        }
        for i in range(50)
    ]
    assert race(gunicorn_url, bodies) == [201] + [409] * 49
    assert sum(1 for _ in firestore.collection("users").stream()) == 1
    assert sum(1 for _ in firestore.collection("emails").stream()) == 1


def test_50_parallel_registrations_of_one_email(gunicorn_url: str, firestore: Any) -> None:
    bodies = [
        {
            "username": f"user{i}",
            "email": "Same@Example.com" if i % 2 else "same@example.com",
            "password": PASSWORD,
        }
        for i in range(50)
    ]
    assert race(gunicorn_url, bodies) == [201] + [409] * 49
    assert sum(1 for _ in firestore.collection("usernames").stream()) == 1


def test_flow_over_http(gunicorn_url: str, firestore: Any) -> None:
    created = post(
        gunicorn_url,
        "/register",
        {"username": "alice", "email": "a@example.com", "password": PASSWORD},
    )
    assert created.status_code == 201
    form = requests.post(
        gunicorn_url + "/login",
        timeout=10,
        data={"grant_type": "password", "username": "alice", "password": PASSWORD},
    )
    assert form.status_code == 200
    headers = {"Authorization": f"Bearer {form.json()['access_token']}"}
    me = requests.get(gunicorn_url + "/user", headers=headers, timeout=10)
    assert me.status_code == 200 and me.json()["id"] == created.json()["id"]
    assert me.headers["X-Request-ID"]
    assert requests.delete(gunicorn_url + "/user", headers=headers, timeout=10).status_code == 204
    assert requests.get(gunicorn_url + "/user", headers=headers, timeout=10).status_code == 401


def test_unknown_user_and_wrong_password_answer_alike(gunicorn_url: str, firestore: Any) -> None:
    """The same status and body, every time. That both take the same time (each verifies one
    argon2 hash and makes two reads) is measured by bench/login_failures.py: a test asserts
    outcomes, not times (docs/decisions/0341-tests-assert-outcomes-not-times.md)."""
    post(
        gunicorn_url,
        "/register",
        {"username": "timed", "email": "t@example.com", "password": PASSWORD},
    )
    answers: dict[str, set[tuple[int, str]]] = {"timed": set(), "ghost": set()}
    for _ in range(9):  # stays under the 10-failure login throttle
        for name, seen in answers.items():
            response = post(gunicorn_url, "/login", {"username": name, "password": "wrong pw!"})
            seen.add((response.status_code, response.text))
    assert answers["timed"] == answers["ghost"], answers


def test_logs_are_json_lines_without_query_strings(gunicorn_url: str, firestore: Any) -> None:
    from tests.support.workers import local_dir

    requests.get(gunicorn_url + "/healthz?secret=hunter2", timeout=10)
    lines = (local_dir() / "gunicorn-e2e.log").read_text().splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    assert any(r.get("logger") == "firegate.access" for r in records)
    assert all(r.get("logger") != "gunicorn.access" for r in records)  # no duplicate, raw lines
    assert not any("hunter2" in line for line in lines)
    assert all(line.startswith("{") for line in lines if line.strip()), "non-JSON log line"


DEEP = 1000
NESTED_BODIES = {
    "array": "[" * DEEP + "]" * DEEP,
    "object": '{"a":' * DEEP + "1" + "}" * DEEP,
    "in a field": '{"username": ' + "[" * DEEP + "]" * DEEP + ', "password": "x"}',
}


@pytest.mark.parametrize("shape", sorted(NESTED_BODIES))
@pytest.mark.parametrize("path", ["/login", "/register", "/auth/passkeys/authentication"])
def test_a_deeply_nested_body_is_a_problem_not_a_500(
    gunicorn_url: str, path: str, shape: str
) -> None:
    """1,000 levels of JSON on the unauthenticated routes: a definite 4xx, never a 500."""
    answer = requests.post(
        gunicorn_url + path,
        data=NESTED_BODIES[shape],
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert answer.status_code in (400, 422), (answer.status_code, answer.text[:300])
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert answer.json()["status"] == answer.status_code
