"""Dogs in ``dogs/{id}``; unique names through claim documents ``dog_names/{key}``.

A dog and its name claim are created in one commit (like users and their username claims),
renamed and deleted in one compare-and-set commit, so two dogs never share a name, even when
parallel requests race for it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from domain.dogs import Dog, DogName, PictureStatus
from domain.errors import Conflict
from infrastructure.firestore.client import BOUNDED, claim_id, reassign_in_batches
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.optimistic import unchanged_since, until_unchanged
from infrastructure.firestore.reads import Stale
from infrastructure.firestore.sdk import exceptions, firestore

DOGS, DOG_NAMES = "dogs", "dog_names"


# The stored field names of owner and creation time are the dogs API's own (``id_user``,
# ``create_date``): existing documents and the composite indexes use them.
def dog_to_doc(dog: Dog) -> dict[str, Any]:
    return {
        "name": dog.name.value,
        "name_key": dog.name.key,
        "id_user": dog.owner_id,
        "is_adopted": dog.is_adopted,
        "create_date": dog.created_at,
        "updated_at": dog.updated_at,
        "picture": dog.picture,
        "picture_status": dog.picture_status.value,
    }


def dog_from_doc(dog_id: str, data: dict[str, Any]) -> Dog:
    return Dog(
        id=dog_id,
        name=DogName(data["name"]),
        owner_id=data["id_user"],
        is_adopted=data.get("is_adopted", False),
        created_at=data["create_date"],
        updated_at=data.get("updated_at", data["create_date"]),
        picture=data.get("picture"),
        picture_status=PictureStatus(data.get("picture_status", PictureStatus.PENDING.value)),
    )


def _name_taken() -> Conflict:
    return Conflict("A dog with this name exists already.", code="dog_name_taken", field="name")


@translates_errors
class FirestoreDogRepository:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._dogs = client.collection(DOGS)
        self._names = client.collection(DOG_NAMES)

    def _claim(self, key: str) -> firestore.DocumentReference:
        return self._names.document(claim_id(key))

    def add(self, dog: Dog) -> None:
        claim = self._claim(dog.name.key)
        for _ in range(3):
            # One commit of two creates and no reads: parallel creators of one name do not
            # wait on locks; all but one commit fail with AlreadyExists.
            batch = self._client.batch()
            batch.create(self._dogs.document(dog.id), dog_to_doc(dog))
            batch.create(claim, {"dog_id": dog.id})
            try:
                batch.commit(**BOUNDED)
                return
            except exceptions.AlreadyExists:
                snap = claim.get(**BOUNDED)
                holder = (snap.to_dict() or {}).get("dog_id") if snap.exists else None
                if holder == dog.id:
                    return  # our own commit went through; only its answer was lost
                if holder is not None:
                    raise _name_taken() from None
                # The holder was deleted between our commit and our read: try again.
        raise Conflict("Creating the dog conflicted repeatedly; try again.", code="conflict")

    def get(self, dog_id: str) -> Dog | None:
        snap = self._dogs.document(dog_id).get(**BOUNDED)
        return dog_from_doc(snap.id, snap.to_dict() or {}) if snap.exists else None

    def find_by_name(self, key: str) -> Dog | None:
        query = self._dogs.where(filter=firestore.FieldFilter("name_key", "==", key)).limit(1)
        for snap in query.stream(**BOUNDED):
            return dog_from_doc(snap.id, snap.to_dict() or {})
        return None

    def update(self, dog_id: str, change: Callable[[Dog], Dog]) -> Dog | None:
        # Compare-and-set like an account change (docs/decisions/0060): no claim is read
        # under a lock, so racers for one new name get a 409 at once, not a 503.
        ref = self._dogs.document(dog_id)

        def attempt() -> Dog | None:
            snap = ref.get(**BOUNDED)
            if not snap.exists:
                return None
            before = dog_from_doc(dog_id, snap.to_dict() or {})
            after = change(before)
            if after == before:
                return after
            batch = self._client.batch()
            if after.name.key != before.name.key:
                batch.delete(self._claim(before.name.key))
                batch.create(self._claim(after.name.key), {"dog_id": dog_id})
            batch.update(ref, dog_to_doc(after), option=unchanged_since(snap))
            try:
                batch.commit(**BOUNDED)
            except exceptions.AlreadyExists:
                holder = self._claim(after.name.key).get(**BOUNDED)
                if (holder.to_dict() or {}).get("dog_id") != dog_id:
                    raise _name_taken() from None
                return after  # our own commit went through; only its answer was lost
            except exceptions.NotFound:
                raise Stale from None  # deleted meanwhile: the next read says so
            return after

        return until_unchanged(attempt)

    def delete(self, dog_id: str, check: Callable[[Dog], None]) -> bool:
        # Compare-and-set too: thirty parallel deletions of one dog in read-write
        # transactions aborted each other for 20 s (docs/decisions/0061).
        ref = self._dogs.document(dog_id)

        def attempt() -> bool:
            snap = ref.get(**BOUNDED)
            if not snap.exists:
                return False
            dog = dog_from_doc(dog_id, snap.to_dict() or {})
            check(dog)
            batch = self._client.batch()
            held = self._claim(dog.name.key).get(**BOUNDED)
            if held.exists and (held.to_dict() or {}).get("dog_id") == dog_id:
                batch.delete(held.reference, option=unchanged_since(held))
            batch.delete(ref, option=unchanged_since(snap))
            try:
                batch.commit(**BOUNDED)
            except exceptions.NotFound:
                raise Stale from None  # deleted meanwhile: the next read says so
            return True

        return until_unchanged(attempt)

    def list_page(
        self, adopted: bool | None, after: tuple[datetime, str] | None, limit: int
    ) -> list[Dog]:
        query: Any = self._dogs
        if adopted is not None:  # composite index: is_adopted + create_date
            query = query.where(filter=firestore.FieldFilter("is_adopted", "==", adopted))
        query = query.order_by("create_date").order_by("__name__")
        if after is not None:
            at, dog_id = after
            query = query.start_after({"create_date": at, "__name__": self._dogs.document(dog_id)})
        snaps = query.limit(limit).stream(**BOUNDED)
        return [dog_from_doc(snap.id, snap.to_dict() or {}) for snap in snaps]

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        query = (
            self._dogs.where(filter=firestore.FieldFilter("id_user", "==", user_id))
            .select(["name_key"])
            .limit(batch_size)
        )
        while snaps := list(query.stream(**BOUNDED)):
            claims = [self._claim((snap.to_dict() or {}).get("name_key", "")) for snap in snaps]
            held = {
                claim.reference.path: (claim.to_dict() or {}).get("dog_id")
                for claim in self._client.get_all(claims, **BOUNDED)
                if claim.exists
            }
            batch = self._client.batch()  # at most 2 x batch_size writes (limit: 500)
            for snap, claim in zip(snaps, claims, strict=True):
                if held.get(claim.path) == snap.id:
                    batch.delete(claim)
                batch.delete(snap.reference)
            batch.commit(**BOUNDED)

    def move_owned(self, from_id: str, to_id: str, batch_size: int) -> None:
        # A dog's name is unique among all dogs, whoever owns them: its claim names the dog,
        # not its owner, and stays as it is (docs/decisions/0561-what-a-merge-moves.md).
        query = self._dogs.where(filter=firestore.FieldFilter("id_user", "==", from_id))
        reassign_in_batches(self._client, query, "id_user", to_id, batch_size)
