"""The accounts an org's directory made, which the org manages (``DirectoryAccounts``, the
orgs' port: an org's deletion deletes them; docs/reference/orgs.md, "Deleting an org")."""

from __future__ import annotations

from dataclasses import dataclass

from application.scim.ports import ScimUsers

PAGE = 200  # the records one read goes through


@dataclass(frozen=True, kw_only=True, slots=True)
class DirectoryMadeAccounts:
    """The ids of the accounts an org's SCIM users it manages stand for, in id order."""

    records: ScimUsers

    def __call__(self, org_id: str) -> list[str]:
        made: list[str] = []
        offset = 0
        while page := self.records.page(org_id, offset, PAGE):
            made.extend(record.user_id for record in page if record.managed)
            offset += len(page)
        return made
