#!/usr/bin/env python3
"""Where the provider's grants spend their CPU, part by part (not part of `make bench`).

    .venv/bin/python bench/_oidc_parts.py [--requests 150] [--rounds 3]

The app on the bench Firestore emulator, in this process, through Flask's test client (no
gunicorn): a confidential client, codes from a signed-in browser, refresh tokens from their
exchange. Each round times ``--requests`` of each request below, then the same number of
each part the grants are made of, called as the token endpoint calls them; the figure is
this thread's CPU per call (the emulator's is not counted), the median of the rounds. The
round trips each request makes are counted once, on a metered client
(tests/support/firestore_cost.py). docs/benchmarks.md, "Where a grant's time goes", reads
these figures beside `bench/oidc.py`'s, whose floor is the same `GET /healthz` under
gunicorn.
"""

from __future__ import annotations

import argparse
import base64
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from _common import ROOT, loadavg, start_emulators, wipe_firestore
from application.provider.grants import ExchangeCode, FindRefresh, RotateRefresh, SpendCode
from application.provider.minting import MintAccessToken, MintIdToken
from application.provider.services import ProviderServices
from application.provider.tokens import InspectToken
from application.services import Services
from bootstrap import build_adapters, build_app
from infrastructure.firestore.client import make_client
from interfaces.shared.services import services

sys.path.insert(0, str(ROOT))  # the tests' browser, command line and metered client
from tests.support.firestore_cost import metered_client
from tests.support.oauth import REDIRECT, EmulatorWorld
from tests.support.settings import make_settings

SCOPE = "openid offline_access"


class Bench:
    """A world on ``firestore``: its app's test client, a confidential client and its codes."""

    def __init__(self, firestore: Any) -> None:
        settings = make_settings(rate_limit_enabled=False)
        self.world = EmulatorWorld(
            build_app(settings, build_adapters(settings, firestore=firestore))
        )
        self.app = self.world.app
        self.http = self.app.test_client()
        client = self.world.register(
            "--confidential", "--scope", "openid", "--scope", "offline_access",
            "--scope", "roles", name="bench",
        )  # fmt: skip
        self.client_id: str = client["client_id"]
        pair = f"{self.client_id}:{client['client_secret']}".encode()
        self.headers = {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        self.spare = self.exchange(self.codes(1)[0]).get_json()

    @property
    def services(self) -> Services:
        with self.app.app_context():
            return services()

    def codes(self, n: int) -> list[tuple[str, str]]:
        return [self.world.code(self.client_id, scope=SCOPE) for _ in range(n)]

    def exchange(self, code: tuple[str, str]) -> Any:
        form = {"grant_type": "authorization_code", "code": code[0], "code_verifier": code[1]}
        return self.token({**form, "redirect_uri": REDIRECT})

    def token(self, form: dict[str, str]) -> Any:
        return self.http.post("/oauth/token", headers=self.headers, data=form)

    def refresh(self, token: str) -> Any:
        return self.token({"grant_type": "refresh_token", "refresh_token": token})

    def refresh_tokens(self, n: int) -> list[str]:
        return [self.exchange(code).get_json()["refresh_token"] for code in self.codes(n)]

    def introspect(self, kind: str) -> Any:
        form = {"token": self.spare[kind]}
        return self.http.post("/oauth/introspect", headers=self.headers, data=form)

    def requests(self, n: int) -> dict[str, list[Callable[[], Any]]]:
        """Each request of a round, ``n`` times (single-use codes and tokens made now)."""
        codes, tokens = self.codes(n), self.refresh_tokens(n)
        cheapest = {"grant_type": "unsupported"}
        own = {"grant_type": "client_credentials", "scope": "roles"}
        return {
            "GET /healthz": [lambda: self.http.get("/healthz")] * n,
            "token endpoint's cheapest answer": [lambda: self.token(cheapest)] * n,
            "client_credentials": [lambda: self.token(own)] * n,
            "authorization_code": [lambda c=c: self.exchange(c) for c in codes],
            "refresh_token": [lambda t=t: self.refresh(t) for t in tokens],
            "introspection, a refresh token": [lambda: self.introspect("refresh_token")] * n,
            "introspection, an access token": [lambda: self.introspect("access_token")] * n,
        }

    def parts(self, n: int) -> dict[str, list[Callable[[], Any]]]:
        """The grants' parts, each ``n`` times, in the order a round calls them: a code
        presented before it is exchanged, a refresh token found before it is rotated."""
        client_id, used = self.client_id, self.services.of(ProviderServices)
        codes, tokens, mint = used.grants, used.introspection, used.minting
        presented = [codes.present_code(SpendCode(code, client_id)) for code, _ in self.codes(n)]
        found = [(t, codes.find_refresh(FindRefresh(t, client_id))) for t in self.refresh_tokens(n)]
        user = presented[0].account
        access, refresh = self.spare["access_token"], self.spare["refresh_token"]
        more_codes = self.codes(n)
        more_tokens = self.refresh_tokens(n)
        return {
            "part: a code and its account read": [
                lambda c=c: codes.present_code(SpendCode(c, client_id)) for c, _ in more_codes
            ],
            "part: the exchange's commit (and event)": [
                lambda p=p: codes.exchange_code(ExchangeCode(p, True)) for p in presented
            ],
            "part: a grant and its account read": [
                lambda t=t: codes.find_refresh(FindRefresh(t, client_id)) for t in more_tokens
            ],
            "part: the rotation's commit": [
                lambda t=t, f=f: codes.rotate_refresh(
                    RotateRefresh(f.grant.id, f.grant.user_id, t, None, f.read)
                )
                for t, f in found
            ],
            "part: introspection's read, a refresh token": [
                lambda: tokens.token_state(InspectToken(refresh))
            ] * n,
            "part: introspection's read, an access token": [
                lambda: tokens.token_state(InspectToken(access))
            ] * n,
            "part: an access token (ES256)": [
                lambda: mint.mint_access_token(MintAccessToken(client_id, SCOPE, user.id, "g"))
            ] * n,
            "part: an ID token (RS256)": [
                lambda: mint.mint_id_token(MintIdToken(client_id, user, SCOPE, access))
            ] * n,
        }  # fmt: skip


def cpu_ms(calls: list[Callable[[], Any]]) -> float:
    """This thread's CPU per call, in ms."""
    started = time.thread_time()
    for call in calls:
        call()
    return (time.thread_time() - started) / len(calls) * 1000


def round_trips(project: str) -> dict[str, float]:
    """Firestore round trips of each request (the median of five)."""
    client, meter = metered_client(project)
    bench = Bench(client)
    counted: dict[str, float] = {}
    for name, calls in bench.requests(5).items():
        trips = []
        for call in calls:
            with meter.measuring() as cost:
                call()
            trips.append(cost.round_trips)
        counted[name] = statistics.median(trips)
    return counted


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--requests", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    emulators = start_emulators(("firestore",))
    wipe_firestore(emulators)
    trips = round_trips(emulators.project)
    wipe_firestore(emulators)  # the same person signs up again
    bench = Bench(make_client(emulators.project))
    figures: dict[str, list[float]] = {}
    with bench.app.app_context():
        for _ in range(args.rounds):
            for name, calls in {
                **bench.requests(args.requests),
                **bench.parts(args.requests),
            }.items():
                figures.setdefault(name, []).append(cpu_ms(calls))
    print(f"load average at the end: {loadavg()}")
    for name, runs in figures.items():
        rounds = " ".join(f"{run:.3f}" for run in runs)
        trip = f"{trips[name]:g} round trips" if name in trips else ""
        print(f"{name:46s} {statistics.median(runs):.3f} ms ({rounds})  {trip}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
