"""Fakes of the migration's ports: users moving in and out."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from application.migration.ports import Holders, ImportedUser, Link
from domain.accounts.identities import PhoneNumber
from domain.accounts.users import User
from domain.errors import Conflict
from domain.migration.legacy import Legacy
from tests.fakes.kernel import InMemoryStore


class FakeUserMoves:
    """Users moving in and out, on the documents of FakeUserRepository and
    FakeIdentityRepository (one link per "provider:subject")."""

    def __init__(self, store: InMemoryStore | None = None) -> None:
        self.store = store or InMemoryStore()

    def holders(
        self,
        ids: Sequence[str],
        usernames: Sequence[str],
        emails: Sequence[str],
        phone_numbers: Sequence[str] = (),
    ) -> Holders:
        s = self.store
        with s.lock:
            return Holders(
                {i: s.users[i] for i in ids if i in s.users},
                {k: s.usernames[k] for k in usernames if k in s.usernames},
                {k: s.emails[k] for k in emails if k in s.emails},
                {k: s.phone_numbers[k] for k in phone_numbers if k in s.phone_numbers},
            )

    def _taken(self, arrival: ImportedUser) -> str | None:
        s, user = self.store, arrival.user
        if user.id in s.users:
            return "id_taken"
        if user.username is not None and user.username.normalized in s.usernames:
            return "username_taken"
        if user.email is not None and user.email.normalized in s.emails:
            return "email_taken"
        if user.part(PhoneNumber).proven in s.phone_numbers:
            return "phone_number_taken"
        if any(f"{link.provider}:{link.subject}" in s.identities for link in arrival.links):
            return "identity_taken"
        return None

    def add_all(self, arrivals: Sequence[ImportedUser]) -> list[Conflict | None]:
        outcomes: list[Conflict | None] = []
        s = self.store
        with s.lock:
            for arrival in arrivals:
                taken = self._taken(arrival)
                if taken is not None:
                    outcomes.append(Conflict("Taken meanwhile.", code=taken))
                    continue
                user = arrival.user
                s.users[user.id] = user
                if user.username is not None:  # a guest claims no name
                    s.usernames[user.username.normalized] = user.id
                if user.email is not None:
                    s.emails[user.email.normalized] = user.id
                number = user.part(PhoneNumber).proven
                if number is not None:
                    s.phone_numbers[number] = user.id
                for link in arrival.links:
                    s.identities[f"{link.provider}:{link.subject}"] = user.id
                outcomes.append(None)
        return outcomes

    def link(self, user_id: str, links: Sequence[Link]) -> None:
        with self.store.lock:
            if user_id in self.store.users:
                for link in links:
                    self.store.identities.setdefault(f"{link.provider}:{link.subject}", user_id)

    def stream(self, page_size: int) -> Iterator[tuple[User, tuple[Link, ...]]]:
        s = self.store
        with s.lock:
            users = sorted((u for u in s.users.values() if not u.deleted_at), key=lambda u: u.id)
            links = [(key.split(":", 1), owner) for key, owner in s.identities.items()]
        for user in users:
            held = tuple(Link(p, subject) for (p, subject), owner in links if owner == user.id)
            yield user, held

    def legacy_remaining(self) -> int:
        with self.store.lock:
            return sum(
                1
                for u in self.store.users.values()
                if u.part(Legacy).is_legacy and not u.deleted_at
            )
