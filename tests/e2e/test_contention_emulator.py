"""30-way races of writes that must be unique, on the Firestore emulator: exactly one winner,
every other racer a definite 409 at once, never a 503 (that means Firestore is down)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from tests.conftest import bearer, login, register

pytestmark = pytest.mark.e2e
RACERS = 30


def race(app: Flask, calls: list[Callable[[Any], TestResponse]]) -> list[tuple[int, float]]:
    """Each call with its own client, all released at once; (status, seconds) of each."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[Any], TestResponse]) -> tuple[int, float]:
        client = app.test_client()
        start.wait()
        began = time.monotonic()
        status = call(client).status_code
        return status, time.monotonic() - began

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def assert_one_winner(results: list[tuple[int, float]], won: int) -> None:
    statuses = sorted(status for status, _ in results)
    assert statuses == [won] + [409] * (len(results) - 1), statuses
    slowest = max(elapsed for _, elapsed in results)
    assert slowest < 2, slowest  # an e2e bound on the emulator: a definite answer, fast


def racers(app: Flask, prefix: str) -> list[dict[str, str]]:
    client = app.test_client()
    tokens = []
    for n in range(RACERS):
        register(client, f"{prefix}{n}")
        tokens.append(bearer(login(client, f"{prefix}{n}")))
    return tokens


def patcher(headers: dict[str, str], body: dict[str, str]) -> Callable[[Any], TestResponse]:
    return lambda client: client.patch("/user", json=body, headers=headers)


def test_thirty_renames_to_one_free_name(real_app: Flask) -> None:
    tokens = racers(real_app, "renamer")
    results = race(real_app, [patcher(t, {"username": "prize"}) for t in tokens])
    assert_one_winner(results, 200)
    client = real_app.test_client()
    holders = [
        t for t in tokens if client.get("/user", headers=t).get_json()["username"] == "prize"
    ]
    assert len(holders) == 1
    assert login(client, "prize")  # the claim names the winner


def test_thirty_address_changes_to_one_free_address(real_app: Flask) -> None:
    tokens = racers(real_app, "mover")
    results = race(real_app, [patcher(t, {"email": "prize@example.com"}) for t in tokens])
    assert_one_winner(results, 200)
    assert login(real_app.test_client(), "prize@example.com")


def test_thirty_dogs_of_one_name(real_app: Flask) -> None:
    tokens = racers(real_app, "owner")

    def creator(headers: dict[str, str]) -> Callable[[Any], TestResponse]:
        return lambda client: client.post("/dogs/Rex", headers=headers)

    results = race(real_app, [creator(t) for t in tokens])
    statuses = sorted(status for status, _ in results)
    assert statuses[1:] == [409] * (RACERS - 1) and statuses[0] in (201, 202), statuses
    assert max(elapsed for _, elapsed in results) < 2


def test_thirty_dog_renames_to_one_free_name(real_app: Flask) -> None:
    tokens = racers(real_app, "keeper")
    client = real_app.test_client()
    for n, token in enumerate(tokens):
        assert client.post(f"/dogs/Dog{n}", headers=token).status_code in (201, 202)

    def renamer(n: int, headers: dict[str, str]) -> Callable[[Any], TestResponse]:
        return lambda client: client.put(f"/dogs/Dog{n}", json={"name": "Prize"}, headers=headers)

    assert_one_winner(race(real_app, [renamer(n, t) for n, t in enumerate(tokens)]), 200)
    assert client.get("/dogs/Prize").status_code == 200
