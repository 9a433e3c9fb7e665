"""The accounts an org's directory made, which the org manages (``DirectoryAccounts``, the
orgs' port: an org's deletion deletes them; docs/reference/orgs.md, "Deleting an org")."""

from __future__ import annotations

from application.scim.ports import ScimUsers

PAGE = 200  # the records one read goes through


class DirectoryMadeAccounts:
    """The ids of the accounts an org's SCIM users it manages stand for, in id order."""

    def __init__(self, *, records: ScimUsers) -> None:
        self._records = records

    def __call__(self, org_id: str) -> list[str]:
        made: list[str] = []
        offset = 0
        while page := self._records.page(org_id, offset, PAGE):
            made.extend(record.user_id for record in page if record.managed)
            offset += len(page)
        return made
