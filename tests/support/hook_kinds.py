"""The core's hook kinds, as the units lend them (``HOOK_KINDS``), and every unit's, for the
tests that walk every kind."""

from __future__ import annotations

from bootstrap.units import core_units, every_unit
from domain.hooks.kinds import BEFORE_SIGN_UP, HOOK_KINDS, HookKinds
from domain.mail.hook_kinds import SEND_MAIL
from domain.provider.hook_kinds import CREDENTIALS_EXCHANGE
from domain.signin.hook_kinds import BEFORE_SIGN_IN, BEFORE_TOKEN, PASSWORD_VERIFICATION
from domain.slots import filled
from tests.fakes.claims import CLAIMS
from tests.support.settings import make_settings

# With the core's reserved claims, as bind folds them (the token frame's and the claim sources')
CORE_KINDS = HookKinds(filled(core_units(), HOOK_KINDS), reserved=CLAIMS.reserved)
# Every unit's, the core's and the optional units' a default service runs (its docs name each)
EVERY_KIND = HookKinds(filled(every_unit(make_settings()), HOOK_KINDS), reserved=CLAIMS.reserved)

__all__ = [
    "BEFORE_SIGN_IN",
    "BEFORE_SIGN_UP",
    "BEFORE_TOKEN",
    "CORE_KINDS",
    "CREDENTIALS_EXCHANGE",
    "EVERY_KIND",
    "PASSWORD_VERIFICATION",
    "SEND_MAIL",
]
