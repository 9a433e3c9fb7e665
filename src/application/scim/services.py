"""The scim capability's service objects: ``services().of(ScimServices)``
(docs/decisions/0526-services-by-capability.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from application.scim.groups import DirectoryGroups
    from application.scim.tokens import DirectoryTokens
    from application.scim.users import DirectoryUsers


@dataclass(frozen=True, kw_only=True, slots=True)
class ScimServices:
    """An org's directory over SCIM (docs/reference/scim.md)."""

    tokens: DirectoryTokens  # "Tokens"
    users: DirectoryUsers  # "Users"
    groups: DirectoryGroups  # "Groups"
