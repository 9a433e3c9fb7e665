"""A passkey-first account's recovery codes on the emulators (docs/decisions/0476): thirty
parallel asks make one set, and thirty parallel sign-ins with one code sign in once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask

from application.accounts.accounts import RegisterProven
from application.services import Services
from application.signin.authentication import Actor
from application.signin.totp import GetTotp
from domain.errors import Conflict
from tests.support.races import RACERS, race, statuses

pytestmark = pytest.mark.e2e


def test_thirty_asks_make_one_set_and_one_code_signs_in_once(
    real_app: Flask, firestore: Any
) -> None:
    services: Services = real_app.extensions["firegate"]
    user = services.accounts.register_proven(RegisterProven("rua@example.com"))
    actor = Actor(user.id, user.username.value, "user", "session", datetime.now(UTC))

    def ask(_: int) -> tuple[str, ...] | str:
        """The codes made, or the refusal's code."""
        try:
            return services.totp.first_recovery_codes(GetTotp(actor))
        except Conflict as refused:
            return refused.code

    with ThreadPoolExecutor(RACERS) as pool:
        answers = list(pool.map(ask, range(RACERS)))
    shown = [answer for answer in answers if isinstance(answer, tuple)]
    assert len(shown) == 1 and len(shown[0]) == 10
    assert answers.count("recovery_codes_shown") == RACERS - 1
    stored = firestore.collection("mfa").document(user.id).get().to_dict()
    assert stored["active"] is False and len(stored["recovery_hashes"]) == 10

    body = {"username": "rua@example.com", "password": shown[0][0]}
    outcomes = race(real_app, [lambda c: c.post("/login", json=body) for _ in range(RACERS)])
    counts = statuses(outcomes)
    assert counts[200] == 1, counts
    assert {(o.status, o.code) for o in outcomes if o.status != 200} <= {
        (401, "invalid_credentials"),
        (429, "too_many_login_failures"),
    }
    stored = firestore.collection("mfa").document(user.id).get().to_dict()
    assert len(stored["recovery_hashes"]) == 9
