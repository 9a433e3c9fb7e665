"""The core's hook kinds, as the units lend them (``HOOK_KINDS``), for the tests that
walk every kind."""

from __future__ import annotations

from bootstrap.units import core_units
from domain.hooks.kinds import BEFORE_SIGN_UP, HOOK_KINDS, HookKinds
from domain.mail.hook_kinds import SEND_MAIL
from domain.provider.hook_kinds import CREDENTIALS_EXCHANGE
from domain.signin.hook_kinds import BEFORE_SIGN_IN, BEFORE_TOKEN, PASSWORD_VERIFICATION, SEND_SMS
from domain.slots import filled
from tests.fakes.claims import CLAIMS

# With the core's reserved claims, as bind folds them (the token frame's and the claim sources')
CORE_KINDS = HookKinds(filled(core_units(), HOOK_KINDS), reserved=CLAIMS.reserved)

__all__ = [
    "BEFORE_SIGN_IN",
    "BEFORE_SIGN_UP",
    "BEFORE_TOKEN",
    "CORE_KINDS",
    "CREDENTIALS_EXCHANGE",
    "PASSWORD_VERIFICATION",
    "SEND_MAIL",
    "SEND_SMS",
]
