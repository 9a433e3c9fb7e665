"""Phone sign-in (docs/sign-in-with-a-phone-number.md): whether it is on, whether any SMS may go,
what the SMS may cost per prefix and hour, and the region of a number typed without its
calling code."""

from __future__ import annotations

from infrastructure.settings.group import SettingsGroup


class PhoneSettings(SettingsGroup):
    phone_sign_in: bool = False  # and a send_sms hook: else the phone routes answer 404
    sms_enabled: bool = True  # false: no SMS goes, whatever else is set (the kill switch)
    sms_budgets: str = "*:200/h"  # PREFIX:COUNT/h entries, the longest prefix applies
    phone_default_region: str = ""  # ISO region of numbers typed without "+"
