"""Both Prometheus and OTLP on: each count goes to every one of them."""

from __future__ import annotations

from collections.abc import Sequence

from application.ports import Metrics


class FanOut:
    def __init__(self, targets: Sequence[Metrics]) -> None:
        self._targets = tuple(targets)

    def signin(self, method: str, outcome: str) -> None:
        for target in self._targets:
            target.signin(method, outcome)

    def token_issued(self, grant: str) -> None:
        for target in self._targets:
            target.token_issued(grant)

    def throttle_refused(self, scope: str) -> None:
        for target in self._targets:
            target.throttle_refused(scope)

    def refresh_reused(self) -> None:
        for target in self._targets:
            target.refresh_reused()

    def mail(self, kind: str, outcome: str) -> None:
        for target in self._targets:
            target.mail(kind, outcome)

    def webhook_attempt(self, outcome: str, delay: float) -> None:
        for target in self._targets:
            target.webhook_attempt(outcome, delay)

    def jobs_waiting(self, queue: str, waiting: int, oldest_due: float) -> None:
        for target in self._targets:
            target.jobs_waiting(queue, waiting, oldest_due)

    def argon2_waited(self, seconds: float) -> None:
        for target in self._targets:
            target.argon2_waited(seconds)

    def imported_hash_failed(self, kind: str) -> None:
        for target in self._targets:
            target.imported_hash_failed(kind)

    def request(self, route: str, method: str, status: int, seconds: float) -> None:
        for target in self._targets:
            target.request(route, method, status, seconds)
