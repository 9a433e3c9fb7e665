"""The second factor's storage port and the rules every flow shares: the login challenge
(``mfa_token``) and what the login's second step (``Logins.finish_mfa``, login.py) reads of
it, checking a TOTP code or a recovery code, making recovery codes.

docs/reference/mfa.md describes the flows, docs/decisions/0111-mfa-token-and-code-replay.md
why a code works once.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Protocol

from application.accounts.accounts import UserRepository as Users
from application.ports import Audit, AuditEvent, AuditLog, Clock, OneTimePasswords, SecretBox
from application.signin.authentication import SignedInLately, require_recent_sign_in
from domain.accounts.users import User
from domain.errors import MfaRequired, Unauthenticated
from domain.signin.mfa import (
    RECOVERY_CODE,
    RECOVERY_CODES,
    TOTP,
    MfaChallenge,
    TotpFactor,
)


class MfaRepository(Protocol):
    """Authenticators (one per user) and login challenges."""

    def get(self, user_id: str) -> TotpFactor | None:
        """The user's authenticator, pending or active; None if there is none."""
        ...

    def begin(self, factor: TotpFactor) -> bool:
        """Store a pending authenticator in place of none or a pending one; False (and
        nothing written) if the user has an active one."""
        ...

    def create(self, factor: TotpFactor) -> bool:
        """Store ``factor`` where the user has none; False (nothing written) if they have."""
        ...

    def update(
        self, user_id: str, change: Callable[[TotpFactor], TotpFactor | None]
    ) -> TotpFactor | None:
        """Apply a pure ``change`` by compare-and-set and return the stored result; None
        (nothing written) when there is no authenticator or ``change`` refuses (None)."""
        ...

    def delete(self, user_id: str) -> None:
        """Remove the user's authenticator (idempotent)."""
        ...

    def add_challenge(self, challenge: MfaChallenge) -> None:
        """Store a new login challenge under its token hash."""
        ...

    def get_challenge(self, token_hash: str) -> MfaChallenge | None:
        """The challenge stored under ``token_hash``, or None."""
        ...

    def update_challenge(
        self, token_hash: str, change: Callable[[MfaChallenge], MfaChallenge]
    ) -> MfaChallenge | None:
        """Apply a pure ``change`` by compare-and-set; the stored result, None if absent."""
        ...

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        """Remove the user's authenticator (the account's deletion; challenges expire)."""
        ...


_MFA_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # token_urlsafe(32)
_TOTP_CODE = re.compile(r"[0-9]{6}")
_RECOVERY_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"  # base32, lower case
_RECOVERY_CODE = re.compile(f"[{_RECOVERY_ALPHABET}]{{12}}")  # 60 bits


def hash_mfa_token(token: str) -> str | None:
    """The stored key of an ``mfa_token``; None for what cannot be one (no read is spent)."""
    if _MFA_TOKEN.fullmatch(token) is None:
        return None
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class RecoveryCodes:
    """A new set of recovery codes: the codes, shown this once, and what is stored of them."""

    codes: tuple[str, ...]
    hashes: tuple[str, ...]


def new_recovery_codes(user_id: str, who: SignedInLately) -> RecoveryCodes:
    """Ten codes of 60 random bits for ``user_id``, shown as ``xxxx-xxxx-xxxx``, made only for
    a session that signed in lately (``require_recent_sign_in``): a set of codes is a lasting
    way in, which a stolen session alone must not make itself (docs/security.md, "A new way
    in"). Every way recovery codes are made comes here, first: an authenticator turned on, a
    new set, a passwordless account's first."""
    require_recent_sign_in(who)
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = base64.b32encode(secrets.token_bytes(8)).decode().lower()[:12]
        codes.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:]}")
    return RecoveryCodes(tuple(codes), recovery_hashes(user_id, tuple(codes)))


def hash_recovery_code(user_id: str, code: str) -> str | None:
    """What is stored of a recovery code; None for what cannot be one. Hyphens, spaces and
    case do not matter. 60 random bits need no slow hash (docs/security.md, "MFA")."""
    canonical = code.replace("-", "").replace(" ", "").lower()
    if _RECOVERY_CODE.fullmatch(canonical) is None:
        return None
    return hashlib.sha256(f"{user_id}:{canonical}".encode()).hexdigest()


def recovery_hashes(user_id: str, codes: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(h for code in codes if (h := hash_recovery_code(user_id, code)) is not None)


def accepts_totp_code(
    factor: TotpFactor, code: str, *, otp: OneTimePasswords, box: SecretBox, now: datetime
) -> int | None:
    """The time step ``code`` is valid for (±1 step of skew) and not used yet, or None.
    Only reads: the caller consumes the step with ``TotpFactor.used_step``."""
    if _TOTP_CODE.fullmatch(code) is None:
        return None
    steps = factor.fresh_steps(otp.matching_steps(box.open(factor.secret), code, now))
    return max(steps) if steps else None


def accepts_recovery_code(factor: TotpFactor, code: str) -> str | None:
    """The hash of ``code`` if it is one of the factor's unspent recovery codes, or None."""
    code_hash = hash_recovery_code(factor.user_id, code)
    return code_hash if code_hash in factor.recovery_hashes else None


def code_change(
    factor: TotpFactor,
    *,
    code: str | None = None,
    recovery_code: str | None = None,
    otp: OneTimePasswords,
    box: SecretBox,
    now: datetime,
) -> Callable[[TotpFactor], TotpFactor | None] | None:
    """How to spend a right ``code`` (TOTP) or else ``recovery_code``: a pure change for
    ``MfaRepository.update``, which refuses it if another request spent it meanwhile. None
    if it is wrong or used. Only reads, so a wrong code writes nothing here."""
    if code is not None:
        step = accepts_totp_code(factor, code, otp=otp, box=box, now=now)
        return None if step is None else partial(TotpFactor.used_step, step=step, now=now)
    code_hash = accepts_recovery_code(factor, recovery_code or "")
    if code_hash is None:
        return None
    return partial(TotpFactor.spent_recovery_code, code_hash=code_hash, now=now)


def consume_code(
    factor: TotpFactor,
    code: str,
    *,
    factors: MfaRepository,
    otp: OneTimePasswords,
    box: SecretBox,
    now: datetime,
) -> bool:
    """Spend ``code`` — six digits: a TOTP code, else a recovery code — of an active
    factor; False if it is wrong, used, or lost a race for the same code."""
    totp = _TOTP_CODE.fullmatch(code) is not None
    change = code_change(
        factor,
        code=code if totp else None,
        recovery_code=None if totp else code,
        otp=otp,
        box=box,
        now=now,
    )
    return change is not None and factors.update(factor.user_id, change) is not None


def require_second_factor(
    user: User,
    *,
    login_key: str,
    first_factor: tuple[str, ...],
    device_id: str | None,
    ip: str | None,
    factors: MfaRepository,
    clock: Clock,
    audit: AuditLog,
    via: str | None = None,
    method: str | None = None,
    reason: str | None = None,
    org_id: str | None = None,
) -> None:
    """After a right first factor: nothing if the user has no active authenticator, else
    MfaRequired with a new single-use ``mfa_token`` (stored only as its hash). ``via``: the
    identity provider of a federated first factor, which the second step signs in with;
    ``method`` and ``reason``: what the sign-in's event is to name once the second step is
    done, where the first factor does not say it (an org's connection); ``org_id``: that
    connection's org, whose audit log the sign-in's event is on."""
    factor = factors.get(user.id)
    if factor is None or not factor.active:
        return
    token = secrets.token_urlsafe(32)
    token_hash = hash_mfa_token(token)
    if token_hash is None:  # token_urlsafe(32) always fits; this keeps the types honest
        raise AssertionError("unexpected mfa_token shape")
    factors.add_challenge(
        MfaChallenge.start(
            token_hash=token_hash,
            user_id=user.id,
            login_key=login_key,
            first_factor=first_factor,
            now=clock.now(),
            device_id=device_id,
            via=via,
            method=method,
            reason=reason,
            org_id=org_id,
        )
    )
    audit.record(AuditEvent(Audit.MFA_CHALLENGE, user_id=user.id, ip=ip, reason=first_factor[0]))
    raise MfaRequired(token, (TOTP, RECOVERY_CODE), locale=user.locale)


@dataclass(frozen=True)
class MfaLogin:
    mfa_token: str
    code: str | None = None  # from the authenticator app
    recovery_code: str | None = None
    user_agent: str = ""
    client_ip: str = ""  # after the trusted proxy hops; "" when unknown


INVALID_MFA_TOKEN, INVALID_MFA_CODE = "invalid_mfa_token", "invalid_mfa_code"


def invalid_mfa_token() -> Unauthenticated:
    return Unauthenticated(
        "The MFA token is not valid or has expired; log in again.", code=INVALID_MFA_TOKEN
    )


def open_challenge(
    mfa_token: str, *, users: Users, factors: MfaRepository, now: datetime
) -> tuple[str, MfaChallenge, User, TotpFactor]:
    """The usable challenge of ``mfa_token`` (and its hash), its user and their active
    authenticator; else 401 ``invalid_mfa_token``."""
    token_hash = hash_mfa_token(mfa_token)
    challenge = factors.get_challenge(token_hash) if token_hash is not None else None
    if token_hash is None or challenge is None or not challenge.usable(now):
        raise invalid_mfa_token()
    user = users.get(challenge.user_id)
    factor = factors.get(challenge.user_id)
    if user is None or not user.active or factor is None or not factor.active:
        raise invalid_mfa_token()  # deleted, disabled or reset since the first step
    return token_hash, challenge, user, factor
