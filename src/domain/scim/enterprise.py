"""SCIM's enterprise extension of a user (RFC 7643 §4.3) and the profile attributes it maps
onto: each of its attributes onto the profile attribute of the same name, where the schema
defines one that ``scim`` writes, and read back where ``scim`` reads it; the others are kept
in the resource as sent (docs/reference/scim.md, "Enterprise attributes";
docs/decisions/0485-profile-attributes-in-claims-and-scim.md)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from domain.accounts.attributes import AttributeValue, ProfileSchema

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
# The extension's attributes, each the name of the profile attribute it maps onto;
# ``manager`` is a complex attribute whose ``value`` (the manager's id) is mapped
NAMES = ("employeeNumber", "costCenter", "organization", "division", "department", "manager")
MANAGER = "manager"
SCIM = "scim"  # the actor of a profile attribute's x-read and x-write


def extended(document: str) -> bool:
    """Whether a resource as sent (JSON text) carries the enterprise extension: only such a
    resource maps onto profile attributes, and only its answers read them back."""
    return isinstance(json.loads(document).get(ENTERPRISE), Mapping)


def mapped(schema: ProfileSchema) -> tuple[str, ...]:
    """The extension's attributes the schema defines a profile attribute for."""
    return tuple(name for name in NAMES if name in schema.by_name)


def sent_changes(document: str, schema: ProfileSchema) -> dict[str, object]:
    """The changes a resource as sent (JSON text) makes to the profile attributes ``scim``
    writes: a resource with the extension says all those ``scim`` reads too (one it leaves
    out is removed, a null), and those it only writes when it names them (a directory never
    sees them, and a PATCH sends back what it read); one without the extension changes none."""
    extension = json.loads(document).get(ENTERPRISE)
    if not isinstance(extension, Mapping):
        return {}
    changes: dict[str, object] = {}
    for name in mapped(schema):
        attribute = schema.by_name[name]
        if SCIM not in attribute.write or (name not in extension and SCIM not in attribute.read):
            continue
        value = extension.get(name)
        changes[name] = value.get("value") if isinstance(value, Mapping) else value
    return changes


def answered(document: str, schema: ProfileSchema, values: Mapping[str, AttributeValue]) -> str:
    """The resource as sent (JSON text) with the extension's mapped attributes as the
    account holds them (``values``) where ``scim`` reads them, and left out where it may not;
    the extension's other attributes as sent."""
    names = mapped(schema)
    if not names:
        return document
    resource: dict[str, Any] = json.loads(document)
    extension: dict[str, Any] = dict(resource.get(ENTERPRISE) or {})
    for name in names:
        value = values.get(name) if SCIM in schema.by_name[name].read else None
        if value is None:
            extension.pop(name, None)
        elif name != MANAGER:
            extension[name] = value
        elif (extension.get(MANAGER) or {}).get("value") != value:
            extension[MANAGER] = {"value": str(value)}  # another than the directory named
    schemas = [each for each in resource.get("schemas", []) if each != ENTERPRISE]
    if extension:
        resource[ENTERPRISE] = extension
        schemas.append(ENTERPRISE)
    else:
        resource.pop(ENTERPRISE, None)
    if "schemas" in resource or extension:
        resource["schemas"] = schemas
    return json.dumps(resource, separators=(",", ":"))
