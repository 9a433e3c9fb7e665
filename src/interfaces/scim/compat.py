"""What the directories send that RFC 7644 does not say, made what it means before the
library reads it (docs/reference/scim.md, "Directories' dialects").

Microsoft Entra ID removes a group's members with ``{"op": "Remove", "path": "members",
"value": [{"value": "<id>"}]}``, as its provisioning documentation shows; RFC 7644 §3.5.2.2
selects the members to remove by a filter in the path and gives a remove no value. Each such
operation becomes one ``remove`` of ``members[value eq "<id>"]`` per member named.
"""

from __future__ import annotations

import json
from typing import Any

from scim2_models import ScimFilter


def _removals(operation: Any) -> list[Any]:
    if not isinstance(operation, dict):
        return [operation]
    op, path, value = operation.get("op"), operation.get("path"), operation.get("value")
    if not (isinstance(op, str) and op.lower() == "remove"):
        return [operation]
    if not (isinstance(path, str) and path.lower() == "members" and isinstance(value, list)):
        return [operation]
    named = [m.get("value") for m in value if isinstance(m, dict)]
    if not value or len(named) != len(value) or not all(isinstance(v, str) for v in named):
        return [operation]
    return [{"op": "remove", "path": f"members[value eq {ScimFilter.quote(v)}]"} for v in named]


def plain_patch(body: bytes) -> bytes:
    """``body`` with Entra ID's removals of members by value written as RFC 7644's; any
    other body as it came (the library answers what is wrong with it)."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return body
    if not isinstance(data, dict) or not isinstance(data.get("Operations"), list):
        return body
    operations = [plain for op in data["Operations"] for plain in _removals(op)]
    if operations == data["Operations"]:
        return body
    return json.dumps({**data, "Operations": operations}).encode()
