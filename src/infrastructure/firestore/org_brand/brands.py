"""Orgs' brands in ``org_brands/{org_id}`` and the claims of their names' look-alike keys in
``brand_names/{sha256 of the key}`` (``{"org_id", "key"}``; application/org_brand/brands.py,
docs/decisions/0886-what-a-brand-may-not-look-like.md).

Setting a brand is one commit that creates the claim of its key, deletes the claim of the key
it had before, and writes the brand, guarded by the brand's update time as read
(``optimistic.py``): of thirty orgs taking one name at once, one commit creates the claim and
the others fail on it (AlreadyExists), read again and find it another org's (409)."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from domain.org_brand.brand import Brand, Logo, brand_look_alike
from infrastructure.firestore.client import BOUNDED, delete_in_batches
from infrastructure.firestore.errors import translates_errors
from infrastructure.firestore.optimistic import unchanged_since, until_unchanged
from infrastructure.firestore.reads import Stale
from infrastructure.firestore.sdk import exceptions, firestore

BRANDS, NAMES = "org_brands", "brand_names"
if TYPE_CHECKING:
    Snapshot = firestore.DocumentSnapshot[firestore.DocumentReference]


def claim_id(key: str) -> str:
    """A claim's document id: the key's SHA-256 (a key may hold any character, "/" too)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def brand_to_doc(brand: Brand) -> dict[str, Any]:
    return {
        "org_id": brand.org_id,
        "display_name": brand.display_name,
        "look_alike": brand.look_alike,
        "logo_type": brand.logo.media_type,
        "logo": brand.logo.data,
        "color": brand.color,
        "dark_color": brand.dark_color,
        "updated_at": brand.updated_at,
    }


def brand_from_doc(data: dict[str, Any]) -> Brand:
    return Brand(
        org_id=data["org_id"],
        display_name=data["display_name"],
        logo=Logo(data["logo_type"], bytes(data["logo"])),
        color=data["color"],
        dark_color=data.get("dark_color") or "",
        updated_at=data["updated_at"],
    )


@translates_errors
class FirestoreBrands:
    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._brands = client.collection(BRANDS)
        self._names = client.collection(NAMES)

    def _snapshots(self, org_id: str, key: str) -> tuple[Snapshot, Snapshot]:
        """The brand and the claim of ``key``, read in one round trip."""
        refs = [self._brands.document(org_id), self._names.document(claim_id(key))]
        found = {snap.reference.path: snap for snap in self._client.get_all(refs, **BOUNDED)}
        return found[refs[0].path], found[refs[1].path]

    def get(self, org_id: str) -> Brand | None:
        snap = self._brands.document(org_id).get(**BOUNDED)
        return brand_from_doc(snap.to_dict() or {}) if snap.exists else None

    def put(self, brand: Brand) -> Brand:
        key = brand.look_alike

        def attempt() -> Brand:
            snap, claim = self._snapshots(brand.org_id, key)
            holder = (claim.to_dict() or {}).get("org_id") if claim.exists else None
            if holder is not None and holder != brand.org_id:
                raise brand_look_alike()
            batch = self._client.batch()
            if holder is None:
                batch.create(claim.reference, {"org_id": brand.org_id, "key": key})
            ref = self._brands.document(brand.org_id)
            if snap.exists:
                before = (snap.to_dict() or {}).get("look_alike")
                if isinstance(before, str) and before != key:
                    batch.delete(self._names.document(claim_id(before)))
                batch.update(ref, brand_to_doc(brand), option=unchanged_since(snap))
            else:
                batch.create(ref, brand_to_doc(brand))
            try:
                batch.commit(**BOUNDED)
            except (exceptions.AlreadyExists, exceptions.FailedPrecondition):
                raise Stale from None  # claimed or written meanwhile: the next read says
            return brand

        return until_unchanged(attempt)

    def delete(self, org_id: str) -> bool:
        def attempt() -> bool:
            snap = self._brands.document(org_id).get(**BOUNDED)
            if not snap.exists:
                return False
            batch = self._client.batch()
            key = (snap.to_dict() or {}).get("look_alike")
            if isinstance(key, str):
                batch.delete(self._names.document(claim_id(key)))
            batch.delete(snap.reference, option=unchanged_since(snap))
            try:
                batch.commit(**BOUNDED)
            except (exceptions.FailedPrecondition, exceptions.NotFound):
                raise Stale from None
            return True

        return until_unchanged(attempt)

    def delete_owned_by_org(self, org_id: str, batch_size: int) -> None:
        """A deleted org's brand and the claim of its name (the claims it may hold by a
        lost answer too)."""
        self.delete(org_id)
        query = self._names.where(filter=firestore.FieldFilter("org_id", "==", org_id))
        delete_in_batches(self._client, query, batch_size)
