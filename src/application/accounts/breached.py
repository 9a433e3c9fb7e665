"""Breached passwords (docs/security.md, "Breached passwords"): a password seen in known
breaches at least ``min_count`` times is refused wherever one is set (422
``password_breached``), or let through and recorded (``warn``). A check that fails or is slow
lets the password through: it is counted and logged, never the person's problem."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal, Protocol

from application.metrics import BREACHED_PASSWORD_CHECKS
from application.ports import Audit, AuditEvent, AuditLog, Metrics
from domain.errors import InvalidInput

log = logging.getLogger("firegate.breached_passwords")

BreachMode = Literal["block", "warn", "off"]
PASSWORD_BREACHED = "password_breached"


class BreachCheckFailed(Exception):
    """The source of breached passwords did not answer within its deadline (``timeout``) or
    answered with an error or nonsense (``error``)."""

    def __init__(self, outcome: Literal["timeout", "error"], why: str) -> None:
        super().__init__(why)
        self.outcome = outcome


class BreachedPasswords(Protocol):
    def seen_at_least(self, password: str, times: int) -> bool:
        """Whether ``password`` appears in known breaches ``times`` times or more;
        BreachCheckFailed when the source fails or is slow."""
        ...


@dataclass(frozen=True)
class BreachPolicy:
    mode: BreachMode = "off"
    min_count: int = 1  # seen this many times or more: breached


NO_BREACH_CHECK = BreachPolicy()


@dataclass(frozen=True, kw_only=True, slots=True)
class PasswordScreen:
    """The check of a password against the breached ones, for every use case that sets a
    password (sign-up, change, first password, reset) and for a sign-in's check."""

    breaches: BreachedPasswords
    policy: BreachPolicy
    metrics: Metrics
    audit: AuditLog

    @property
    def active(self) -> bool:
        """Whether passwords are checked at all (BREACHED_PASSWORDS is not ``off``)."""
        return self.policy.mode != "off"

    @property
    def requires_change(self) -> bool:
        """Whether a breached password found at sign-in must be changed (``block``); ``warn``
        only records it."""
        return self.policy.mode == "block"

    def breached(self, password: str) -> bool | None:
        """Whether ``password`` was seen at least ``min_count`` times; None when the check
        is off or fails (fail open: counted and logged)."""
        if not self.active:
            return None
        try:
            found = self.breaches.seen_at_least(password, self.policy.min_count)
        except BreachCheckFailed as exc:
            self.metrics.add(BREACHED_PASSWORD_CHECKS, outcome=exc.outcome)
            log.warning("breached-password check let a password through (%s): %s", exc.outcome, exc)
            return None
        self.metrics.add(BREACHED_PASSWORD_CHECKS, outcome="breached" if found else "clean")
        return found

    def new_password(
        self, password: str, *, field: str = "password", user_id: str | None = None
    ) -> None:
        """Before ``password`` is set: InvalidInput ``password_breached`` (on ``field``) when
        it is breached and the mode blocks; in ``warn`` mode it passes, and the event is
        recorded (about ``user_id``, unknown at a sign-up)."""
        if self.breached(password) is not True:
            return
        if self.policy.mode == "block":
            raise InvalidInput.field(
                field,
                "This password has appeared in a data breach; choose another.",
                PASSWORD_BREACHED,
            )
        self.audit.record(AuditEvent(Audit.PASSWORD_BREACHED, user_id=user_id, reason="warn"))

    def found_at_sign_in(self, user_id: str, ip: str | None) -> None:
        """Record that a sign-in's right password is a breached one."""
        self.audit.record(
            AuditEvent(Audit.PASSWORD_BREACHED, user_id=user_id, ip=ip, reason="sign_in")
        )
