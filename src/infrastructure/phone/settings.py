"""The phone unit's settings (docs/reference/phone.md), read with
``settings.group(PhoneSettings)`` (bootstrap/phone.py): sign-in by a texted code,
whether it may go without a challenge provider, whether texts may be sent at all, their
budget per number prefix and hour and the share of it kept for numbers with an account, the
country of a number typed without its calling code, and the request limit of a code per
client address."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from domain.phone.numbers import ACCOUNTS_SHARE, SmsBudgets
from infrastructure.settings.group import Composition, RequestLimit, SettingsGroup
from infrastructure.settings.identity.accounts import AccountSettings

_REGION = re.compile(r"[A-Za-z]{2}")


class PhoneSettings(SettingsGroup):
    phone_sign_in: bool = False
    # Phone sign-in with no challenge provider (CHALLENGE_PROVIDER=none): None is true in the
    # local profile and false otherwise, where the service then refuses to start
    # (``problems_beside``; docs/decisions/0653-phone-sign-in-asks-for-a-challenge-provider.md).
    phone_sign_in_without_challenge: bool | None = None
    sms_enabled: bool = True  # false: every text refused (429 sms_budget), whatever the budget
    sms_budgets: str = "*:200/h"
    # The percentage of each prefix's budget kept for numbers that already have an account
    sms_accounts_share: int = Field(ACCOUNTS_SHARE, ge=0, le=100)
    phone_default_region: str = ""  # an ISO 3166 code ("FR"); "": numbers need their "+"
    # POST /auth/phone-code (and its page) per client address: apart from the e-mail code's
    rate_limit_phone_code: RequestLimit = "5/minute,50/hour"

    @field_validator("sms_budgets")
    @classmethod
    def _check_budgets(cls, value: str) -> str:
        try:
            SmsBudgets.parse(value)
        except ValueError as exc:
            raise ValueError(
                f"SMS_BUDGETS must be comma-separated PREFIX:COUNT/h entries such as "
                f"'+44:100/h,+4470:0,*:200/h': {exc}"
            ) from None
        return value

    @field_validator("phone_default_region")
    @classmethod
    def _check_region(cls, value: str) -> str:
        region = value.strip().upper()
        if not region:
            return region
        # The library is imported only when a region is named: it is a phone sign-in's
        # (infrastructure/phone/numbers.py), 0.2 s that a service without one skips
        # (docs/decisions/0530-protocol-stacks-loaded-when-used.md).
        import phonenumbers  # noqa: PLC0415

        if not _REGION.fullmatch(region) or region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(
                f"PHONE_DEFAULT_REGION must be an ISO 3166 country code such as FR, not {value!r}"
            )
        return region

    @property
    def budgets(self) -> SmsBudgets:
        return SmsBudgets.parse(self.sms_budgets)

    def goes_without_challenge(self, app_profile: str) -> bool:
        """Whether phone sign-in may go with no challenge provider: as the operator says,
        else in the local profile only."""
        said = self.phone_sign_in_without_challenge
        return app_profile == "local" if said is None else said

    def problems_beside(self, settings: Composition) -> list[str]:
        """Phone sign-in with no challenge provider only when the operator says so (the local
        profile does unless told not to): without one, the signals of a number's and a
        prefix's requests ask nothing of strangers, and only the bounds hold
        (docs/decisions/0653-phone-sign-in-asks-for-a-challenge-provider.md)."""
        if (
            self.phone_sign_in
            and settings.group(AccountSettings).challenge_provider == "none"
            and not self.goes_without_challenge(settings.service.app_profile)
        ):
            return [
                "PHONE_SIGN_IN=true needs a challenge provider (CHALLENGE_PROVIDER=turnstile "
                "or recaptcha_enterprise), asked of requests past a number's or a prefix's "
                "signals; to go without one, set PHONE_SIGN_IN_WITHOUT_CHALLENGE=true"
            ]
        return []
