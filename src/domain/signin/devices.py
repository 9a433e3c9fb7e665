"""Device tokens: a signed proof that a client signed in to an account before.

A successful login hands the client one (docs/security.md, "Lockout"). Presented with a later
login of the same account, it exempts that login from the account-wide failure block, which
anybody can trip from many addresses, and puts it under a small budget of its own instead.
It proves nothing else: the password is still checked, and it is no credential anywhere.
It names the account's device generation: when the account forgets its devices (the first
proof of its address, docs/decisions/0104-first-proof-of-address-wins.md), every token issued
before is void.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.accounts.users import User

_VERSION = "d2"  # d2.{device id}.{account id}.{generation}.{expiry}.{mac}
_FIRST_VERSION = "d1"  # d1.{device id}.{account id}.{expiry}.{mac}: generation 0
_MAX_LENGTH = 256  # a real one is about 110 characters


@dataclass(frozen=True)
class Device:
    """What a valid device token says: this device signed in to this account."""

    id: str
    user_id: str
    generation: int = 0

    def of(self, user: User) -> bool:
        """Is this a device of ``user`` as the account is now: signed in to it, and since
        it last forgot its devices?"""
        return self.user_id == user.id and self.generation == user.device_generation


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class DevicePolicy:
    # Every instance must share the key (bootstrap derives it from the signing secret); the
    # random default suits a single process (tests).
    key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    ttl: timedelta = timedelta(days=180)

    def issue(self, user: User, now: datetime, device: Device | None = None) -> str:
        """A token for ``user``: for the same device again (a fresh lifetime) when the
        login presented a valid one of this account, else for a new device."""
        device_id = device.id if device is not None and device.of(user) else None
        body = f"{_VERSION}.{device_id or secrets.token_urlsafe(12)}.{user.id}."
        body += f"{user.device_generation}.{int((now + self.ttl).timestamp())}"
        return f"{body}.{self._mac(body)}"

    def verify(self, token: str, now: datetime) -> Device | None:
        """The device a token names, or None for anything forged, expired or malformed."""
        if not token or len(token) > _MAX_LENGTH:
            return None
        body, _, mac = token.rpartition(".")
        parts = body.split(".")
        if parts[0] == _FIRST_VERSION and len(parts) == 4:
            parts.insert(3, "0")
        elif parts[0] != _VERSION or len(parts) != 5:
            return None
        if not (parts[3].isdigit() and parts[4].isdigit()):
            return None
        if not hmac.compare_digest(mac.encode(), self._mac(body).encode()):
            return None
        if int(parts[4]) <= now.timestamp():
            return None
        return Device(id=parts[1], user_id=parts[2], generation=int(parts[3]))

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self.key, body.encode(), hashlib.sha256).digest())


def is_new_device(user: User, device: Device | None) -> bool:
    """Is a sign-in of ``user`` that presented ``device`` (a valid token's device, or None)
    from a new device? Yes unless it is a device of the account as it is now, or the
    account's first sign-in (docs/decisions/0173-new-device-mail.md)."""
    return user.has_signed_in and not (device is not None and device.of(user))


def device_key(user_id: str, ip: str | None, user_agent: str | None) -> str:
    """What names a device that showed no device token, for at most one new-device mail
    a day: a hash of the account, the address and the user agent."""
    material = "\0".join((user_id, ip or "", user_agent or ""))
    return hashlib.sha256(material.encode()).hexdigest()
