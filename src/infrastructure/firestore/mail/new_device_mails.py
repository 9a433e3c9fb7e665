"""Which devices an account was told of lately: ``new_device_mails/{key}``, one document per
device key (a hash of account, address and user agent; domain.signin.devices.device_key).

A claim is one ``create`` (exactly one of parallel claims lands); only when the document is
there already is it read, and, if its day has passed, taken over by a write conditioned on
its update time, so again only one wins. ``expires_at`` is the field of the collection's TTL
policy (docs/operations.md) (docs/decisions/0173-new-device-mail.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from application.mail.sending import NEW_DEVICE_MAIL_EVERY
from infrastructure.firestore.accounts.users import NEW_DEVICE_MAILS
from infrastructure.firestore.client import BOUNDED
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.optimistic import unchanged_since
from infrastructure.firestore.sdk import exceptions, firestore


def _doc(user_id: str, job_id: str, now: datetime) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "job": job_id,
        "at": now,
        "expires_at": now + NEW_DEVICE_MAIL_EVERY,
    }


@translates_errors
class FirestoreNewDeviceMails:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._mails = client.collection(NEW_DEVICE_MAILS)

    def claim(self, key: str, user_id: str, job_id: str, now: datetime) -> bool:
        ref = self._mails.document(key)
        try:
            ref.create(_doc(user_id, job_id, now), **BOUNDED)
            return True
        except exceptions.AlreadyExists:
            pass
        snap = ref.get(**BOUNDED)
        data = snap.to_dict() if snap.exists else None
        if data is not None and (data.get("job") == job_id or now < data["expires_at"]):
            return data.get("job") == job_id  # this job's claim (a retry), or another's
        try:
            if not snap.exists:  # deleted meanwhile (its TTL)
                ref.create(_doc(user_id, job_id, now), **BOUNDED)
            else:  # past its day: taken over only as it was read
                option = unchanged_since(snap)
                ref.update(_doc(user_id, job_id, now), option=option, **BOUNDED)
        except (exceptions.AlreadyExists, exceptions.FailedPrecondition, exceptions.NotFound):
            return False  # another job took it first
        return True
