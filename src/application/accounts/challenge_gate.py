"""A challenge (Turnstile, reCAPTCHA Enterprise) asked of a person only when one of
firegate's own signals fires (docs/security.md, "A challenge on signals"): the port that
verifies a token, the store that spends it once, the signals and the gate every guarded way
in calls. Accounts hold it, the lowest capability every guarded way in builds on
(docs/decisions/0482-a-challenge-on-signals.md)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from application.metrics import CHALLENGE_VERIFICATIONS
from application.ports import Audit, AuditEvent, AuditLog, Clock, Metrics, RequestCounter
from domain.errors import ChallengeRequired, Unavailable
from domain.request_limits import client_scope

NO_PROVIDER = "none"
# A provider's token lives minutes (Turnstile's 300 s, reCAPTCHA's 120 s): its hash is kept
# longer than that, so that a replay within its life is always refused.
SPENT_KEPT = timedelta(minutes=10)
HOUR = 3600
CHALLENGE_UNAVAILABLE = "challenge_unavailable"


class Verdict(StrEnum):
    """What a provider said of a token: only VALID passes; UNREACHABLE (an outage) follows
    CHALLENGE_FAIL; every other is a refusal (docs/security.md, "A challenge on signals")."""

    VALID = "valid"
    INVALID = "invalid"  # its verdict: not passed, or for another site or action
    LOW_SCORE = "low_score"  # reCAPTCHA's: valid, but scored below CHALLENGE_MIN_SCORE
    NOT_A_VERDICT = "not_a_verdict"  # an answer that judges nothing: a 4xx, HTML, odd JSON
    UNREACHABLE = "unreachable"  # no connection, no answer in time, or a 5xx


class Signal(StrEnum):
    """What made firegate ask for a challenge (the reason of ``signin.challenged``)."""

    ACCOUNT_THROTTLE = "account_throttle"  # an account's failed logins at half their budget
    ADDRESS_FAILURES = "address_failures"  # an address's failed logins
    SIGNUPS = "signups"  # sign-ups from one address
    EMAIL_CODES = "email_codes"  # e-mail codes asked from one address
    ADDRESS_CODES = "address_codes"  # e-mail codes asked for one mail address, by all clients
    PREFIX_TEXTS = "prefix_texts"  # texts to one number prefix at half its hour's SMS budget


class ChallengeVerifier(Protocol):
    """The provider's verification of a token the person's browser got from its widget."""

    def verify(self, token: str, *, action: str, remote_ip: str) -> Verdict:
        """Whether ``token`` was issued for this site and ``action``; never raises."""
        ...


class SpentChallenges(Protocol):
    """The tokens already presented, each kept until ``expires_at``."""

    def spend(self, token_hash: str, expires_at: datetime) -> bool:
        """True for the first caller with ``token_hash``, False for every later one."""
        ...


@dataclass(frozen=True)
class ChallengePolicy:
    """CHALLENGE_* (docs/configuration.md, "Abuse controls")."""

    provider: str = NO_PROVIDER  # turnstile, recaptcha_enterprise or none
    site_key: str = ""
    fail_open: bool = True  # a verifier that cannot be reached lets the request through...
    fail_open_per_hour: int = 5  # ... this many times an hour per client address scope
    failures_per_hour: int = 20
    signups_per_hour: int = 5
    email_codes_per_hour: int = 10

    @property
    def on(self) -> bool:
        return self.provider != NO_PROVIDER


@dataclass(frozen=True)
class Challenged:
    """A guarded request: the ``signal`` that fired (None: none did, nothing is asked), the
    ``token`` it carries (``challenge_token``, "" when none), its ``action`` (login,
    register, email_code) and client address; ``user_id`` where it names an account."""

    signal: Signal | None
    token: str
    action: str
    remote_ip: str
    user_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class ChallengeGate:
    """The gate of the guarded ways in: nothing when no signal fired (or no provider is
    configured); else a token verified by the provider and spent once, or 401
    ``challenge_required`` with the provider and its site key."""

    challenge: ChallengeVerifier
    spent: SpentChallenges
    policy: ChallengePolicy
    counter: RequestCounter
    clock: Clock
    audit: AuditLog
    metrics: Metrics

    def signup_signal(self, remote_ip: str) -> Signal | None:
        """Counts one sign-up attempt from ``remote_ip``'s scope (an IPv4 address, an IPv6
        /64), one the sign-up rule has let through (``Signups.check`` asks it first, and a
        refused one is never counted); SIGNUPS once they pass CHALLENGE_SIGNUPS_PER_HOUR this
        hour. No count at all when no provider is configured."""
        return self._counted(Signal.SIGNUPS, remote_ip, self.policy.signups_per_hour)

    def email_codes_signal(self, remote_ip: str) -> Signal | None:
        """Counts one request for a code (by mail or by text) from ``remote_ip``'s scope;
        EMAIL_CODES once they pass CHALLENGE_EMAIL_CODES_PER_HOUR this hour (whatever the
        addresses or numbers: one client sending to many people). No count when no provider
        is configured."""
        return self._counted(Signal.EMAIL_CODES, remote_ip, self.policy.email_codes_per_hour)

    def _counted(self, signal: Signal, remote_ip: str, per_hour: int) -> Signal | None:
        if not self.policy.on:
            return None
        key = f"{signal.value}:{client_scope(remote_ip)}"
        counts = self.counter.hit(key, [HOUR], self.clock.now().timestamp())[HOUR]
        return signal if counts.current > per_hour else None

    def check(self, cmd: Challenged) -> bool:
        """Let the request through on a verdict that passes; ChallengeRequired (401) on any
        other verdict or answer; when the verifier cannot be reached, through while
        CHALLENGE_FAIL is open and the client's scope has outage passes left this hour, else
        Unavailable (503, challenge_unavailable). True when the request passed a challenge
        (the provider's verdict), False when none was asked or an outage let it through."""
        policy = self.policy
        if cmd.signal is None or not policy.on:
            return False
        if not cmd.token:
            raise self._asked(cmd, "Complete the challenge to continue.")
        # Spent before it is verified: a token is the provider's once, and 30 requests in
        # parallel with one token make one call to it, not 30.
        digest = hashlib.sha256(cmd.token.encode()).hexdigest()
        if not self.spent.spend(digest, self.clock.now() + SPENT_KEPT):
            self.metrics.add(CHALLENGE_VERIFICATIONS, outcome="replayed")
            raise self._asked(cmd, "This challenge was used already: complete it again.")
        verdict = self.challenge.verify(cmd.token, action=cmd.action, remote_ip=cmd.remote_ip)
        if verdict is Verdict.VALID:
            self.metrics.add(CHALLENGE_VERIFICATIONS, outcome="passed")
            return True
        if verdict is not Verdict.UNREACHABLE:  # a refusal, or an answer that is none
            self.metrics.add(CHALLENGE_VERIFICATIONS, outcome=verdict.value)
            raise self._asked(cmd, "The challenge was not passed: complete it again.")
        if not policy.fail_open:
            outcome = "failed_closed"
        elif self._outage_pass(cmd.remote_ip):
            self.metrics.add(CHALLENGE_VERIFICATIONS, outcome="failed_open")
            return False
        else:
            outcome = "fail_open_spent"
        self.metrics.add(CHALLENGE_VERIFICATIONS, outcome=outcome)
        raise Unavailable(
            "The challenge cannot be checked now; try again later.", code=CHALLENGE_UNAVAILABLE
        )

    def _outage_pass(self, remote_ip: str) -> bool:
        """Whether the client's scope may pass unchecked once more this hour: counted first,
        so parallel requests during an outage get no more than CHALLENGE_FAIL_OPEN_PER_HOUR."""
        key = f"challenge_outage:{client_scope(remote_ip)}"
        counts = self.counter.hit(key, [HOUR], self.clock.now().timestamp())[HOUR]
        return counts.current <= self.policy.fail_open_per_hour

    def _asked(self, cmd: Challenged, detail: str) -> ChallengeRequired:
        self.audit.record(
            AuditEvent(
                Audit.SIGNIN_CHALLENGED,
                "failure",
                user_id=cmd.user_id,
                ip=cmd.remote_ip or None,
                reason=str(cmd.signal),
            )
        )
        policy = self.policy
        return ChallengeRequired(detail, provider=policy.provider, site_key=policy.site_key)
