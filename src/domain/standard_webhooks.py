"""The Standard Webhooks signature (https://www.standardwebhooks.com): the secret a receiver is
given, a message's id, and the headers that sign a body. A webhook's delivery, a back-channel
logout's and an auth hook's call are signed alike (docs/reference/webhooks.md, docs/hooks.md)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

from domain.ids import new_id

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32  # the specification asks for 24 to 64
MESSAGE_PREFIX = "msg_"


def new_secret() -> str:
    """``whsec_`` and base64 of 32 random bytes: what a receiver is given once."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def new_message_id() -> str:
    return MESSAGE_PREFIX + new_id()


def signature(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """The ``webhook-signature`` header: ``v1,`` and base64 of HMAC-SHA256 of
    ``id.timestamp.body`` keyed with the secret's bytes (after ``whsec_``)."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.{body}".encode()
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signed_headers(secret: str, message_id: str, at: datetime, body: str) -> dict[str, str]:
    timestamp = int(at.timestamp())
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
    }
