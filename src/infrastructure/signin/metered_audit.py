"""Sign-in's counts, at the audit port: every way of signing in already records its outcome
there (and a refused login its throttle, a reused refresh token its revocation), so the use
cases call no metrics of their own for them (docs/decisions/0304-metrics.md)."""

from __future__ import annotations

from collections.abc import Sequence

from application.metrics import REFRESH_REUSE, SIGNINS, THROTTLE_REFUSALS
from application.ports import Audit, AuditEvent, AuditLog, Metrics, StagedWrites
from domain.signin.throttling import TOO_MANY_LOGIN_FAILURES

FIREBASE = "firebase"  # the Firebase bridge's provider (application/federation/firebase.py)


def signin_method(event: AuditEvent) -> str | None:
    """The method label of a sign-in's outcome, None for any other event. A sign-in's
    success names its provider as reason (none for a password, with or without its second
    step); an upstream provider's id is the admins' to choose, so all of them are one
    label; a failed login is a password's."""
    if event.event is Audit.PASSKEY_SIGN_IN:
        return "passkey"
    if event.event is Audit.MFA_CODE:
        return "mfa" if event.outcome != "success" else None  # a success: the login follows
    if event.event is not Audit.LOGIN:
        return None
    if event.outcome != "success" or event.reason is None:
        return "password"
    return FIREBASE if event.reason == FIREBASE else "upstream"


class MeteredAuditLog:
    """An ``AuditLog`` that counts sign-ins, throttle refusals and refresh reuse in
    ``metrics`` as it hands each event on to ``log``."""

    def __init__(self, log: AuditLog, metrics: Metrics) -> None:
        self._log, self._metrics = log, metrics

    def stage(self, events: Sequence[AuditEvent]) -> StagedWrites:
        return self._log.stage(events)

    def committed(self, staged: StagedWrites) -> None:
        self._log.committed(staged)
        for event in staged.audit:
            self._count(event)

    def record(self, event: AuditEvent) -> None:
        self._log.record(event)
        self._count(event)

    def _count(self, event: AuditEvent) -> None:
        try:
            method = signin_method(event)
            if method is not None:
                succeeded = event.outcome == "success"
                outcome = "succeeded" if succeeded else "failed"
                self._metrics.add(SIGNINS, method=method, outcome=outcome)
                if event.reason == TOO_MANY_LOGIN_FAILURES:
                    self._metrics.add(THROTTLE_REFUSALS, scope="login")
            elif event.event is Audit.REFRESH_TOKEN_REUSE:
                self._metrics.add(REFRESH_REUSE)
        except Exception:  # noqa: S110 - a count is never worth a failed request
            pass
