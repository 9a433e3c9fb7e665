"""The service under gunicorn with phone sign-in on (docs/sign-in-with-a-phone-number.md):
PHONE_SIGN_IN and a send_sms hook, set by the operator's command line, to a real receiver
that checks each call's Standard Webhooks signature (tests/support/hook_receiver.py)."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

from tests.support.hook_receiver import HookReceiver, hook_receiver
from tests.support.servers import cli, serving
from tests.support.settings import TEST_MFA_KEY


@contextmanager
def phone_sign_in_served(log_name: str, **env: str) -> Iterator[tuple[str, HookReceiver]]:
    """The base URL of a server that texts codes, and the receiver the texts go to."""
    # The command line seals the hook's secret with the server's MFA_ENCRYPTION_KEY.
    with (
        hook_receiver("/sms") as receiver,
        mock.patch.dict(os.environ, MFA_ENCRYPTION_KEY=TEST_MFA_KEY),
    ):
        created = json.loads(
            cli(["hooks", "set", "send_sms", receiver.url]).strip().splitlines()[-1]
        )
        receiver.secret = created["secret"]
        try:
            with serving(log_name, PHONE_SIGN_IN="true", **env) as url:
                yield url, receiver
        finally:
            cli(["hooks", "remove", created["id"]])


def new_number() -> str:
    """A French mobile number (of a range ``phonenumbers`` knows) no other test uses."""
    return "+336123" + "".join(secrets.choice("0123456789") for _ in range(5))


def texted_code(receiver: HookReceiver, to: str) -> str:
    """The code of the first verified text to ``to``, once it came."""
    code: str = receiver.calls(to)[0]["code"]
    return code
