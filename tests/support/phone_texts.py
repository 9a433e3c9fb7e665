"""An app with phone sign-in on the emulators' adapters, and a signature-checking receiver of
its texts as its ``send_sms`` hook (docs/sign-in-with-a-phone-number.md): shared by the
emulator tests of codes by text."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from flask import Flask

from application.hooks.admin import SetAuthHook
from application.hooks.services import HookServices
from bootstrap import build_adapters, build_app
from tests.support.hook_receiver import HookReceiver, hook_receiver
from tests.support.settings import make_settings
from tests.support.webhooks import ADMIN


def phone_app(firestore: Any) -> Flask:
    """The app with PHONE_SIGN_IN on, in the local profile (so that a receiver on 127.0.0.1
    may be called)."""
    settings = make_settings(app_profile="local", phone_sign_in=True)
    return build_app(settings, build_adapters(settings, firestore=firestore))


@contextlib.contextmanager
def sms_receiver(app: Flask) -> Iterator[HookReceiver]:
    """A receiver set as ``app``'s send_sms hook until the block ends."""
    with hook_receiver("/sms") as state:
        created = (
            app.extensions["firegate"]
            .of(HookServices)
            .hooks.set(SetAuthHook(ADMIN, "send_sms", state.url))
        )
        state.secret = created.secret
        yield state
