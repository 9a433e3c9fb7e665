"""The shell's request gates (``REQUEST_GATES``, interfaces/shared/shell.py): a unit's gate
answers a request before the pages', the limits' and the sessions' hooks, so its answer
sets no cookie; the probes never pass through a gate; two units' gates are asked in the
units' order (docs/decisions/0855-request-gates-come-first.md). The gates here are a unit of
the tests' own, beside every unit the service runs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask, Response, g, request

from bootstrap import bind
from bootstrap.driving import driving_adapters
from bootstrap.unit import Unit
from bootstrap.units import every_unit, units_on
from domain.slots import filled
from interfaces.shared.problems import PROBLEM_PARTS, problem
from interfaces.shared.shell import REQUEST_GATES, ShellConfig, create_app
from tests.support.app import fake_adapters
from tests.support.settings import make_settings

pytestmark = pytest.mark.unit

# What the log's stamp puts in ``g`` before the gates: nothing a cookie is made of.
LOG_STAMP = {"request_id", "started"}


@dataclass
class Gate:
    """One unit's gate: answers ``status`` on the paths it shuts (every path: ``"*"``),
    noting what ``g`` held when it was asked."""

    status: int
    shut: set[str] = field(default_factory=set)
    asked: list[str] = field(default_factory=list)
    seen_in_g: set[str] = field(default_factory=set)

    def __call__(self) -> Response | None:
        self.asked.append(request.path)
        self.seen_in_g.update(g)
        if "*" in self.shut or request.path in self.shut:
            return problem(self.status, "misdirected_request", "Not served here.")
        return None


FIRST = Gate(421)
SECOND = Gate(418)
GATES = (
    Unit[None](name="first_gate", fills=(REQUEST_GATES(FIRST),)),
    Unit[None](name="second_gate", fills=(REQUEST_GATES(SECOND),)),
)


def app_with(units: tuple[Unit[Any], ...]) -> Flask:
    """The whole app (the four driving adapters) with the fillings of ``units``."""
    settings = make_settings()
    config = ShellConfig(
        project=settings.service.google_cloud_project,
        max_body_bytes=settings.service.max_json_bytes,
        trusted_proxy_hops=settings.service.trusted_proxy_hops,
        production=False,
        rate_limits=settings.service.rate_limit_enabled,
        problem_parts=filled(units, PROBLEM_PARTS),
        fills=tuple(filling for unit in units for filling in unit.fills),
    )
    return create_app(bind(settings, fake_adapters(settings)), config, driving_adapters(settings))


@pytest.fixture(scope="module")
def gated() -> Flask:
    return app_with((*every_unit(make_settings()), *GATES))


@pytest.fixture(autouse=True)
def open_gates() -> Iterator[None]:
    yield
    for gate in (FIRST, SECOND):
        gate.shut.clear()
        gate.asked.clear()
        gate.seen_in_g.clear()


PATHS = [
    ("GET", "/users/me"),  # the API
    ("POST", "/auth/login"),
    ("GET", "/sign-in"),  # a page
    ("POST", "/sign-in"),
    ("GET", "/no/such/page"),  # a 404
    ("POST", "/no/such/page"),
]


@pytest.mark.parametrize(("method", "path"), PATHS)
def test_a_gates_answer_wins_before_any_route_or_hook(gated: Flask, method: str, path: str) -> None:
    client = gated.test_client()
    before = client.open(path, method=method, headers={"Accept": "text/html"})
    assert before.status_code not in (421, 418)
    FIRST.shut.add(path)
    response = client.open(path, method=method, headers={"Accept": "text/html"})
    assert response.status_code == 421
    assert response.get_json()["code"] == "misdirected_request"
    assert response.headers.getlist("Set-Cookie") == []
    assert FIRST.seen_in_g <= LOG_STAMP  # nothing but the log's stamp ran before it
    assert response.headers["X-Request-ID"]  # the log's line still has its id
    assert SECOND.asked == [path]  # asked only while the first let the request on


def test_a_gates_answer_on_a_page_sets_no_cookie_the_page_would(gated: Flask) -> None:
    client = gated.test_client()
    assert client.get("/sign-in").headers.getlist("Set-Cookie")  # the page's CSRF cookie
    FIRST.shut.add("/sign-in")
    response = client.get("/sign-in")
    assert response.status_code == 421
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("probe", ["/healthz", "/readyz"])
def test_the_probes_never_pass_through_a_gate(gated: Flask, probe: str) -> None:
    FIRST.shut.add("*")
    SECOND.shut.add("*")
    response = gated.test_client().get(probe)
    assert response.status_code == 200
    assert FIRST.asked == SECOND.asked == []


def test_two_gates_are_asked_in_the_units_order_and_the_first_answer_wins(gated: Flask) -> None:
    client = gated.test_client()
    FIRST.shut.add("/users/me")
    SECOND.shut.add("*")
    assert client.get("/users/me").status_code == 421
    assert client.get("/auth/me").status_code == 418  # the first let it on: the second answers
    assert FIRST.asked == ["/users/me", "/auth/me"]
    assert SECOND.asked == ["/auth/me"]


def test_with_no_unit_filling_the_slot_no_gate_is_installed() -> None:
    gating = [unit.name for unit in units_on(make_settings()) if filled((unit,), REQUEST_GATES)]
    units = every_unit(make_settings(units_off=gating))
    assert filled(units, REQUEST_GATES) == ()
    app = app_with(units)
    hooks = [hook.__name__ for hook in app.before_request_funcs[None]]
    assert "_gated" not in hooks
    gated_hooks = [hook.__name__ for hook in app_with((*units, *GATES)).before_request_funcs[None]]
    assert gated_hooks[:2] == ["_start", "_gated"]  # the log's stamp, then the gates
    assert gated_hooks[2:] == hooks[1:]
