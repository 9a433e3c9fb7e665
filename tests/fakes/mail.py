"""Fakes of the mail ports: action tokens and their send logs, new-device mails, the
mailer."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

from application.mail.sending import NEW_DEVICE_MAIL_EVERY
from application.ports import Mail, MailUndelivered
from domain.accounts.users import User
from domain.link_tokens import InvalidToken
from domain.mail.action_tokens import ActionToken, Purpose, SendLog
from tests.fakes.kernel import InMemoryStore


class FakeActionTokenRepository:
    """Tokens and send logs in the shared store, spent in the adapter's steps: claim the
    token, then check it and change the user under the lock; a void token stays spent, a
    failed change releases the claim."""

    def __init__(self, store: InMemoryStore) -> None:
        self.store = store

    def add(self, token: ActionToken, job_id: str, now: datetime, *, always: bool = False) -> bool:
        return self._count(token.user_id, job_id, now, token=token, always=always)

    def count_mail(self, user_id: str, job_id: str, now: datetime, *, always: bool = False) -> bool:
        return self._count(user_id, job_id, now, always=always)

    def _count(
        self,
        user_id: str,
        job_id: str,
        now: datetime,
        *,
        token: ActionToken | None = None,
        always: bool = False,
    ) -> bool:
        s = self.store
        with s.lock:
            sends = s.mail_sends.get(user_id, SendLog()).counting(job_id, now, token, always=always)
            if sends is None:
                return False
            s.mail_sends[user_id] = sends
            if token is not None:
                s.action_tokens[token.hash] = token
            return True

    def get(self, hashed: str) -> ActionToken | None:
        return self.store.action_tokens.get(hashed)

    def spend(
        self, hashed: str, purpose: Purpose, change: Callable[[User], User], now: datetime
    ) -> User:
        s = self.store
        with s.lock:  # the claim
            token = s.action_tokens.get(hashed)
            if token is None or token.spent_at is not None or token.purpose is not purpose:
                raise InvalidToken()
            s.action_tokens[hashed] = token.spent(now)
        try:
            with s.lock:  # the transaction
                latest = s.mail_sends.get(token.user_id, SendLog()).latest_of(purpose)
                user = token.check(purpose, s.users.get(token.user_id), now, latest)
                changed = change(user)
                s.users[user.id] = changed
                return changed
        except InvalidToken:
            raise
        except Exception:
            with s.lock:
                s.action_tokens[hashed] = token
            raise


class FakeNewDeviceMails:
    """The devices each account was told of, under a lock: one claim per key and day."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.claims: dict[str, tuple[str, datetime]] = {}  # key -> (job id, when)

    def claim(self, key: str, user_id: str, job_id: str, now: datetime) -> bool:
        with self.lock:
            found = self.claims.get(key)
            if found is not None and (found[0] == job_id or now < found[1] + NEW_DEVICE_MAIL_EVERY):
                return found[0] == job_id
            self.claims[key] = (job_id, now)
            return True


class FakeMailer:
    """Keeps what it is given, like a mailbox; fails while ``failing`` is set."""

    def __init__(self) -> None:
        self.sent: list[Mail] = []
        self.failing = False

    def send(self, mail: Mail) -> None:
        if self.failing:
            raise MailUndelivered("the fake mail server is down")
        self.sent.append(mail)

    def to(self, address: str) -> list[Mail]:
        return [mail for mail in self.sent if mail.to == address]
